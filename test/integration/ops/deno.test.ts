import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { instanceEnv, ROOT } from "../../helpers/env";
import { openDb } from "../../helpers/fixtures";

// The core runs unchanged under Deno (the `deno` npm package): health, a capacity-1
// session admitting one person and refusing the next, auth, all through app.handle().

const env = instanceEnv("deno");

afterAll(async () => {
  const { client, db } = await openDb(String(env.MONGODB_DB));
  await db.dropDatabase();
  await client.close();
});

test("the smoke script passes under Deno against the real servers", () => {
  const result = Bun.spawnSync(
    [join(ROOT, "node_modules/.bin/deno"), "run", "-A", "--unstable-sloppy-imports", "test/deno/smoke.ts"],
    { cwd: ROOT, env: env as Record<string, string> },
  );
  const lines = result.stdout.toString().trim().split("\n");
  const seen = JSON.parse(lines.at(-1) ?? "{}") as Record<string, unknown>;
  expect(result.exitCode).toBe(0);
  expect(String(seen.runtime)).toStartWith("deno 2.");
  expect(seen).toMatchObject({
    ready: 200,
    first: 201,
    again: 409,
    full: [400, "session_full"],
    anonymous: 401,
  });
});

test("npm run serve:deno starts a whole instance: pages, assets, the API, metrics; SIGTERM drains and exits 0", async () => {
  const { freePort } = await import("../../helpers/env");
  const { createToken } = await import("../../../src/auth/store");
  const { sessionRecord } = await import("../../../src/sessions/repo");
  const { participantRecord } = await import("../../../src/participants/repo");
  const port = await freePort();
  const instanceEnvironment = {
    ...(env as Record<string, string>),
    PORT: String(port),
    INSTANCE_ID: "deno-edge",
  };
  const { client, db } = await openDb(String(env.MONGODB_DB));
  const session = sessionRecord({
    name: "Deno edge room",
    startTime: new Date(Date.now() - 60_000),
    endTime: new Date(Date.now() + 3_600_000),
    status: "open",
    capacity: 5,
  });
  const person = participantRecord({ name: "Edge Person", email: "edge@example.org" });
  await db.collection("sessions").insertOne(session);
  await db.collection("participants").insertOne(person);
  const { token } = await createToken(db, "deno edge", "scanner");
  await client.close();
  // Exactly the script package.json gives operators.
  const script = (
    JSON.parse(await Bun.file(join(ROOT, "package.json")).text()) as { scripts: Record<string, string> }
  ).scripts["serve:deno"] as string;
  const proc = Bun.spawn(["bash", "-c", script], {
    cwd: ROOT,
    env: { ...instanceEnvironment, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}` },
    stdout: "ignore",
    stderr: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  let ready = 0;
  for (let i = 0; i < 120 && ready !== 200; i++) {
    await Bun.sleep(250);
    ready = await fetch(`${url}/api/v1/health/ready`)
      .then((r) => r.status)
      .catch(() => 0);
  }
  expect(ready).toBe(200);
  const css = await fetch(`${url}/assets/app.css`);
  expect(css.headers.get("content-type")).toContain("text/css");
  expect((await fetch(`${url}/assets/scanner.js`)).status).toBe(200);
  const login = await fetch(`${url}/login`);
  expect(await login.text()).toContain("<form");
  const scanned = await fetch(`${url}/api/v1/scan`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ qrCode: person.qrCode, sessionId: String(session._id), acceptUnregistered: true }),
  });
  expect(((await scanned.json()) as { data: { reason: string } }).data.reason).toBe("ok");
  expect(await (await fetch(`${url}/metrics`)).text()).toContain('instance="deno-edge"');
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
}, 60_000);

test("a dashboard socket on the Deno instance hears a scan made on a Bun instance", async () => {
  const { freePort } = await import("../../helpers/env");
  const { createToken } = await import("../../../src/auth/store");
  const { sessionRecord } = await import("../../../src/sessions/repo");
  const { participantRecord } = await import("../../../src/participants/repo");
  const { servedInProcess } = await import("../../helpers/instance");
  const port = await freePort();
  const { client, db } = await openDb(String(env.MONGODB_DB));
  const session = sessionRecord({
    name: "Mixed room",
    startTime: new Date(Date.now() - 60_000),
    endTime: new Date(Date.now() + 3_600_000),
    status: "open",
    capacity: 5,
  });
  const person = participantRecord({ name: "Mixed Person", email: "mixed@example.org" });
  await db.collection("sessions").insertOne(session);
  await db.collection("participants").insertOne(person);
  const viewer = (await createToken(db, "deno viewer", "viewer")).token;
  const scanner = (await createToken(db, "bun scanner", "scanner")).token;
  await client.close();
  const deno = Bun.spawn(
    [join(ROOT, "node_modules/.bin/deno"), "run", "-A", "--unstable-sloppy-imports", "src/deno.ts"],
    {
      cwd: ROOT,
      env: { ...(env as Record<string, string>), PORT: String(port), INSTANCE_ID: "deno-mixed" },
      stdout: "ignore",
      stderr: "ignore",
    },
  );
  const bun = await servedInProcess(env);
  try {
    let ready = 0;
    for (let i = 0; i < 120 && ready !== 200; i++) {
      await Bun.sleep(250);
      ready = await fetch(`http://127.0.0.1:${port}/api/v1/health/ready`)
        .then((r) => r.status)
        .catch(() => 0);
    }
    expect(ready).toBe(200);
    // Anonymous: refused before any upgrade.
    const anonymous = await new Promise<string>((resolve) => {
      const attempt = new WebSocket(`ws://127.0.0.1:${port}/ws?topics=overview`);
      attempt.onopen = () => resolve("opened");
      attempt.onerror = () => resolve("refused");
      setTimeout(() => resolve("no answer"), 5000);
    });
    expect(anonymous).toBe("refused");
    const messages: string[] = [];
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?topics=session:${session._id}`, {
      headers: { authorization: `Bearer ${viewer}` },
    } as never);
    socket.onmessage = (event) => messages.push(String(event.data));
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    await Bun.sleep(300);
    const before = messages.length;
    const scanned = await fetch(`${bun.served.url}/api/v1/scan`, {
      method: "POST",
      headers: { authorization: `Bearer ${scanner}`, "content-type": "application/json" },
      body: JSON.stringify({
        qrCode: person.qrCode,
        sessionId: String(session._id),
        acceptUnregistered: true,
      }),
    });
    expect(scanned.status).toBe(200);
    for (let i = 0; i < 40 && !messages.slice(before).some((m) => m.includes("Mixed Person")); i++)
      await Bun.sleep(100);
    expect(messages.slice(before).some((m) => m.includes("Mixed Person"))).toBe(true);
    socket.close();
    // And the other way: a scan through the Deno instance reaches a dashboard on the Bun one.
    const heard: string[] = [];
    const onBun = new WebSocket(`${bun.served.url.replace("http", "ws")}/ws?topics=session:${session._id}`, {
      headers: { authorization: `Bearer ${viewer}` },
    } as never);
    onBun.onmessage = (event) => heard.push(String(event.data));
    await new Promise((resolve, reject) => {
      onBun.onopen = resolve;
      onBun.onerror = reject;
    });
    await Bun.sleep(500);
    // Whatever the socket got on opening is behind us: only the Deno-side change can add to it.
    const baseline = heard.length;
    const exitThroughDeno = await fetch(`http://127.0.0.1:${port}/api/v1/scan`, {
      method: "POST",
      headers: { authorization: `Bearer ${scanner}`, "content-type": "application/json" },
      body: JSON.stringify({ qrCode: person.qrCode, sessionId: String(session._id), direction: "exit" }),
    });
    expect(((await exitThroughDeno.json()) as { data: { outcome: string } }).data.outcome).toBe("left");
    for (let i = 0; i < 40 && heard.length === baseline; i++) await Bun.sleep(100);
    expect(heard.length).toBeGreaterThan(baseline);
    onBun.close();
  } finally {
    deno.kill("SIGTERM");
    await deno.exited;
    await bun.stop();
  }
}, 60_000);
