import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createUser, seededInProcess, sessionDoc } from "../../helpers/fixtures";
import { type Served as Instance, inProcess } from "../../helpers/instance";

// The edges a hostile caller tries: a cookie copied before sign-out, guesses sent all at
// once, made-up tokens, and where each role lands. Two instances on one database.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  cluster = await seededInProcess(
    "holes",
    2,
    { sessions: [sessionDoc({ name: "Holes room" })] },
    {
      THROTTLE_LIMIT: "100",
    },
  );
  [a, b] = cluster.instances as [Instance, Instance];
});
afterAll(() => cluster.stop());

const login = (instance: Instance, email: string, password: string, headers: Record<string, string> = {}) =>
  fetch(`${instance.url}/login`, {
    method: "POST",
    redirect: "manual",
    headers,
    body: new URLSearchParams({ email, password }),
  });

async function signIn(email: string, password: string) {
  const response = await login(a, email, password);
  expect(response.status).toBe(303);
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  return { cookie, location: response.headers.get("location") };
}

const csrfOf = (cookie: string) => /checkin_csrf=([^;]+)/.exec(cookie)?.[1] ?? "";

describe("signing out", () => {
  test("a cookie copied before sign-out answers 401 on every instance, pages and sockets alike", async () => {
    const user = await createUser(cluster.db, "scanner", "leaves@example.org");
    const { cookie } = await signIn(user.email, user.password);
    const api = (instance: Instance) =>
      fetch(`${instance.url}/api/v1/sessions`, { headers: { cookie } }).then((r) => r.status);
    expect(await api(a)).toBe(200);
    expect(await api(b)).toBe(200);
    // A dashboard open on the other instance with the same cookie.
    const socket = new WebSocket(`${b.url.replace("http", "ws")}/ws?topics=overview`, {
      headers: { cookie },
    } as never);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    const closed = new Promise<number>((resolve) => {
      socket.onclose = (event) => resolve(event.code);
    });

    const out = await fetch(`${a.url}/logout`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "x-csrf-token": csrfOf(cookie) },
    });
    expect(out.status).toBe(303);

    expect(await closed).toBe(1008);
    expect(await api(a)).toBe(401);
    expect(await api(b)).toBe(401);
    const page = await fetch(`${b.url}/scan`, { headers: { cookie }, redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toStartWith("/login");
    const scan = await fetch(`${a.url}/api/v1/scan`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": csrfOf(cookie), "content-type": "application/json" },
      body: JSON.stringify({ qrCode: "ANY-CODE", sessionId: "0123456789abcdef01234567" }),
    });
    expect(scan.status).toBe(401);
    // A socket opened later with the old cookie is refused too.
    const late = await new Promise<string>((resolve) => {
      const socket = new WebSocket(`${b.url.replace("http", "ws")}/ws?topics=overview`, {
        headers: { cookie },
      } as never);
      socket.onopen = () => resolve("opened");
      socket.onerror = () => resolve("refused");
      setTimeout(() => resolve("no answer"), 5000);
    });
    expect(late).toBe("refused");
    // Signing in again gives a cookie that works.
    const again = await signIn(user.email, user.password);
    expect(
      await fetch(`${b.url}/api/v1/sessions`, { headers: { cookie: again.cookie } }).then((r) => r.status),
    ).toBe(200);
  });
});

describe("the sign-in lockout", () => {
  test("20 wrong passwords sent at once: only the allowed 5 are evaluated, the rest answer 429 in words", async () => {
    const user = await createUser(cluster.db, "viewer", "rushed@example.org");
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        login(a, user.email, "wrong-password").then(async (r) => ({
          status: r.status,
          text: await r.text(),
        })),
      ),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect(answers.find((r) => r.status === 429)?.text).toContain(
      "Too many failed sign-ins for this account",
    );
    // The right password is refused too while locked, on the other instance as well.
    expect((await login(b, user.email, user.password)).status).toBe(429);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  test("a right password gives its attempt back: it does not count toward the address's limit", async () => {
    const user = await createUser(cluster.db, "viewer", "regular@example.org");
    const from = { "x-real-ip": "198.51.100.77" };
    for (let i = 0; i < 25; i++) expect((await login(a, user.email, user.password, from)).status).toBe(303);
  });
});

describe("where each role lands", () => {
  test("a viewer's sign-in lands on /live, and / sends each role to its own first page", async () => {
    const viewer = await createUser(cluster.db, "viewer", "watcher@example.org");
    const scanner = await createUser(cluster.db, "scanner", "door-staff@example.org");
    const asViewer = await signIn(viewer.email, viewer.password);
    expect(asViewer.location).toBe("/live");
    expect((await fetch(`${a.url}/live`, { headers: { cookie: asViewer.cookie } })).status).toBe(200);
    const root = await fetch(`${a.url}/`, { headers: { cookie: asViewer.cookie }, redirect: "manual" });
    expect(root.headers.get("location")).toBe("/live");
    // A viewer sent to a door page after sign-in lands on a page of its own instead of a 403.
    const sent = await fetch(`${a.url}/login`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ email: viewer.email, password: viewer.password, next: "/scan" }),
    });
    expect(sent.headers.get("location")).toBe("/live");
    const asScanner = await signIn(scanner.email, scanner.password);
    expect(asScanner.location).toBe("/scan");
    const scannerRoot = await fetch(`${a.url}/`, {
      headers: { cookie: asScanner.cookie },
      redirect: "manual",
    });
    expect(scannerRoot.headers.get("location")).toBe("/scan");
  });
});

describe("made-up bearer tokens", () => {
  test("past the address's limit, a made-up token never reaches the database", async () => {
    // The driver reports every command it sends when the connection string asks it to.
    const uri = new URL(String(process.env.MONGODB_URI));
    uri.searchParams.set("monitorCommands", "true");
    const inst = await inProcess("holes-tokens", { THROTTLE_LIMIT: "20", MONGODB_URI: uri.toString() });
    try {
      const client = inst.rt.mongo.client;
      let lookups = 0;
      client.on("commandStarted", (event) => {
        if (event.commandName === "find" && (event.command as { find?: string }).find === "api_tokens")
          lookups++;
      });
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) {
        const response = await inst.app.handle(
          new Request("http://test.local/api/v1/sessions", {
            headers: {
              authorization: `Bearer ck_${crypto.randomUUID().replaceAll("-", "")}`,
              "x-real-ip": "203.0.113.10",
            },
          }),
        );
        statuses.push(response.status);
      }
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(21);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(39);
      expect(lookups).toBeLessThanOrEqual(21);
      expect(lookups).toBeGreaterThan(0);
      // Nothing about made-up tokens is kept in memory.
      expect(inst.tokens.remembered()).toBe(0);
    } finally {
      await inst.stop();
    }
  });

  test("are rate-limited per address, through the server", async () => {
    const from = { "x-real-ip": "203.0.113.9" };
    const statuses: number[] = [];
    for (let i = 0; i < 130; i++) {
      const token = `ck_${crypto.randomUUID().replaceAll("-", "")}${i}`;
      const response = await fetch(`${a.url}/api/v1/sessions`, {
        headers: { authorization: `Bearer ${token}`, ...from },
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 100).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(110)).toContain(429);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toHaveLength(0);
  });
});
