// Resilience benchmark: 2 instances behind Nginx, Redis and MongoDB reached through TCP
// relays the benchmark can cut, a steady scan load from several doors, and one fault
// per scenario: an instance killed (-9), Redis gone and back empty, MongoDB gone and
// back. Prints and writes to bench/results, per scenario: scans sent, acknowledged,
// failed by status, acknowledged admissions missing from MongoDB (must be 0), people in
// twice (0), admissions over capacity (0), time from the fault to the first failure and
// from the dependency's return to the first success.
//
//   RATE=100 SECONDS=10 FAULT_AT=3 OUTAGE=3 bun deploy/local/bench-faults.ts
import Redis from "ioredis";
import { ObjectId } from "mongodb";
import { participantRecord } from "../../src/participants/repo";
import { sessionRecord } from "../../src/sessions/repo";
import { benchDatabase, envNumber, writeResult } from "./bench-common";
import { type Cluster, startCluster } from "./cluster";
import { TcpProxy } from "./tcp-proxy";

const RATE = envNumber("RATE", 100);
const SECONDS = envNumber("SECONDS", 10);
const FAULT_AT = envNumber("FAULT_AT", 3);
const OUTAGE = envNumber("OUTAGE", 3);
const CAPACITY = 500;
const PEOPLE = Math.ceil(RATE * SECONDS * 1.1);

const freePort = () => {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
};

const { db, dbName, drop, auth, clusterDir } = await benchDatabase("faults");
const redisUrl = new URL(process.env.REDIS_URL as string);
const mongoUrl = new URL(process.env.MONGODB_URI as string);
const redisProxy = new TcpProxy(freePort(), { host: redisUrl.hostname, port: Number(redisUrl.port) });
const mongoProxy = new TcpProxy(freePort(), { host: mongoUrl.hostname, port: Number(mongoUrl.port) });
redisProxy.start();
mongoProxy.start();

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
};
const cluster: Cluster = await startCluster({
  ports: [freePort(), freePort()],
  nginxPort: freePort(),
  dir: `${clusterDir}`,
  env: {
    ...process.env,
    MONGODB_DB: dbName,
    LOG_LEVEL: "error",
    THROTTLE_LIMIT: "1000000",
    REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
    MONGODB_URI: `mongodb://127.0.0.1:${mongoProxy.port}/${dbName}`,
  },
});

type Shot = { at: number; status: number; outcome?: string; checkInId?: string };

/** Scans at RATE for SECONDS through Nginx, the fault applied at FAULT_AT. */
async function scenario(
  name: string,
  target: Awaited<ReturnType<typeof room>>,
  fault: () => Promise<{ back: number }>,
) {
  const shots: Shot[] = [];
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  let faultAt = 0;
  let backAt = 0;
  const faulted = (async () => {
    await Bun.sleep(FAULT_AT * 1000);
    faultAt = performance.now() - started;
    const { back } = await fault();
    backAt = back - started;
  })();
  for (let i = 0; i < RATE * SECONDS; i++) {
    const wait = started + (i * 1000) / RATE - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    const person = target.people[i] as (typeof target.people)[0];
    inflight.push(
      (async () => {
        const at = performance.now() - started;
        try {
          const response = await fetch(`${cluster.url}/api/v1/scan`, {
            method: "POST",
            headers: { "content-type": "application/json", "idempotency-key": `fault-${name}-${i}`, ...auth },
            body: JSON.stringify({
              qrCode: person.qrCode,
              sessionId: String(target.session._id),
              nonce: `fault-${name}-${i}`,
            }),
          });
          const body = (await response.json().catch(() => ({}))) as {
            data?: { outcome?: string; checkIn?: { _id: string } };
          };
          shots.push({
            at,
            status: response.status,
            outcome: body.data?.outcome,
            checkInId: body.data?.checkIn?._id,
          });
        } catch {
          shots.push({ at, status: 0 });
        }
      })(),
    );
  }
  await Promise.all([...inflight, faulted]);
  return figures(name, target, shots, faultAt, backAt);
}

async function figures(
  name: string,
  target: Awaited<ReturnType<typeof room>>,
  shots: Shot[],
  faultAt: number,
  backAt: number,
) {
  const docs = await db.collection("checkins").find({ sessionId: target.session._id }).toArray();
  const stored = new Set(docs.map((d) => String(d._id)));
  const acknowledged = shots.filter((s) => s.status === 200 && s.outcome === "accept");
  const failedByStatus: Record<string, number> = {};
  for (const s of shots.filter((x) => x.status !== 200))
    failedByStatus[String(s.status)] = (failedByStatus[String(s.status)] ?? 0) + 1;
  const firstFailure = shots
    .filter((s) => s.status !== 200 && s.at >= faultAt)
    .sort((a, b) => a.at - b.at)[0];
  const firstSuccessAfter = shots
    .filter((s) => s.status === 200 && s.at >= backAt)
    .sort((a, b) => a.at - b.at)[0];
  const result = {
    scenario: name,
    sent: shots.length,
    acknowledged: acknowledged.length,
    failedByStatus,
    lostAcknowledged: acknowledged.filter((s) => !stored.has(String(s.checkInId))).length,
    duplicates: docs.length - new Set(docs.map((d) => String(d.participantId))).size,
    oversell: Math.max(0, docs.length - CAPACITY),
    msFaultToFirstFailure: firstFailure ? Math.round(firstFailure.at - faultAt) : null,
    msBackToFirstSuccess: firstSuccessAfter ? Math.round(firstSuccessAfter.at - backAt) : null,
  };
  console.log(`faults: ${JSON.stringify(result)}`);
  return result;
}

const raw = new Redis(process.env.REDIS_URL as string);
const results = [
  await scenario("instance killed (-9), restarted 3 s later", rooms.kill, async () => {
    const victim = cluster.instances[0];
    if (!victim) throw new Error("no instance");
    victim.proc.kill("SIGKILL");
    await victim.proc.exited;
    await Bun.sleep(OUTAGE * 1000);
    await cluster.startInstance(victim.port);
    return { back: performance.now() };
  }),
  await scenario("Redis gone, back empty", rooms.redis, async () => {
    redisProxy.stop();
    const keys = await raw.keys(`checkin:${dbName}:*`);
    if (keys.length > 0) await raw.del(...keys);
    await Bun.sleep(OUTAGE * 1000);
    redisProxy.start();
    return { back: performance.now() };
  }),
  await scenario("MongoDB gone, back", rooms.mongo, async () => {
    mongoProxy.stop();
    await Bun.sleep(OUTAGE * 1000);
    mongoProxy.start();
    return { back: performance.now() };
  }),
];
raw.disconnect();
await cluster.stop();
redisProxy.stop();
mongoProxy.stop();
await drop();
console.log(
  `faults: written to ${writeResult("faults", { date: new Date().toISOString(), rate: RATE, seconds: SECONDS, outageSeconds: OUTAGE, results } as { date: string })}`,
);
