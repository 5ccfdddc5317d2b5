import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import type { Db, MongoClient } from "mongodb";
import { type Instance, spawnInstance, stopProcess } from "../../../deploy/local/cluster";
import { relayTo, type TcpProxy } from "../../../deploy/local/tcp-proxy";
import { freePort, instanceEnv, stackEnv, TEST_LOGS } from "../../helpers/env";
import { participantDoc, postJson, seededRoom, sessionDoc } from "../../helpers/fixtures";

// Redis goes away and comes back empty (a restart without persistence) while doors
// scan, in strict mode: during the outage scans answer 503 in words, never 500; once
// Redis answers, the instances rebuild their state from MongoDB by themselves and the
// room still holds exactly its capacity, nobody twice, counts equal to the documents.

const CAPACITY = 30;
const env = instanceEnv("redisrestart", { DISTRIBUTED_LOCK_MODE: "strict" });
const session = sessionDoc({ name: "Restart room", capacity: CAPACITY });
const people = Array.from({ length: 100 }, (_, i) => participantDoc(i));
let proxy: TcpProxy;
let instances: Instance[] = [];
let client: MongoClient;
let db: Db;
let auth: Record<string, string>;

beforeAll(async () => {
  ({ client, db, auth } = await seededRoom(env, session, people));
  proxy = relayTo(stackEnv().REDIS_URL, await freePort());
  const viaProxy = { ...env, REDIS_URL: `redis://127.0.0.1:${proxy.port}` };
  instances = await Promise.all(
    [0, 1].map(async () => spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env: viaProxy })),
  );
});

afterAll(async () => {
  await Promise.all(instances.map((i) => stopProcess(i.proc)));
  proxy.stop();
  await db.dropDatabase();
  await client.close();
});

const scan = (i: number) =>
  postJson(
    `${instances[i % 2]?.url}/api/v1/scan`,
    { qrCode: people[i]?.qrCode, sessionId: String(session._id), nonce: `restart-${i}` },
    auth,
  );

test("Redis restarts empty mid-burst: 503 in words while away, rebuilt by itself, capacity exact", async () => {
  for (let i = 0; i < 20; i++) expect((await scan(i)).body.data.outcome).toBe("accept");

  proxy.stop();
  // Its data is gone: what this deployment kept in Redis is deleted behind the instances' backs.
  const raw = new Redis(stackEnv().REDIS_URL);
  const keys = await raw.keys(`checkin:${env.MONGODB_DB}:*`);
  if (keys.length > 0) await raw.del(...keys);
  raw.disconnect();
  const during = await Promise.all([20, 21, 22, 23].map(scan));
  for (const answer of during) {
    expect(answer.status).toBe(503);
    expect(answer.body.message).toContain("Redis");
  }
  expect(await db.collection("checkins").countDocuments({})).toBe(20);

  proxy.start();
  const answers = [];
  for (let i = 20; i < people.length; i++) {
    let answer = await scan(i);
    for (let tries = 0; answer.status === 503 && tries < 100; tries++) {
      await Bun.sleep(100);
      answer = await scan(i);
    }
    expect(answer.status).toBe(200);
    answers.push(answer.body.data);
  }
  expect(answers.filter((a) => a.outcome === "accept").length).toBe(CAPACITY - 20);
  for (const a of answers.filter((x) => x.outcome !== "accept")) expect(a.reason).toBe("session_full");

  const docs = await db.collection("checkins").find({}).toArray();
  expect(docs.length).toBe(CAPACITY);
  expect(new Set(docs.map((d) => String(d.participantId))).size).toBe(CAPACITY);
  expect(new Set(docs.map((d) => d.seat)).size).toBe(CAPACITY);
  for (const instance of instances) {
    const body = (await fetch(`${instance.url}/api/v1/sessions/${session._id}`, { headers: auth }).then((r) =>
      r.json(),
    )) as { data: { checkInsCount: number } };
    expect(body.data.checkInsCount).toBe(CAPACITY);
  }
}, 120_000);
