// Scan benchmark: a 2-instance cluster (the compiled binary) behind Nginx, scans fired at a fixed arrival
// rate (open model: a slow answer does not slow the arrivals). Prints and writes to
// bench/results, per run: latency (overall and per 5 s window), CPU seconds per
// component and CPU ms per accepted check-in, Redis commands and MongoDB operations
// per scan. Runs: the demo conference unlimited and with capacity enforced; then a
// conference ten times the demo (start-up to ready, RSS, the same run, page renders)
// and the knee (the highest rate whose p99 stays within 100 ms with no errors).
//
//   RATE=300 DURATION=20 WARMUP=3 INSTANCES=2 KNEE="200,300,400,500,600,700,800" \
//   SCALE=1 LABEL="postgres fast" bun deploy/local/bench-scans.ts
import Redis from "ioredis";
import type { Db } from "mongodb";
import { forgetCopies } from "../../src/copies";
import { seedDemo } from "../../src/demo/seed";
import { INDEXES } from "../../src/indexes";
import { ensureIndexes } from "../../src/infra/mongo";
import { deleteMatching } from "../../src/infra/redis";
import { benchDatabase, envNumber, ROOT, shippedBinary, writeResult } from "./bench-common";
import { cpuSeconds, difference, mongoOperations, redisCommands, rssMb, stackPids, sum } from "./bench-proc";
import { type Cluster, startCluster } from "./cluster";
import { loadClient } from "./load-client";

const RATE = envNumber("RATE", 300);
const DURATION = envNumber("DURATION", 20);
const WARMUP = envNumber("WARMUP", 3);
const INSTANCES = envNumber("INSTANCES", 2);
const KNEE = (process.env.KNEE ?? "200,300,400,500,600,700,800,900,1000,1100,1200")
  .split(",")
  .filter((rate) => rate.trim() !== "")
  .map(Number);
const KNEE_SECONDS = envNumber("KNEE_SECONDS", 8);
const SCALE = process.env.SCALE !== "0";
const LABEL = process.env.LABEL ?? "postgres fast (fsync off)";
const P99_LIMIT_MS = 100;

type Pair = { qrCode: string; sessionId: string };
const redis = new Redis(process.env.REDIS_URL as string);

/** A conference in its own database: every session open by hand, badges to scan in random order. */
async function conference(prefix: string, size: { participants?: number; tracks?: number }) {
  const bench = await benchDatabase(prefix);
  const seeded = Date.now();
  await seedDemo(bench.db, new Date(), { ...size, history: false });
  const seedSeconds = (Date.now() - seeded) / 1000;
  // The indexes a first start would build, built here and timed apart: "ready" then measures
  // an ordinary start (an existing database, the door state not yet in Redis).
  const indexed = Date.now();
  await ensureIndexes(bench.db, INDEXES);
  const indexSeconds = (Date.now() - indexed) / 1000;
  const regs = await bench.db.collection("registrations").find({ status: "confirmed" }).toArray();
  const codes = new Map(
    (await bench.db.collection("participants").find({ isActive: true }).toArray()).map((p) => [
      String(p._id),
      p.qrCode as string,
    ]),
  );
  const pairs: Pair[] = regs
    .filter((r) => codes.has(String(r.participantId)))
    .map((r) => ({ qrCode: codes.get(String(r.participantId)) as string, sessionId: String(r.sessionId) }))
    .sort(() => Math.random() - 0.5);
  return { ...bench, pairs, seedSeconds, indexSeconds };
}

/** Capacity unlimited, or enforced with room for everyone (every scan claims a seat). */
async function setCapacity(db: Db, mode: "unlimited" | "enforced") {
  await db.collection("sessions").updateMany(
    {},
    {
      $set: {
        status: "open",
        isOpen: true,
        statusSource: "manual",
        requiresRegistration: false,
        capacity: mode === "enforced" ? 100_000 : 0,
        capacityEnforced: mode === "enforced",
      },
    },
  );
}

/** Between runs: nobody inside, the door state dropped (the instances rebuild it). */
async function reset(db: Db, dbName: string) {
  await db.collection("checkins").deleteMany({});
  // Deleted behind the product's back: the door's copies of them are dropped too.
  await forgetCopies(db);
  await forgetDoors(dbName);
}

async function forgetDoors(dbName: string) {
  for (const pattern of [`checkin:${dbName}:door:*`, `checkin:${dbName}:idem:*`])
    await deleteMatching(redis, pattern);
}

const percentile = (sorted: number[], p: number) =>
  Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 10) / 10;

/** Fires `count` scans at `rate` per second, from `pairs[offset…]`. */
async function fire(
  cluster: Cluster,
  auth: Record<string, string>,
  pairs: Pair[],
  rate: number,
  count: number,
  tag: string,
) {
  const latencies: [number, number][] = [];
  const outcomes = new Map<string, number>();
  let errors = 0;
  const client = loadClient(cluster.url);
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    const pair = pairs[i % pairs.length] as Pair;
    inflight.push(
      (async () => {
        const t0 = performance.now();
        try {
          const response = await client.post(
            "/api/v1/scan",
            auth,
            JSON.stringify({ ...pair, nonce: `${tag}-${i}` }),
          );
          latencies.push([t0 - started, performance.now() - t0]);
          if (response.status !== 200) errors++;
          // The outcome without parsing the whole answer.
          const outcome = /"outcome":"(\w+)"/.exec(response.body)?.[1] ?? `http_${response.status}`;
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        } catch {
          errors++;
        }
      })(),
    );
  }
  await Promise.all(inflight);
  client.close();
  return { latencies, outcomes, errors, seconds: (performance.now() - started) / 1000 };
}

/** One measured run: warm-up (not counted), then the steady window with every counter around it. */
async function run(
  name: string,
  target: { cluster: Cluster; db: Db; auth: Record<string, string>; pairs: Pair[] },
  rate: number,
  seconds: number,
) {
  const { cluster, db, auth, pairs } = target;
  const warmCount = Math.round(rate * WARMUP);
  await fire(cluster, auth, pairs.slice(-warmCount), rate, warmCount, `warm-${name}-${Date.now()}`);
  const measured = pairs.slice(0, pairs.length - warmCount);
  const roots = {
    ...Object.fromEntries(cluster.instances.map((i) => [`instance ${i.port}`, [i.proc.pid]])),
    nginx: [cluster.nginx.pid],
    ...stackPids(ROOT),
    "load generator": [process.pid],
  };
  const [cpu0, cmd0, ops0] = [cpuSeconds(roots), await redisCommands(redis), await mongoOperations(db)];
  const total = Math.min(measured.length, Math.round(rate * seconds));
  const shot = await fire(cluster, auth, measured, rate, total, `${name}-${Date.now()}`);
  const [cpu1, cmd1, ops1] = [cpuSeconds(roots), await redisCommands(redis), await mongoOperations(db)];
  const cpu = difference(cpu0, cpu1);
  const commands = difference(cmd0, cmd1);
  const operations = difference(ops0, ops1);
  const sorted = shot.latencies.map(([, ms]) => ms).sort((a, b) => a - b);
  const accepted = shot.outcomes.get("accept") ?? 0;
  const windows: { fromS: number; p50: number; p99: number }[] = [];
  for (let from = 0; from < seconds; from += 5) {
    const inWindow = shot.latencies
      .filter(([at]) => at >= from * 1000 && at < (from + 5) * 1000)
      .map(([, ms]) => ms)
      .sort((a, b) => a - b);
    windows.push({ fromS: from, p50: percentile(inWindow, 50), p99: percentile(inWindow, 99) });
  }
  const serverCpu = sum(cpu) - (cpu["load generator"] ?? 0);
  const figures = {
    run: name,
    targetRate: rate,
    scans: total,
    seconds: Math.round(shot.seconds * 100) / 100,
    acceptedPerSecond: Math.round((accepted / shot.seconds) * 10) / 10,
    latencyMs: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: percentile(sorted, 100),
    },
    errors: shot.errors,
    outcomes: Object.fromEntries(shot.outcomes),
    windows,
    cpuSeconds: cpu,
    cpuMsPerCheckIn: accepted > 0 ? Math.round((serverCpu / accepted) * 100_000) / 100 : null,
    redisCommandsPerScan: Math.round((sum(commands) / total) * 100) / 100,
    redisCommandsByName: Object.fromEntries(
      Object.entries(commands).map(([k, v]) => [k, Math.round((v / total) * 100) / 100]),
    ),
    mongoOperationsPerScan: Math.round((sum(operations) / total) * 100) / 100,
    mongoOperationsByName: Object.fromEntries(
      Object.entries(operations).map(([k, v]) => [k, Math.round((v / total) * 100) / 100]),
    ),
  };
  console.log(
    `bench [${LABEL}] ${name} @${rate}/s: accepted/s ${figures.acceptedPerSecond} · p50 ${figures.latencyMs.p50} · ` +
      `p95 ${figures.latencyMs.p95} · p99 ${figures.latencyMs.p99} ms · errors ${shot.errors} · ` +
      `CPU ${figures.cpuMsPerCheckIn} ms/check-in · Redis ${figures.redisCommandsPerScan} cmd/scan · ` +
      `MongoDB ${figures.mongoOperationsPerScan} op/scan`,
  );
  console.log(`bench   windows ${windows.map((w) => `[${w.fromS}s p99 ${w.p99}]`).join(" ")}`);
  console.log(
    `bench   CPU s ${Object.entries(cpu)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(" · ")}`,
  );
  return figures;
}

const COMMAND = shippedBinary();

async function cluster(dbName: string, dir: string, nginxPort: number, extra: Record<string, string> = {}) {
  const started = Date.now();
  const c = await startCluster({
    command: COMMAND,
    ports: Array.from({ length: INSTANCES }, (_, i) => nginxPort - 5080 + i),
    nginxPort,
    dir,
    env: { ...process.env, MONGODB_DB: dbName, LOG_LEVEL: "warn", THROTTLE_LIMIT: "1000000", ...extra },
  });
  return { cluster: c, readySeconds: (Date.now() - started) / 1000 };
}

const timed = async (url: string, auth: Record<string, string>) => {
  const t0 = performance.now();
  const response = await fetch(url, { headers: auth });
  await response.arrayBuffer();
  return { status: response.status, ms: Math.round((performance.now() - t0) * 10) / 10 };
};

const runs: unknown[] = [];

/**
 * Doors scanning at DOOR_RATE straight at the instances' ports (Nginx starts only once they are
 * ready) from before they start: when the first scan was answered, and how long answers took
 * until the cluster was ready. A refused connection (not listening yet) is counted apart.
 */
function doorsMeanwhile(auth: Record<string, string>, pairs: Pair[], nginxPort: number, rate = 50) {
  const started = performance.now();
  const answers: { at: number; ms: number; status: number; said?: string }[] = [];
  let refused = 0;
  let stopped = false;
  const firing = (async () => {
    const inflight: Promise<void>[] = [];
    for (let i = 0; !stopped; i++) {
      const wait = started + (i * 1000) / rate - performance.now();
      if (wait > 1) await Bun.sleep(wait);
      const pair = pairs[i % pairs.length] as Pair;
      const port = nginxPort - 5080 + (i % INSTANCES);
      inflight.push(
        (async () => {
          const t0 = performance.now();
          try {
            const response = await fetch(`http://127.0.0.1:${port}/api/v1/scan`, {
              method: "POST",
              headers: { "content-type": "application/json", ...auth },
              body: JSON.stringify({ ...pair, nonce: `cold-door-${Date.now()}-${i}` }),
              signal: AbortSignal.timeout(30_000),
            });
            const text = await response.text();
            // What a door read when it was not admitted-or-refused: the words of a 503, say.
            const said =
              response.status === 200
                ? undefined
                : (/"message":"([^"]*)"/.exec(text)?.[1] ?? text.slice(0, 80));
            answers.push({
              at: (t0 - started) / 1000,
              ms: performance.now() - t0,
              status: response.status,
              said,
            });
          } catch {
            refused++;
          }
        })(),
      );
    }
    await Promise.all(inflight);
  })();
  return {
    async stop(readySeconds: number) {
      stopped = true;
      await firing;
      const beforeReady = answers.filter((a) => a.at < readySeconds);
      const ok = beforeReady
        .filter((a) => a.status === 200)
        .map((a) => a.ms)
        .sort((x, y) => x - y);
      const statuses: Record<string, number> = {};
      const said: Record<string, number> = {};
      for (const a of beforeReady) {
        statuses[a.status] = (statuses[a.status] ?? 0) + 1;
        if (a.said !== undefined) said[`${a.status} ${a.said}`] = (said[`${a.status} ${a.said}`] ?? 0) + 1;
      }
      const firstOk = answers.find((a) => a.status === 200);
      return {
        doorRate: rate,
        readySeconds: Math.round(readySeconds * 10) / 10,
        firstAnsweredAtSeconds: firstOk ? Math.round((firstOk.at + firstOk.ms / 1000) * 100) / 100 : null,
        answeredBeforeReady: ok.length,
        statusesBeforeReady: statuses,
        otherAnswersBeforeReady: said,
        refusedConnections: refused,
        latencyBeforeReadyMs: { p50: percentile(ok, 50), p99: percentile(ok, 99), max: percentile(ok, 100) },
      };
    },
  };
}

// The demo conference: unlimited, then with seats.
{
  const demo = await conference("bench", {});
  await setCapacity(demo.db, "unlimited");
  const { cluster: c } = await cluster(demo.dbName, `${demo.clusterDir}`, 8181);
  console.log(
    `bench: ${INSTANCES} instances behind Nginx at ${c.url}; demo conference, ${demo.pairs.length} registrations`,
  );
  const target = { cluster: c, db: demo.db, auth: demo.auth, pairs: demo.pairs };
  runs.push(await run("demo unlimited", target, RATE, DURATION));
  await reset(demo.db, demo.dbName);
  // Through the API, as an organiser would: every instance hears of the new capacity.
  for (const session of await demo.db.collection("sessions").find({}).toArray()) {
    const response = await fetch(`${c.url}/api/v1/sessions/${session._id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...demo.auth },
      body: JSON.stringify({ capacity: 100_000, capacityEnforced: true }),
    });
    if (response.status !== 200) throw new Error(`capacity change answered ${response.status}`);
  }
  runs.push(await run("demo capacity enforced", target, RATE, DURATION));
  await c.stop();
  await demo.drop();
}

/** Steps the rate on the 10× conference; each step admits people nobody has scanned yet. */
async function kneeSteps(target: Parameters<typeof run>[1], alreadyUsed: number) {
  const steps: { rate: number; p99: number; errors: number; acceptedPerSecond: number }[] = [];
  let used = alreadyUsed;
  for (const rate of KNEE) {
    const fresh = target.pairs.slice(used);
    if (fresh.length < rate * (KNEE_SECONDS + WARMUP)) break;
    used += rate * (KNEE_SECONDS + WARMUP);
    const figures = await run(`knee step`, { ...target, pairs: fresh }, rate, KNEE_SECONDS);
    steps.push({
      rate,
      p99: figures.latencyMs.p99,
      errors: figures.errors,
      acceptedPerSecond: figures.acceptedPerSecond,
    });
    if (figures.latencyMs.p99 > P99_LIMIT_MS * 3 || figures.errors > 0) break;
  }
  // The knee: the last rate before the first step that misses (a lucky step above one that missed does not count).
  const missed = steps.findIndex((s) => s.p99 > P99_LIMIT_MS || s.errors > 0);
  const within = missed < 0 ? steps : steps.slice(0, missed);
  const found = { steps, kneeRate: within.at(-1)?.rate ?? null };
  console.log(
    `bench: knee (p99 ≤ ${P99_LIMIT_MS} ms, no errors) ${found.kneeRate}/s · ${steps.map((s) => `${s.rate}/s p99 ${s.p99}`).join(" · ")}`,
  );
  return found;
}

// Ten times the demo: start-up, memory, the same run, page renders, and the knee.
let scale: Record<string, unknown> | null = null;
let knee: { steps: unknown[]; kneeRate: number | null } | null = null;
if (SCALE) {
  const big = await conference("bench10x", { participants: 20_000, tracks: 10 });
  await setCapacity(big.db, "enforced");
  const counts = {
    participants: await big.db.collection("participants").countDocuments({}),
    sessions: await big.db.collection("sessions").countDocuments({}),
    registrations: await big.db.collection("registrations").countDocuments({}),
  };
  const { cluster: c, readySeconds } = await cluster(big.dbName, `${big.clusterDir}`, 8182);
  const rssAfterReady = c.instances.map((i) => rssMb(i.proc.pid));
  const target = { cluster: c, db: big.db, auth: big.auth, pairs: big.pairs };
  console.log(
    `bench: 10× conference ${JSON.stringify(counts)} seeded in ${big.seedSeconds.toFixed(1)} s; ready in ${readySeconds.toFixed(1)} s`,
  );
  const scaled = await run("10x capacity enforced", target, RATE, DURATION);
  const someSession = big.pairs[0]?.sessionId;
  scale = {
    ...counts,
    indexBuildSeconds: big.indexSeconds,
    startToReadySeconds: readySeconds,
    rssMbPerInstance: { afterReady: rssAfterReady, afterRun: c.instances.map((i) => rssMb(i.proc.pid)) },
    scanP99Ms: scaled.latencyMs.p99,
    renderMs: {
      live: await timed(`${c.url}/live`, big.auth),
      sessionLive: await timed(`${c.url}/live/${someSession}`, big.auth),
      attendanceReport: await timed(`${c.url}/reports`, big.auth),
    },
  };
  console.log(`bench: 10× ${JSON.stringify(scale)}`);
  runs.push(scaled);

  if (KNEE.length > 0) knee = await kneeSteps(target, scaled.scans);
  await c.stop();
  // Ordinary restarts: with the door state still in Redis (a deploy), and without it (Redis lost its data).
  const again = await cluster(big.dbName, `${big.clusterDir}`, 8182);
  await again.cluster.stop();
  await forgetDoors(big.dbName);
  const doors = doorsMeanwhile(big.auth, big.pairs, 8182);
  const cold = await cluster(big.dbName, `${big.clusterDir}`, 8182);
  const duringColdStart = await doors.stop(cold.readySeconds);
  await cold.cluster.stop();
  const withCopies = await restartWithDoorCopies(big, counts.sessions);
  // The floor under that figure: every check-in read once through the driver, nothing else.
  const readStarted = performance.now();
  let checkIns = 0;
  for await (const _ of big.db.collection("checkins").find({}).batchSize(5000)) checkIns++;
  const readAllSeconds = (performance.now() - readStarted) / 1000;
  Object.assign(scale ?? {}, {
    restartReadySeconds: again.readySeconds,
    restartWithoutRedisStateReadySeconds: cold.readySeconds,
    scansWhileStartingWithoutRedisState: duringColdStart,
    withDoorCopies: withCopies,
    readEveryCheckInSeconds: readAllSeconds,
    checkIns,
  });
  console.log(
    `bench: 10× restart ready in ${again.readySeconds.toFixed(1)} s; without the door state in Redis ${cold.readySeconds.toFixed(1)} s ` +
      `(reading its ${checkIns} check-ins alone, through the driver: ${readAllSeconds.toFixed(1)} s)`,
  );
  console.log(
    `bench: doors scanning straight at the instances while they started without it: ${JSON.stringify(duringColdStart)}`,
  );
  console.log(
    `bench: the same with both copies for starts packed first (DOOR_ and DIRECTORY_COPY_INTERVAL_MS=10000): ${JSON.stringify(withCopies)}`,
  );
  await big.drop();
}

/**
 * The Redis-empty restart again with both copies for starts on (the door's and the badge
 * directory's: with the door's alone the directory's 20,000 reads per instance remain): a cluster
 * packs them (idle, until every session has one), then a start without the door state reads
 * them, doors scanning.
 */
async function restartWithDoorCopies(
  big: { dbName: string; clusterDir: string; db: Db; auth: Record<string, string>; pairs: Pair[] },
  sessions: number,
) {
  const copies = { DOOR_COPY_INTERVAL_MS: "10000", DIRECTORY_COPY_INTERVAL_MS: "10000" };
  const packing = await cluster(big.dbName, big.clusterDir, 8182, copies);
  const started = Date.now();
  let packed = 0;
  while (Date.now() - started < 120_000) {
    packed = await big.db.collection("door_copy_heads").countDocuments({ epoch: { $exists: true } });
    if (packed >= sessions) break;
    await Bun.sleep(1000);
  }
  const packSeconds = (Date.now() - started) / 1000;
  await packing.cluster.stop();
  await forgetDoors(big.dbName);
  const doors = doorsMeanwhile(big.auth, big.pairs, 8182);
  const cold = await cluster(big.dbName, big.clusterDir, 8182, copies);
  const during = await doors.stop(cold.readySeconds);
  await cold.cluster.stop();
  return { sessionsPacked: packed, packSeconds, readySeconds: cold.readySeconds, doors: during };
}

const results = {
  benchmark: "scan-rate",
  label: LABEL,
  date: new Date().toISOString(),
  instances: INSTANCES,
  warmupSeconds: WARMUP,
  runs,
  scale,
  knee,
  machine: { cpus: navigator.hardwareConcurrency },
};
console.log(`bench: written to ${writeResult("scan-rate", results)}`);
redis.disconnect();
