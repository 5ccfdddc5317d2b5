// The floor: what this stack can do for a scan without our server. The same documents and the
// same Redis scripts as an admitted scan (the claim, the check-in insert grouped as the server
// groups it, the settle, the scan-log entry), driven straight through the drivers at a fixed
// arrival rate from this process, no HTTP, no Nginx, no decision. Prints and writes the floor's
// latency, CPU per check-in (whole machine, this driver included) and knee, and product ÷ floor
// against the latest scan benchmark (bench-scans.ts) at the same rate.
//
//   RATE=600 DURATION=20 WARMUP=3 KNEE="600,900,1200,1500,2000" bun deploy/local/bench-floor.ts
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Redis from "ioredis";
import { ObjectId } from "mongodb";
import { type CheckInDoc, checkinsOf, newCheckIn, type ScanLogDoc, scanlogOf } from "../../src/checkin/repo";
import { seedDemo } from "../../src/demo/seed";
import { seatRule } from "../../src/door/codec";
import { createDoor } from "../../src/door/state";
import { INDEXES } from "../../src/indexes";
import { groupedInserts } from "../../src/infra/grouped";
import { ensureIndexes } from "../../src/infra/mongo";
import { deleteMatching } from "../../src/infra/redis";
import { windowOf } from "../../src/infra/stamps";
import { type SessionDoc, sessionsOf } from "../../src/sessions/repo";
import { benchDatabase, envNumber, ROOT, writeResult } from "./bench-common";
import { cpuSeconds, difference, stackPids, sum } from "./bench-proc";

/** The latest scan benchmark's figures, to compare with. */
function latestProduct() {
  const dir = join(ROOT, "bench/results");
  const files = readdirSync(dir)
    .filter((f) => f.startsWith("scan-rate-"))
    .sort();
  const file = files.at(-1);
  if (!file) return null;
  const result = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
    runs: {
      run: string;
      outcomes: Record<string, number>;
      targetRate: number;
      latencyMs: { p99: number };
      cpuMsPerCheckIn: number | null;
      cpuSeconds: Record<string, number>;
    }[];
    knee?: { kneeRate: number | null };
  };
  return { file, result };
}
const product = latestProduct();
const same = product?.result.runs.find((r) => r.run === "demo unlimited");
/** The product's rate, so the two compare; 600/s without a product run (or RATE to choose). */
const RATE = envNumber("RATE", same?.targetRate ?? 600);
const DURATION = envNumber("DURATION", 20);
const WARMUP = envNumber("WARMUP", 3);
const KNEE = (process.env.KNEE ?? "600,900,1200,1500,1800,2100")
  .split(",")
  .filter((r) => r.trim() !== "")
  .map(Number);
const KNEE_SECONDS = envNumber("KNEE_SECONDS", 8);
const P99_LIMIT_MS = 100;

const bench = await benchDatabase("bench_floor");
const { db, dbName } = bench;
// Three times the demo's people (about 22,000 confirmed registrations): no badge is scanned
// twice within a run, even at the knee's highest step.
await seedDemo(db, new Date(), { participants: 6000, history: false });
await ensureIndexes(db, INDEXES);
// As the scan benchmark's first run: every session open, capacity unlimited.
await db
  .collection("sessions")
  .updateMany({}, { $set: { status: "open", isOpen: true, capacity: 0, capacityEnforced: false } });
const sessions = new Map((await sessionsOf(db).find({}).toArray()).map((s) => [String(s._id), s]));
const regs = await db.collection("registrations").find({ status: "confirmed" }).toArray();
const pairs = regs
  .map((r) => ({ sessionId: r.sessionId as ObjectId, participantId: r.participantId as ObjectId }))
  .sort(() => Math.random() - 0.5);

const redis = new Redis(process.env.REDIS_URL as string, { keyPrefix: `checkin:${dbName}:` });
const door = createDoor(redis, db);
const checkins = groupedInserts(() => checkinsOf(db));
const scanlog = groupedInserts(() => scanlogOf(db));

/** One admitted scan's storage work, as the server does it after deciding. */
async function admit(pair: { sessionId: ObjectId; participantId: ObjectId }): Promise<boolean> {
  const session = sessions.get(String(pair.sessionId)) as SessionDoc;
  const claim = await door.claim({
    sessionId: pair.sessionId,
    participantId: pair.participantId,
    admitting: ["confirmed"],
    reentry: false,
    rule: seatRule(session),
  });
  if (claim.kind !== "claimed") return false;
  const doc: CheckInDoc = newCheckIn({
    sessionId: pair.sessionId,
    participantId: pair.participantId,
    method: "qr",
    verdict: { isLate: false, wasRegistered: true },
    seat: claim.seat ?? `free:${pair.participantId}`,
    instance: "floor",
    stamp: { at: new Date(), changeWindow: windowOf(Date.now()) },
  });
  await checkins.insert(doc);
  await door.settle(doc, false);
  const entry: ScanLogDoc = {
    _id: new ObjectId(),
    at: new Date(),
    sessionId: pair.sessionId,
    participantId: pair.participantId,
    action: "scan",
    outcome: "accept",
    reason: "ok",
    method: "qr",
    instance: "floor",
    checkInId: doc._id,
  };
  await scanlog.insert(entry);
  return true;
}

const percentile = (sorted: number[], p: number) =>
  Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 10) / 10;

let next = 0;
/** `count` admissions at `rate` per second (open model), with latency and whole-machine CPU. */
async function fire(rate: number, count: number) {
  const roots = { "floor driver": [process.pid], ...stackPids(ROOT) };
  const cpu0 = cpuSeconds(roots);
  const latencies: number[] = [];
  let errors = 0;
  let admitted = 0;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    const pair = pairs[next++ % pairs.length] as (typeof pairs)[number];
    inflight.push(
      (async () => {
        const t0 = performance.now();
        try {
          if (await admit(pair)) admitted++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      })(),
    );
  }
  await Promise.all(inflight);
  const seconds = (performance.now() - started) / 1000;
  const cpu = difference(cpu0, cpuSeconds(roots));
  const sorted = latencies.sort((a, b) => a - b);
  return {
    targetRate: rate,
    admitted,
    admittedPerSecond: Math.round((admitted / seconds) * 10) / 10,
    latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) },
    errors,
    cpuSeconds: cpu,
    cpuMsPerCheckIn: admitted > 0 ? Math.round((sum(cpu) / admitted) * 100_000) / 100 : null,
  };
}

async function reset() {
  await checkinsOf(db).deleteMany({});
  await deleteMatching(new Redis(process.env.REDIS_URL as string), `checkin:${dbName}:door:*`);
  await door.warm([...sessions.values()].map((s) => s._id));
}

await reset();
await fire(RATE, Math.round(RATE * WARMUP));
await reset();
const floor = await fire(RATE, Math.round(RATE * DURATION));
console.log(
  `floor @${RATE}/s: admitted/s ${floor.admittedPerSecond} · p50 ${floor.latencyMs.p50} · p95 ${floor.latencyMs.p95} · ` +
    `p99 ${floor.latencyMs.p99} ms · errors ${floor.errors} · CPU ${floor.cpuMsPerCheckIn} ms/check-in (whole machine)`,
);
console.log(
  `floor   CPU s ${Object.entries(floor.cpuSeconds)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(" · ")}`,
);

const steps: { rate: number; p99: number; errors: number; admittedPerSecond: number }[] = [];
for (const rate of KNEE) {
  await reset();
  const shot = await fire(rate, Math.round(rate * KNEE_SECONDS));
  steps.push({
    rate,
    p99: shot.latencyMs.p99,
    errors: shot.errors,
    admittedPerSecond: shot.admittedPerSecond,
  });
  console.log(
    `floor knee step ${rate}/s: p99 ${shot.latencyMs.p99} ms · admitted/s ${shot.admittedPerSecond}`,
  );
  if (shot.latencyMs.p99 > P99_LIMIT_MS * 3 || shot.errors > 0 || shot.admittedPerSecond < rate * 0.8) break;
}
// A step counts when its p99 holds and the stack kept up (it admitted what was sent).
const missed = steps.findIndex(
  (s) => s.p99 > P99_LIMIT_MS || s.errors > 0 || s.admittedPerSecond < s.rate * 0.95,
);
const kneeRate = missed === 0 ? null : (steps[(missed < 0 ? steps.length : missed) - 1]?.rate ?? null);

const comparison = same
  ? {
      productFile: product?.file,
      productRate: same.targetRate,
      p99: same.latencyMs.p99 / Math.max(0.1, floor.latencyMs.p99),
      // Whole machine on both sides: the product's load generator counted, as the floor's driver is.
      productCpuMsPerCheckIn:
        Math.round((sum(same.cpuSeconds) * 100_000) / Math.max(1, same.outcomes.accept ?? 0)) / 100,
      cpuPerCheckIn:
        (sum(same.cpuSeconds) * 1000) /
        Math.max(1, same.outcomes.accept ?? 0) /
        Math.max(0.01, floor.cpuMsPerCheckIn ?? 0),
      knee: product?.result.knee?.kneeRate && kneeRate ? product.result.knee.kneeRate / kneeRate : null,
    }
  : null;
if (comparison)
  console.log(
    `product ÷ floor (product: ${comparison.productFile}, demo unlimited @${comparison.productRate}/s): ` +
      `p99 ×${comparison.p99.toFixed(2)} · CPU per check-in ×${comparison.cpuPerCheckIn.toFixed(2)} ` +
      `(product ${comparison.productCpuMsPerCheckIn} ms, floor ${floor.cpuMsPerCheckIn} ms, whole machine)` +
      (comparison.knee
        ? ` · knee ×${comparison.knee.toFixed(2)} (product ${product?.result.knee?.kneeRate}/s, floor ${kneeRate}/s)`
        : ""),
  );
console.log(`floor knee (p99 ≤ ${P99_LIMIT_MS} ms, no errors): ${kneeRate ?? "below the first step"}/s`);
const date = new Date().toISOString();
console.log(
  `floor: written to ${writeResult("floor", { date, rate: RATE, floor, knee: { kneeRate, steps }, comparison })}`,
);
redis.disconnect();
await bench.drop();
process.exit(0);
