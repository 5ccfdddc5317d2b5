import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Db, MongoClient } from "mongodb";
import { type Instance, spawnInstance, stopProcess } from "../../../deploy/local/cluster";
import { freePort, instanceEnv, stackEnv, TEST_LOGS } from "../../helpers/env";
import { participantDoc, postJson, seededRoom, sessionDoc } from "../../helpers/fixtures";
import { type OwnStack, portBlock, startOwnStack } from "../../helpers/stack";

// Redis in the shape that survives losing its primary (a primary, a replica, three Sentinels,
// started by stack.sh). Doors scan through two instances; the primary is killed (-9) mid-load.
// Sentinel promotes the replica, the instances follow it on their own, and the door state the
// replica may hold stale is dropped and rebuilt: nothing acknowledged lost, nobody twice, the
// room never over capacity, only 503s in words while it moves, back within 10 s.

const CAPACITY = 150;
const DOORS = 8;
const people = Array.from({ length: 400 }, (_, i) => participantDoc(i));
const session = sessionDoc({ name: "Failover room", capacity: CAPACITY });
let redis: OwnStack;
let env: Record<string, string | undefined>;
let instances: Instance[] = [];
let client: MongoClient;
let db: Db;
let auth: Record<string, string>;

beforeAll(async () => {
  redis = startOwnStack({
    STACK_REDIS: "sentinel",
    STACK_REDIS_PORT: String(portBlock()),
    REDIS_URL: "",
    MONGODB_URI: stackEnv().MONGODB_URI,
  });
  const { REDIS_URL: _suiteRedis, ...rest } = instanceEnv("failover", {
    DISTRIBUTED_LOCK_MODE: "strict",
    REDIS_SENTINELS: String(redis.vars.REDIS_SENTINELS),
    REDIS_SENTINEL_NAME: String(redis.vars.REDIS_SENTINEL_NAME),
  });
  env = rest;
  ({ client, db, auth } = await seededRoom(env, session, people));
  instances = await Promise.all(
    [0, 1].map(async () => spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env })),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(instances.map((i) => stopProcess(i.proc)));
  await db?.dropDatabase();
  await client?.close();
  // A Sentinel takes a few seconds to leave after a failover.
  redis?.stop();
}, 60_000);

interface Answer {
  at: number;
  status: number;
  outcome?: string;
  message?: string;
  participant: number;
}

const primaryOf = async (instance: Instance) =>
  (
    (await fetch(`${instance.url}/api/v1/health`).then((r) => r.json())) as {
      redis: { primary: string | null };
    }
  ).redis.primary;

test("the Redis primary is killed mid-load: the cluster follows Sentinel, exact, back within 10 s", async () => {
  const before = await primaryOf(instances[0] as Instance);
  expect(before).toMatch(/:\d+$/);
  const answers: Answer[] = [];
  // Every badge is scanned at two doors (on different instances), each scan retried on a 503
  // with its nonce, as a door does.
  const queue = people.flatMap((_, i) => [i, i]);
  let next = 0;
  let killedAt = 0;
  // A cluster that never comes back fails the test in words, with the Sentinels' view, rather
  // than running into the test's timeout.
  const deadline = Date.now() + 90_000;
  const door = async (d: number) => {
    while (next < queue.length && Date.now() < deadline) {
      const i = queue[next++] as number;
      const nonce = `failover-${i}-${d}`;
      for (let tries = 0; tries < 200 && Date.now() < deadline; tries++) {
        const r = await postJson(
          `${instances[(i + d) % 2]?.url}/api/v1/scan`,
          { qrCode: people[i]?.qrCode, sessionId: String(session._id), nonce },
          auth,
        ).catch(() => ({ status: 0, body: {} as Record<string, never> }));
        answers.push({
          at: Date.now(),
          status: r.status,
          outcome: r.body.data?.outcome,
          message: r.body.message,
          participant: i,
        });
        if (r.status !== 503) break;
        await Bun.sleep(100);
      }
      // Slow enough that the kill lands mid-load.
      await Bun.sleep(20);
    }
  };
  const killer = (async () => {
    while (answers.filter((a) => a.outcome === "accept").length < 40 && Date.now() < deadline)
      await Bun.sleep(10);
    if (Date.now() >= deadline) return;
    const pid = Number(readFileSync(join(redis.dir, "run/redis.pid"), "utf8"));
    killedAt = Date.now();
    process.kill(pid, "SIGKILL");
  })();
  await Promise.all([killer, ...Array.from({ length: DOORS }, (_, d) => door(d))]);
  if (Date.now() >= deadline) {
    const sentinelLog = readFileSync(join(redis.dir, "logs/sentinel-1.log"), "utf8").split("\n").slice(-30);
    const seen = new Map(answers.map((a) => [`${a.status} ${a.outcome ?? a.message}`, a.at]));
    console.log(
      `failover: not over in 90 s (killed: ${killedAt > 0}); answers seen: ${[...seen.keys()].join(" | ")}; ` +
        `the first Sentinel's log ends:\n${sentinelLog.join("\n")}`,
    );
  }
  expect(killedAt).toBeGreaterThan(0);
  expect(Date.now()).toBeLessThan(deadline);

  const after = answers.filter((a) => a.at >= killedAt);
  const failed = after.filter((a) => a.status !== 200);
  const firstFailure = failed[0];
  const lastFailure = failed.at(-1);
  // Back: the first success after the last failure (a scan already past Redis may succeed in between).
  const firstSuccessAfterFailure = after.find(
    (a) => a.status === 200 && lastFailure && a.at > lastFailure.at,
  );
  const byStatus: Record<string, number> = {};
  for (const a of failed) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  console.log(
    `failover: first failed scan ${firstFailure ? firstFailure.at - killedAt : "none"} ms after the kill, ` +
      `last ${lastFailure ? lastFailure.at - killedAt : "none"} ms, ` +
      `first success after that ${firstSuccessAfterFailure ? firstSuccessAfterFailure.at - killedAt : "n/a"} ms, ` +
      `failed by status ${JSON.stringify(byStatus)}, ${answers.length} answers in all`,
  );

  // Only 503s in words while it moves, never a 500 or a dropped connection.
  for (const a of failed) {
    expect(a.status).toBe(503);
    expect(a.message).toContain("Redis");
  }
  expect(firstSuccessAfterFailure === undefined || firstSuccessAfterFailure.at - killedAt <= 10_000).toBe(
    true,
  );
  // Everything after the kill was answered with a 200 in the end.
  expect(answers.at(-1)?.status).toBe(200);

  const docs = await db.collection("checkins").find({ sessionId: session._id }).toArray();
  const stored = new Set(docs.map((d) => String(d.participantId)));
  // Nothing acknowledged lost, nobody twice, never over capacity (400 people want 150 seats: full).
  for (const a of answers.filter((x) => x.status === 200 && x.outcome === "accept"))
    expect(stored.has(String(people[a.participant]?._id))).toBe(true);
  expect(stored.size).toBe(docs.length);
  expect(docs.length).toBe(CAPACITY);
  expect(new Set(docs.map((d) => d.seat)).size).toBe(CAPACITY);

  // Both instances name the promoted replica as their primary, and count what MongoDB holds.
  for (const instance of instances) {
    expect(await primaryOf(instance)).not.toBe(before);
    const body = (await fetch(`${instance.url}/api/v1/sessions/${session._id}`, { headers: auth }).then((r) =>
      r.json(),
    )) as { data: { checkInsCount: number } };
    expect(body.data.checkInsCount).toBe(CAPACITY);
  }
  const metrics = await fetch(`${instances[0]?.url}/metrics`).then((r) => r.text());
  expect(metrics).toMatch(/checkin_redis_primary_changes\{[^}]*\} 1/);
}, 180_000);
