import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db } from "mongodb";
import { type Instance, spawnInstance } from "../../../deploy/local/cluster";
import { COALESCE_MS } from "../../../src/live/hub";
import { freePort, TEST_LOGS } from "../../helpers/env";
import {
  participantDoc,
  postJson,
  registrationDoc,
  seededInstances,
  sessionDoc,
} from "../../helpers/fixtures";

// Live fan-out across instances: a scan on A reaches a dashboard socket on B.

let a: Instance;
let b: Instance;
let cluster: Awaited<ReturnType<typeof seededInstances>>;
let env: Record<string, string | undefined>;
let db: Db;
let auth: Record<string, string>;
const session = sessionDoc({ name: "Live room", capacity: 50 });
const people = Array.from({ length: 40 }, (_, i) => participantDoc(i));

beforeAll(async () => {
  cluster = await seededInstances("live", 2, {
    sessions: [session],
    participants: people,
    registrations: people.map((p) => registrationDoc(p._id, session._id)),
  });
  ({ env, db, auth } = cluster);
  [a, b] = cluster.instances as [Instance, Instance];
});

afterAll(() => cluster.stop());

interface Received {
  at: number;
  text: string;
}

function subscribe(instance: Instance, topics: string): Promise<{ messages: Received[]; socket: WebSocket }> {
  // Bun lets a WebSocket client send headers: the dashboard token.
  const socket = new WebSocket(`${instance.url.replace("http", "ws")}/ws?topics=${topics}`, {
    headers: auth,
  } as never);
  const messages: Received[] = [];
  socket.addEventListener("message", (event) => messages.push({ at: Date.now(), text: String(event.data) }));
  return new Promise((resolve, reject) => {
    socket.addEventListener("open", () => resolve({ messages, socket }));
    socket.addEventListener("error", () => reject(new Error("websocket failed")));
  });
}

async function waitFor(
  messages: Received[],
  predicate: (text: string) => boolean,
  ms = 5000,
): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const hit = messages.find((m) => predicate(m.text));
    if (hit) return hit.text;
    await Bun.sleep(20);
  }
  throw new Error(
    `no matching message in ${ms} ms; got ${messages.length}: ${messages.at(-1)?.text.slice(0, 300)}`,
  );
}

const scanOn = (instance: Instance, i: number) =>
  postJson(
    `${instance.url}/api/v1/scan`,
    {
      qrCode: people[i]?.qrCode,
      sessionId: String(session._id),
      device: "Door A",
    },
    auth,
  );

const countIn = (text: string) => /<strong>(\d+) \/ 50<\/strong>/.exec(text)?.[1];

test("a check-in on A reaches a session dashboard on B, snapshot first", async () => {
  const { messages, socket } = await subscribe(b, `session:${session._id}`);
  const snapshot = await waitFor(messages, (t) => t.includes(`id="live-${session._id}"`));
  expect(countIn(snapshot)).toBe("0");
  expect(snapshot).toContain('hx-swap-oob="true"');

  const scanned = await scanOn(a, 0);
  expect(scanned.body.data.outcome).toBe("accept");
  const update = await waitFor(messages, (t) => countIn(t) === "1");
  expect(update).toContain(people[0]?.name as string);
  expect(update).toContain("Door A");
  expect(update).toContain(`id="chart-${session._id}"`);
  socket.close();
});

test("the overview on A hears about a scan on B", async () => {
  const { messages, socket } = await subscribe(a, "overview");
  await waitFor(messages, (t) => t.includes(`id="row-${session._id}"`));
  await scanOn(b, 1);
  const row = await waitFor(messages, (t) => t.includes(`id="row-${session._id}"`) && t.includes("2 / 50"));
  expect(row).toContain("Live room");
  socket.close();
});

test("a burst is coalesced but the last message shows the final count; a reconnect gets it at once", async () => {
  const { messages, socket } = await subscribe(b, `session:${session._id}`);
  await waitFor(messages, (t) => countIn(t) === "2");
  const start = Date.now();
  const burst = await Promise.all(Array.from({ length: 30 }, (_, k) => scanOn(k % 2 ? a : b, k + 2)));
  expect(burst.every((r) => r.body.data.outcome === "accept")).toBe(true);
  await waitFor(messages, (t) => countIn(t) === "32");
  await Bun.sleep(600);
  const during = messages.filter((m) => m.at >= start);
  const elapsedS = (Date.now() - start) / 1000;
  // At most one message per coalescing window, plus the leading and the trailing edge.
  expect(during.length).toBeLessThanOrEqual(Math.ceil((elapsedS * 1000) / COALESCE_MS) + 2);
  expect(during.length).toBeLessThan(30);
  expect(countIn(during.at(-1)?.text ?? "")).toBe("32");
  socket.close();

  const again = await subscribe(a, `session:${session._id}`);
  expect(countIn(await waitFor(again.messages, (t) => countIn(t) !== undefined))).toBe("32");
  again.socket.close();
});

test("an undo and a check-out update inside-now and the count", async () => {
  const { messages, socket } = await subscribe(b, `session:${session._id}`);
  await waitFor(messages, (t) => countIn(t) === "32");
  const docs = await db.collection("checkins").find({ sessionId: session._id }).limit(2).toArray();
  const [first, second] = docs;
  await fetch(`${a.url}/api/v1/checkin/${first?._id}`, { method: "DELETE", headers: auth });
  await fetch(`${a.url}/api/v1/checkin/${second?._id}/checkout`, { method: "POST", headers: auth });
  const text = await waitFor(
    messages,
    (t) => countIn(t) === "31" && /<dt>Inside now<\/dt><dd>30<\/dd>/.test(t),
  );
  expect(text).toContain("<dt>Inside now</dt><dd>30</dd>");
  socket.close();
});

test("a change made while nobody watched is not timed as a delivery by a later dashboard's first renders", async () => {
  // Nobody watches on A when this scan lands (B's sockets from earlier tests are closed).
  const scanned = await scanOn(b, 35);
  expect(scanned.body.data.outcome).toBe("accept");
  await Bun.sleep(COALESCE_MS * 3);
  const connectedAt = Date.now();
  const { messages, socket } = await subscribe(a, `session:${session._id}`);
  // The snapshot, and the render the hub makes right after a socket opens.
  await waitFor(messages, (t) => countIn(t) !== undefined);
  await Bun.sleep(COALESCE_MS * 3);
  const stamps = messages
    .flatMap((m) => [...(/data-changed-at="(\d+)"/.exec(m.text)?.slice(1) ?? [])])
    .map(Number);
  // A change time on a message says "this just happened": here it would have been the old scan.
  expect(stamps.filter((at) => at < connectedAt)).toEqual([]);
  // A change while it watches is stamped, and arrives.
  await scanOn(b, 36);
  const fresh = await waitFor(messages, (t) => /data-changed-at="\d+"/.test(t));
  expect(Number(/data-changed-at="(\d+)"/.exec(fresh)?.[1])).toBeGreaterThanOrEqual(connectedAt);
  socket.close();
});

test("unknown topics are refused", async () => {
  const socket = new WebSocket(`${a.url.replace("http", "ws")}/ws?topics=secret`, { headers: auth } as never);
  const code = await new Promise<number>((resolve) =>
    socket.addEventListener("close", (e) => resolve(e.code)),
  );
  expect(code).toBe(1008);
});

test("SIGTERM closes dashboard sockets with 1001 (clients reconnect elsewhere) and exits 0", async () => {
  const c = await spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env });
  const { socket } = await subscribe(c, `session:${session._id}`);
  const closed = new Promise<number>((resolve) => socket.addEventListener("close", (e) => resolve(e.code)));
  c.proc.kill("SIGTERM");
  expect(await closed).toBe(1001);
  expect(await c.proc.exited).toBe(0);
});

test("exits and re-entries on A move the 'people inside' chart on B", async () => {
  const room = sessionDoc({ name: "Coming and going", capacity: 0, capacityEnforced: false });
  await db.collection("sessions").insertOne(room);
  await db
    .collection("registrations")
    .insertMany(people.slice(0, 3).map((p) => registrationDoc(p._id, room._id)));
  const { messages, socket } = await subscribe(b, `session:${room._id}`);
  const move = (i: number, direction: "entry" | "exit") =>
    postJson(
      `${a.url}/api/v1/scan`,
      { qrCode: people[i]?.qrCode, sessionId: String(room._id), direction },
      auth,
    );
  for (const i of [0, 1, 2]) expect((await move(i, "entry")).body.data.outcome).toBe("accept");
  expect((await move(0, "exit")).status).toBe(200);
  expect((await move(1, "exit")).status).toBe(200);
  // One comes back: 2 inside now; the chart's last figure says so too.
  expect((await move(0, "entry")).body.data.reason).toBe("reentry");
  const insideFigures = (text: string) =>
    [
      ...(new RegExp(`id="inside-${room._id}"[\\s\\S]*?</figure>`).exec(text)?.[0] ?? "").matchAll(
        /<td class="num">(\d+)<\/td>/g,
      ),
    ].map((m) => Number(m[1]));
  const last = await waitFor(
    messages,
    (t) => insideFigures(t).at(-1) === 2 && t.includes("<dt>Inside now</dt><dd>2</dd>"),
  );
  expect(insideFigures(last).at(-1)).toBe(2);
  socket.close();
});

test("dashboards that close are counted out: ws_connections goes back down", async () => {
  const gauge = async () =>
    Number(
      /^ws_connections(?:\{[^}]*\})? (\d+)/m.exec(await (await fetch(`${a.url}/metrics`)).text())?.[1] ?? -1,
    );
  const before = await gauge();
  const opened = await Promise.all([
    subscribe(a, "overview"),
    subscribe(a, "overview"),
    subscribe(a, "overview"),
  ]);
  expect(await gauge()).toBe(before + 3);
  for (const { socket } of opened) socket.close();
  let now = -1;
  for (let i = 0; i < 50 && now !== before; i++) {
    await Bun.sleep(100);
    now = await gauge();
  }
  expect(now).toBe(before);
});
