import Redis from "ioredis";
import { ObjectId } from "mongodb";
import { participantRecord } from "../../src/participants/repo";
import { sessionRecord } from "../../src/sessions/repo";
import { benchDatabase, envNumber, freePort, writeResult } from "./bench-common";
import { type Cluster, startCluster } from "./cluster";
import { type FaultFigures, type FaultLoad, underLoad } from "./fault-load";
import { managedPostgres, stackCommand } from "./stack-control";
import { relaysTo, type TcpProxy } from "./tcp-proxy";

const RATE = envNumber("RATE", 100);
const SECONDS = envNumber("SECONDS", 10);
const FAULT_AT = envNumber("FAULT_AT", 3);
const OUTAGE = envNumber("OUTAGE", 3);
const DOORS = envNumber("DOORS", 8);
/**
 * Degraded mode asks MongoDB for every scan: the person's check-in (an index lookup), and,
 * kept a moment per instance, the session's registrations, counts and free seats (door/degraded.ts,
 * door/seats.ts). The target is 100 scans/s with nothing lost, nobody twice, nobody over capacity.
 */
const DEGRADED_RATE = envNumber("DEGRADED_RATE", 100);
const CAPACITY = 500;
const PEOPLE = Math.ceil(RATE * SECONDS * 1.1);

const { db, dbName, drop, auth, clusterDir } = await benchDatabase("faults");
const { redisProxy, mongoProxy } = relaysTo(
  { REDIS_URL: process.env.REDIS_URL as string, MONGODB_URI: process.env.MONGODB_URI as string },
  [freePort(), freePort()],
);

/** One session and its own registered people per scenario, so each starts from an empty room. */
async function room(name: string) {
  const now = Date.now();
  const session = sessionRecord({
    name,
    startTime: new Date(now - 60_000),
    endTime: new Date(now + 3_600_000),
    status: "open",
    capacity: CAPACITY,
    capacityEnforced: true,
  });
  const people = Array.from({ length: PEOPLE }, (_, i) =>
    participantRecord({ name: `${name} ${i}`, email: `${name.replace(/\W/g, "")}-${i}@bench.example` }),
  );
  await db.collection("sessions").insertOne(session);
  await db.collection("participants").insertMany(people);
  await db.collection("registrations").insertMany(
    people.map((p) => ({
      _id: new ObjectId(),
      participantId: p._id,
      sessionId: session._id,
      registrationDate: new Date(),
      status: "confirmed",
      createdAt: new Date(),
      updatedAt: new Date(),
      __v: 0,
    })),
  );
  return { session, people };
}

const rooms = {
  kill: await room("Kill room"),
  redis: await room("Redis room"),
  mongo: await room("Mongo room"),
  slow: await room("Slow room"),
  postgres: await room("Postgres room"),
  degraded: await room("Degraded room"),
};
const clusterEnv = {
  ...process.env,
  MONGODB_DB: dbName,
  LOG_LEVEL: "error",
  THROTTLE_LIMIT: "1000000",
  REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
  MONGODB_URI: `mongodb://127.0.0.1:${mongoProxy.port}/${dbName}`,
};
const clusterOptions = (dir: string) => ({
  ports: [freePort(), freePort()],
  nginxPort: freePort(),
  dir,
});
const cluster: Cluster = await startCluster({ ...clusterOptions(clusterDir), env: clusterEnv });

/** The load every scenario runs under, with its own room and fault. */
const load = (
  target: Awaited<ReturnType<typeof room>>,
  url: string,
  fault: FaultLoad["fault"],
  rate = RATE,
): FaultLoad => ({
  url,
  auth,
  db,
  session: target.session,
  people: target.people,
  rate,
  seconds: SECONDS,
  faultAtSeconds: FAULT_AT,
  doors: DOORS,
  fault,
});

/** `ms` of latency on both dependencies for the outage, then none. */
const slowed = async (ms: number) => {
  redisProxy.latencyMs = ms;
  mongoProxy.latencyMs = ms;
  await Bun.sleep(OUTAGE * 1000);
  redisProxy.latencyMs = 0;
  mongoProxy.latencyMs = 0;
  return { back: performance.now() };
};

/** The dependency behind `proxy` away for the outage (Redis coming back empty when `flush`). */
const away = async (proxy: TcpProxy, flush = false) => {
  proxy.stop();
  if (flush) {
    const keys = await raw.keys(`checkin:${dbName}:*`);
    if (keys.length > 0) await raw.del(...keys);
  }
  await Bun.sleep(OUTAGE * 1000);
  proxy.start();
  return { back: performance.now() };
};

const raw = new Redis(process.env.REDIS_URL as string);
const results: FaultFigures[] = [
  await underLoad(
    "instance killed (-9), restarted after the outage",
    load(rooms.kill, cluster.url, async () => {
      const victim = cluster.instances[0];
      if (!victim) throw new Error("no instance");
      victim.proc.kill("SIGKILL");
      await victim.proc.exited;
      await Bun.sleep(OUTAGE * 1000);
      await cluster.startInstance(victim.port);
      return { back: performance.now() };
    }),
  ),
  await underLoad(
    "Redis gone, back empty (strict)",
    load(rooms.redis, cluster.url, () => away(redisProxy, true)),
  ),
  await underLoad(
    "MongoDB gone, back",
    load(rooms.mongo, cluster.url, () => away(mongoProxy)),
  ),
  // FerretDB's own PostgreSQL stopped (only when the local stack runs it).
  ...(managedPostgres()
    ? [
        await underLoad(
          "PostgreSQL under FerretDB stopped, started",
          load(rooms.postgres, cluster.url, async () => {
            stackCommand("stop-postgres");
            await Bun.sleep(OUTAGE * 1000);
            stackCommand("restart-postgres");
            return { back: performance.now() };
          }),
        ),
      ]
    : []),
  await underLoad(
    "200 ms on Redis and MongoDB",
    load(rooms.slow, cluster.url, () => slowed(200)),
  ),
];
await cluster.stop();
// Degraded mode: the doors carry on through a Redis outage on MongoDB's guards alone.
const degraded: Cluster = await startCluster({
  ...clusterOptions(`${clusterDir}-degraded`),
  env: { ...clusterEnv, DISTRIBUTED_LOCK_MODE: "degraded" },
});
results.push(
  await underLoad(
    "Redis gone, back empty (degraded)",
    load(rooms.degraded, degraded.url, () => away(redisProxy, true), DEGRADED_RATE),
  ),
);
await degraded.stop();
raw.disconnect();
for (const r of results) console.log(`faults: ${JSON.stringify(r)}`);
redisProxy.stop();
mongoProxy.stop();
await drop();
console.log(
  `faults: written to ${writeResult("faults", { date: new Date().toISOString(), rate: RATE, seconds: SECONDS, outageSeconds: OUTAGE, results } as { date: string })}`,
);
// The targets: nothing acknowledged lost, nobody twice, nobody over capacity, no failed
// scan when an instance dies, and back within 5 s of a dependency's return.
const missed = results.flatMap((r) => [
  ...(r.lostAcknowledged + r.duplicates + r.oversell > 0
    ? [`${r.scenario}: lost, twice or over capacity`]
    : []),
  ...(r.failedByStatus["500"] ? [`${r.scenario}: answered 500`] : []),
  ...(r.scenario.startsWith("instance killed") && Object.keys(r.failedByStatus).length > 0
    ? [`${r.scenario}: failed scans`]
    : []),
  ...((r.msBackToFirstSuccess ?? Number.POSITIVE_INFINITY) > 5000
    ? [`${r.scenario}: recovery over 5 s`]
    : []),
]);
if (missed.length > 0) {
  console.error(`faults: targets missed: ${missed.join("; ")}`);
  process.exit(1);
}
