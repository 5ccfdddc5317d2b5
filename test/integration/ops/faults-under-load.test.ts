import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import Redis from "ioredis";
import type { Db, MongoClient } from "mongodb";
import { type Cluster, startCluster } from "../../../deploy/local/cluster";
import { type FaultFigures, type FaultLoad, underLoad } from "../../../deploy/local/fault-load";
import { managedPostgres, stackCommand } from "../../../deploy/local/stack-control";
import { relaysTo, type TcpProxy } from "../../../deploy/local/tcp-proxy";
import { freePort, instanceEnv, stackEnv, TEST_LOGS } from "../../helpers/env";
import { openDb, participantDoc, seedRoom, sessionDoc, tokenHeaders } from "../../helpers/fixtures";

// Each fault while eight doors scan through Nginx onto two instances, with Redis and
// MongoDB reached through relays the test can cut or slow: nothing acknowledged is lost,
// nobody is in twice or over capacity, the doors read a 503 in words (never a 500), and
// scans succeed again on their own once the dependency is back. Timings are printed, not
// asserted (the resilience benchmark records them).

const RATE = 50;
const SECONDS = 5;
const CAPACITY = 120;
const env = instanceEnv("faultload", { LOG_LEVEL: "error" });
let client: MongoClient;
let db: Db;
let auth: Record<string, string>;
let redisProxy: TcpProxy;
let mongoProxy: TcpProxy;
let raw: Redis;
const clusters: Cluster[] = [];

beforeAll(async () => {
  ({ client, db } = await openDb(String(env.MONGODB_DB)));
  auth = await tokenHeaders(db, "scanner");
  ({ redisProxy, mongoProxy } = relaysTo(stackEnv(), [await freePort(), await freePort()]));
  raw = new Redis(stackEnv().REDIS_URL);
});

afterAll(async () => {
  for (const cluster of clusters) await cluster.stop();
  redisProxy.stop();
  mongoProxy.stop();
  raw.disconnect();
  await db.dropDatabase();
  await client.close();
});

async function cluster(
  lockMode: "strict" | "degraded",
  extra: Record<string, string> = {},
): Promise<Cluster> {
  const started = await startCluster({
    ports: [await freePort(), await freePort()],
    nginxPort: await freePort(),
    dir: join(TEST_LOGS, `faultload-${lockMode}`),
    env: {
      ...env,
      ...extra,
      DISTRIBUTED_LOCK_MODE: lockMode,
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
      MONGODB_URI: `mongodb://127.0.0.1:${mongoProxy.port}/${env.MONGODB_DB}`,
    },
  });
  clusters.push(started);
  return started;
}

/** A room of its own, with more people than places, so capacity is tested under the fault. */
async function room(name: string) {
  const session = sessionDoc({ name, capacity: CAPACITY });
  const people = Array.from({ length: RATE * SECONDS }, (_, i) =>
    participantDoc(i, { name: `${name} ${i}` }),
  );
  await seedRoom(db, session, people);
  return { session, people };
}

async function scenario(
  name: string,
  target: Cluster,
  fault: FaultLoad["fault"],
  rate = RATE,
): Promise<FaultFigures> {
  const { session, people } = await room(name);
  // Each scenario starts from a cluster that answers (the one before may have just ended).
  for (const instance of target.instances) await untilReady(instance.url);
  const figures = await underLoad(name, {
    url: target.url,
    auth,
    db,
    session,
    people,
    rate,
    seconds: SECONDS,
    faultAtSeconds: 1.5,
    doors: 8,
    fault,
  });
  console.log(`fault under load: ${JSON.stringify(figures)}`);
  expect(figures.lostAcknowledged).toBe(0);
  expect(figures.duplicates).toBe(0);
  expect(figures.oversell).toBe(0);
  expect(figures.acknowledged).toBeGreaterThan(0);
  // Back on its own: a scan after the dependency's return succeeded.
  expect(figures.msBackToFirstSuccess).not.toBeNull();
  // Counts equal the documents on every instance once it is over.
  const stored = await db.collection("checkins").countDocuments({ sessionId: session._id });
  for (const instance of target.instances) {
    const stats = await fetch(`${instance.url}/api/v1/sessions/${session._id}`, { headers: auth });
    const body = (await stats.json()) as { data: { checkInsCount?: number } };
    expect(body.data.checkInsCount).toBe(stored);
  }
  return figures;
}

async function untilReady(url: string) {
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${url}/api/v1/health/ready`).catch(() => null))?.status === 200) return;
    await Bun.sleep(100);
  }
  throw new Error(`${url} not ready`);
}

/**
 * Only 503s, each saying what is away, or (a scan that waited past SCAN_DEADLINE_MS on a
 * machine this busy) that it took too long and the retry tells: never a 500, a 502 or a bare 504.
 */
function onlyWords(figures: FaultFigures, says: string) {
  expect(Object.keys(figures.failedByStatus).filter((status) => status !== "503")).toEqual([]);
  for (const message of figures.failureMessages["503"] ?? [])
    expect(message.includes(says) || message.includes("taking too long to answer this scan")).toBe(true);
}

/** What an instance's /metrics says of a dependency right now (the alerts' input). */
const dependencyUp = async (instance: { url: string }, dependency: string) => {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  return Number(
    new RegExp(`^dependency_up\\{[^}]*dependency="${dependency}"[^}]*\\} (\\d)`, "m").exec(text)?.[1],
  );
};

/** The dependency behind `proxy` away for `seconds`, its metric read on `watched` while it is. */
const away = async (
  proxy: TcpProxy,
  seconds: number,
  watched: { url: string; dependency: string; seen: number[] },
  flushRedis = false,
) => {
  proxy.stop();
  if (flushRedis) {
    const keys = await raw.keys(`checkin:${env.MONGODB_DB}:*`);
    if (keys.length > 0) await raw.del(...keys);
  }
  await Bun.sleep(seconds * 500);
  watched.seen.push(await dependencyUp(watched, watched.dependency));
  await Bun.sleep(seconds * 500);
  proxy.start();
  return { back: performance.now() };
};
const watch = (cluster: Cluster, dependency: string) => ({
  url: cluster.instances[0]?.url as string,
  dependency,
  seen: [] as number[],
});

test("Redis restarts empty mid-load (strict): 503 in words while away, rebuilt on its own, exact after", async () => {
  const strict = await cluster("strict");
  const watched = watch(strict, "redis");
  const figures = await scenario("Redis restart", strict, () => away(redisProxy, 1.5, watched, true));
  expect(figures.failedByStatus["503"]).toBeGreaterThan(0);
  onlyWords(figures, "Redis");
  // What the CheckinRedisDown alert reads: 0 while away, 1 again after.
  expect(watched.seen).toEqual([0]);
  expect(await dependencyUp(watched, "redis")).toBe(1);
}, 90_000);

test("MongoDB away mid-load: 503 in words, nothing half-written, reconnects on its own", async () => {
  const strict = clusters[0] ?? (await cluster("strict"));
  const watched = watch(strict, "mongodb");
  const figures = await scenario("Mongo away", strict, () => away(mongoProxy, 1.5, watched));
  expect(figures.failedByStatus["503"]).toBeGreaterThan(0);
  onlyWords(figures, "database");
  expect(watched.seen).toEqual([0]);
  expect(await dependencyUp(watched, "mongodb")).toBe(1);
}, 90_000);

// Under FerretDB, its PostgreSQL can go away on its own (the relay cannot show that: FerretDB still answers).
test.skipIf(!managedPostgres())(
  "PostgreSQL stopped under FerretDB mid-load: 503 in words, nothing half-written, back on its own",
  async () => {
    const strict = clusters[0] ?? (await cluster("strict"));
    const figures = await scenario("Postgres away", strict, async () => {
      stackCommand("stop-postgres");
      await Bun.sleep(1500);
      stackCommand("restart-postgres");
      return { back: performance.now() };
    });
    expect(figures.failedByStatus["503"]).toBeGreaterThan(0);
    onlyWords(figures, "database");
  },
  120_000,
);

test("200 ms on Redis and MongoDB mid-load: every scan still answered, none refused", async () => {
  const strict = clusters[0] ?? (await cluster("strict"));
  const figures = await scenario("Slow deps", strict, async () => {
    redisProxy.latencyMs = 200;
    mongoProxy.latencyMs = 200;
    await Bun.sleep(1500);
    redisProxy.latencyMs = 0;
    mongoProxy.latencyMs = 0;
    return { back: performance.now() };
  });
  expect(figures.failedByStatus).toEqual({});
}, 90_000);

test("Redis away mid-load in degraded mode: the doors carry on with MongoDB's guards alone", async () => {
  for (const running of clusters.splice(0)) await running.stop();
  const degraded = await cluster("degraded");
  // FerretDB reads a whole collection for each of degraded mode's questions: a door's pace, not a rush.
  const figures = await scenario(
    "Degraded",
    degraded,
    () => away(redisProxy, 1.5, watch(degraded, "redis"), true),
    15,
  );
  expect(figures.failedByStatus).toEqual({});
}, 90_000);

test("a scan slower than SCAN_DEADLINE_MS is answered 503 in words on each scan route, not Nginx's bare 502 or 504; its retry is answered once written", async () => {
  for (const running of clusters.splice(0)) await running.stop();
  const quick = await cluster("strict", { SCAN_DEADLINE_MS: "1500" });
  const { session, people } = await room("Deadline");
  for (const instance of quick.instances) await untilReady(instance.url);
  const [api, qr, page] = people as [
    (typeof people)[number],
    (typeof people)[number],
    (typeof people)[number],
  ];
  const post = async (path: string, body: string, type: string) => {
    const response = await fetch(`${quick.url}${path}`, {
      method: "POST",
      headers: { ...auth, "content-type": type },
      body,
    });
    return { status: response.status, text: await response.text() };
  };
  const json = "application/json";
  const scan = () =>
    post(
      "/api/v1/scan",
      JSON.stringify({ sessionId: String(session._id), qrCode: api.qrCode, nonce: "deadline-0001" }),
      json,
    );
  // MongoDB answers 4 s late: every route's write outlasts the deadline.
  mongoProxy.latencyMs = 4000;
  try {
    const late = await Promise.all([
      scan(),
      post("/api/v1/checkin/qr", JSON.stringify({ sessionId: String(session._id), qrCode: qr.qrCode }), json),
      post(
        `/scan/${session._id}`,
        new URLSearchParams({ code: page.qrCode }).toString(),
        "application/x-www-form-urlencoded",
      ),
    ]);
    // Nginx's own error pages say nothing of the scan: these are the instance's words.
    for (const answer of late) {
      expect(answer.status).toBe(503);
      expect(answer.text).toContain("taking too long");
    }
  } finally {
    mongoProxy.latencyMs = 0;
  }
  // The scans went on and were written; the retry says so, and the person is in once.
  await Bun.sleep(4000);
  const retry = await scan();
  expect(retry.status).toBe(200);
  expect((JSON.parse(retry.text) as { data: { outcome: string } }).data.outcome).toBe("accept");
  for (const person of [api, qr, page])
    expect(
      await db.collection("checkins").countDocuments({ sessionId: session._id, participantId: person._id }),
    ).toBe(1);
}, 90_000);
