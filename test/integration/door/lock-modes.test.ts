import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import type { Db, MongoClient } from "mongodb";
import { type Instance, spawnInstance, stopProcess } from "../../../deploy/local/cluster";
import { relayTo, type TcpProxy } from "../../../deploy/local/tcp-proxy";
import { freePort, instanceEnv, stackEnv, TEST_LOGS } from "../../helpers/env";
import {
  openDb,
  participantDoc,
  postJson,
  registrationDoc,
  sessionDoc,
  tokenHeaders,
} from "../../helpers/fixtures";

// Redis goes away: strict mode refuses scans with a clear 503, degraded mode keeps
// admitting on MongoDB guards alone, and neither oversells.

const env = instanceEnv("lockmodes");
let proxy: TcpProxy;
let strict: Instance;
let degraded: Instance;
let degradedToo: Instance;
let client: MongoClient;
let db: Db;
let auth: Record<string, string>;
const session = sessionDoc({ capacity: 5 });
const people = Array.from({ length: 12 }, (_, i) => participantDoc(i));

beforeAll(async () => {
  ({ client, db } = await openDb(String(env.MONGODB_DB)));
  auth = await tokenHeaders(db, "scanner");
  await db.collection("sessions").insertOne(session);
  await db.collection("participants").insertMany(people);
  await db.collection("registrations").insertMany(people.map((p) => registrationDoc(p._id, session._id)));
  proxy = relayTo(stackEnv().REDIS_URL, await freePort());
  const viaProxy = { REDIS_URL: `redis://127.0.0.1:${proxy.port}` };
  const degradedInstance = async () =>
    spawnInstance({
      port: await freePort(),
      logDir: TEST_LOGS,
      env: { ...env, ...viaProxy, DISTRIBUTED_LOCK_MODE: "degraded" },
    });
  degradedToo = await degradedInstance();
  [strict, degraded] = await Promise.all([
    spawnInstance({
      port: await freePort(),
      logDir: TEST_LOGS,
      env: { ...env, ...viaProxy, DISTRIBUTED_LOCK_MODE: "strict" },
    }),
    spawnInstance({
      port: await freePort(),
      logDir: TEST_LOGS,
      env: { ...env, ...viaProxy, DISTRIBUTED_LOCK_MODE: "degraded" },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([stopProcess(strict.proc), stopProcess(degraded.proc), stopProcess(degradedToo.proc)]);
  proxy.stop();
  await db.dropDatabase();
  await client.close();
});

const scan = (instance: Instance, qrCode: string) =>
  postJson(`${instance.url}/api/v1/scan`, { qrCode, sessionId: String(session._id) }, auth);

test("without Redis: strict refuses with 503, degraded admits exactly up to capacity", async () => {
  proxy.stop();
  const refused = await scan(strict, people[0]?.qrCode as string);
  expect(refused.status).toBe(503);
  expect(refused.body.message).toContain("Redis");
  expect(await db.collection("checkins").countDocuments({})).toBe(0);
  // Counted and timed all the same: the alerts on failing and slow scans see it.
  const metrics = await (await fetch(`${strict.url}/metrics`)).text();
  expect(metrics).toMatch(/checkins_total\{[^}]*outcome="error",reason="503"[^}]*\} 1/);
  expect(metrics).toMatch(/scan_decision_duration_seconds_count(\{[^}]*\})? [1-9]/);

  const answers = await Promise.all(people.map((p) => scan(degraded, p.qrCode)));
  for (const answer of answers) expect(answer.status).toBe(200);
  const outcomes = answers.map((a) => a.body.data.outcome);
  expect(outcomes.filter((o) => o === "accept").length).toBe(5);
  expect(outcomes.filter((o) => o === "refuse").length).toBe(7);
  const docs = await db.collection("checkins").find({ sessionId: session._id }).toArray();
  expect(docs.length).toBe(5);
  expect(new Set(docs.map((d) => d.seat)).size).toBe(5);

  // Someone degraded mode turned away (which five got in depends on the race).
  const outsider = people[outcomes.indexOf("refuse")]?.qrCode as string;
  proxy.start();
  // Back online, the seat list is rebuilt from MongoDB: still no sixth seat.
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = (await scan(strict, outsider)).status;
    if (status !== 200) await Bun.sleep(200);
  }
  const after = await scan(strict, outsider);
  expect(after.status).toBe(200);
  expect(after.body.data.reason).toBe("session_full");
});

test("without Redis, two degraded instances scanning one room at once seat exactly its capacity, nobody twice", async () => {
  // Each instance hands out seats from a list it read a moment ago: the lists overlap, and the
  // unique seat index must turn every collision into another seat, never a second holder.
  const room = sessionDoc({ capacity: 20 });
  const crowd = Array.from({ length: 60 }, (_, i) => participantDoc(100 + i));
  await db.collection("sessions").insertOne(room);
  await db.collection("participants").insertMany(crowd);
  await db.collection("registrations").insertMany(crowd.map((p) => registrationDoc(p._id, room._id)));
  proxy.stop();
  try {
    const answers = await Promise.all(
      crowd.flatMap((p) =>
        [degraded, degradedToo].map((instance) =>
          postJson(`${instance.url}/api/v1/scan`, { qrCode: p.qrCode, sessionId: String(room._id) }, auth),
        ),
      ),
    );
    for (const answer of answers) expect(answer.status).toBe(200);
    const docs = await db.collection("checkins").find({ sessionId: room._id }).toArray();
    expect(docs.length).toBe(20);
    expect(new Set(docs.map((d) => d.seat)).size).toBe(20);
    expect(new Set(docs.map((d) => String(d.participantId))).size).toBe(20);
    for (const d of docs) expect(d.seat as number).toBeLessThan(20);
    // Each admitted person was answered "accept" once, by one of the two doors.
    const accepted = answers.filter((a) => a.body.data.outcome === "accept");
    expect(accepted.length).toBe(20);
  } finally {
    proxy.start();
    // The next test needs the strict instance on Redis again.
    for (let i = 0; i < 50 && (await scan(strict, people[0]?.qrCode as string)).status !== 200; i++)
      await Bun.sleep(200);
  }
});

test("Redis full (maxmemory, noeviction): strict refuses with 503 saying so, nothing written; room again once it has space", async () => {
  const raw = new Redis(stackEnv().REDIS_URL);
  const [, policy] = (await raw.config("GET", "maxmemory-policy")) as string[];
  const before = await db.collection("checkins").countDocuments({});
  // A room with space, so an admission needs writes (a refusal needs none and still answers).
  const roomy = sessionDoc({ capacity: 50 });
  const newcomer = participantDoc(50);
  await db.collection("sessions").insertOne(roomy);
  await db.collection("participants").insertOne(newcomer);
  await db.collection("registrations").insertOne(registrationDoc(newcomer._id, roomy._id));
  const admit = () =>
    postJson(`${strict.url}/api/v1/scan`, { qrCode: newcomer.qrCode, sessionId: String(roomy._id) }, auth);
  try {
    await raw.config("SET", "maxmemory-policy", "noeviction");
    await raw.config("SET", "maxmemory", "1");
    const refused = await admit();
    expect(refused.status).toBe(503);
    expect(refused.body.message).toContain("out of memory");
    expect(await db.collection("checkins").countDocuments({})).toBe(before);
  } finally {
    await raw.config("SET", "maxmemory", "0");
    await raw.config("SET", "maxmemory-policy", policy ?? "noeviction");
    raw.disconnect();
  }
  expect((await admit()).body.data.outcome).toBe("accept");
});
