import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db, MongoClient } from "mongodb";
import { type Instance, spawnInstance, stopProcess } from "../../../deploy/local/cluster";
import { relaysTo, type TcpProxy } from "../../../deploy/local/tcp-proxy";
import { freePort, instanceEnv, stackEnv, TEST_LOGS } from "../../helpers/env";
import { participantDoc, postJson, seededRoom, sessionDoc } from "../../helpers/fixtures";

// Both dependencies turn slow (200 ms added to every answer of Redis and of MongoDB):
// scans still answer, correctly and well within the time-outs (no hang), and the room
// stays exact; when the latency goes, so does the delay.

const env = instanceEnv("slowdeps");
const session = sessionDoc({ name: "Slow room", capacity: 5 });
const people = Array.from({ length: 8 }, (_, i) => participantDoc(i));
let redisProxy: TcpProxy;
let mongoProxy: TcpProxy;
let instance: Instance;
let client: MongoClient;
let db: Db;
let auth: Record<string, string>;

beforeAll(async () => {
  ({ client, db, auth } = await seededRoom(env, session, people));
  ({ redisProxy, mongoProxy } = relaysTo(stackEnv(), [await freePort(), await freePort()]));
  instance = await spawnInstance({
    port: await freePort(),
    logDir: TEST_LOGS,
    env: {
      ...env,
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
      MONGODB_URI: `mongodb://127.0.0.1:${mongoProxy.port}/${env.MONGODB_DB}`,
    },
  });
});

afterAll(async () => {
  await stopProcess(instance.proc);
  redisProxy.stop();
  mongoProxy.stop();
  await db.dropDatabase();
  await client.close();
});

const scan = async (i: number) => {
  const started = Date.now();
  const answer = await postJson(
    `${instance.url}/api/v1/scan`,
    { qrCode: people[i]?.qrCode, sessionId: String(session._id), nonce: `slowdeps-${i}` },
    auth,
  );
  return { ...answer, ms: Date.now() - started };
};

test("200 ms on every Redis and MongoDB answer: right answers, no hang, exact room", async () => {
  expect((await scan(0)).body.data.outcome).toBe("accept");
  redisProxy.latencyMs = 200;
  mongoProxy.latencyMs = 200;
  const slow = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(scan));
  for (const answer of slow) {
    expect(answer.status).toBe(200);
    // Far below any time-out a door would notice as a hang (the HTTP proxy gives up at 10 s).
    expect(answer.ms).toBeLessThan(8000);
  }
  expect(slow.filter((a) => a.body.data.outcome === "accept").length).toBe(4);
  expect(slow.filter((a) => a.body.data.reason === "session_full").length).toBe(3);
  redisProxy.latencyMs = 0;
  mongoProxy.latencyMs = 0;
  const again = await scan(0);
  expect(again.body.data.replayed).toBe(true);
  expect(await db.collection("checkins").countDocuments({})).toBe(5);
}, 120_000);

test("Redis slower than its time-out: a 503 in words within seconds, not a hang; fine again once it is quick", async () => {
  redisProxy.latencyMs = 3500;
  const started = Date.now();
  const answer = await postJson(
    `${instance.url}/api/v1/scan`,
    { qrCode: people[7]?.qrCode, sessionId: String(session._id), nonce: "slowdeps-timeout" },
    auth,
  );
  const ms = Date.now() - started;
  redisProxy.latencyMs = 0;
  expect(answer.status).toBe(503);
  expect(String(answer.body.message)).toContain("Redis");
  // REDIS_COMMAND_TIMEOUT (3 s) and a little: well inside the door's and Nginx's patience.
  expect(ms).toBeLessThan(8000);
  await Bun.sleep(3600);
  const back = await scan(0);
  expect(back.status).toBe(200);
  expect(await db.collection("checkins").countDocuments({})).toBe(5);
}, 60_000);

test("Redis slower than its time-out: /metrics still answers inside Prometheus' scrape timeout, however many sessions are open", async () => {
  await db
    .collection("sessions")
    .insertMany(Array.from({ length: 6 }, (_, i) => sessionDoc({ name: `Slow open room ${i}` })));
  redisProxy.latencyMs = 3500;
  const started = Date.now();
  // Prometheus gives up on a scrape after 10 s (and the instance then looks down).
  const response = await fetch(`${instance.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const ms = Date.now() - started;
  const text = await response.text();
  redisProxy.latencyMs = 0;
  expect(response.status).toBe(200);
  expect(ms).toBeLessThan(10_000);
  expect(text).toContain("checkin_");
}, 60_000);
