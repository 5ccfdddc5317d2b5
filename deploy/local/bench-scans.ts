// Scan benchmark: a 2-instance cluster behind Nginx with the demo conference, scans
// fired at a fixed arrival rate (open model: a slow answer does not slow the
// arrivals), figures printed and written to bench/results.
//
//   RATE=300 DURATION=20 WARMUP=3 INSTANCES=2 bun deploy/local/bench-scans.ts
import { seedDemo } from "../../src/demo/seed";
import { benchDatabase, envNumber, writeResult } from "./bench-common";
import { startCluster } from "./cluster";

const RATE = envNumber("RATE", 300);
const DURATION = envNumber("DURATION", 20);
const INSTANCES = envNumber("INSTANCES", 2);
const { db, dbName, clusterDir, drop, auth } = await benchDatabase("bench");
console.log(`bench: seeding the demo conference into ${dbName}`);
await seedDemo(db);
// Every session open (by hand, so the scheduler leaves it) and unlimited: the figure is accepted scans.
await db
  .collection("sessions")
  .updateMany({}, { $set: { status: "open", isOpen: true, capacity: 0, statusSource: "manual" } });
const regs = await db.collection("registrations").find({ status: "confirmed" }).toArray();
const codes = new Map(
  (await db.collection("participants").find({ isActive: true }).toArray()).map((p) => [
    String(p._id),
    p.qrCode as string,
  ]),
);
const pairs = regs
  .filter((r) => codes.has(String(r.participantId)))
  .map((r) => ({ qrCode: codes.get(String(r.participantId)) as string, sessionId: String(r.sessionId) }))
  .sort(() => Math.random() - 0.5);
const WARMUP = envNumber("WARMUP", 3);
const total = Math.min(pairs.length - RATE * WARMUP, RATE * DURATION);

const cluster = await startCluster({
  ports: Array.from({ length: INSTANCES }, (_, i) => 3101 + i),
  nginxPort: 8181,
  dir: clusterDir,
  env: { ...process.env, MONGODB_DB: dbName, LOG_LEVEL: "warn", THROTTLE_LIMIT: "1000000" },
});
console.log(`bench: ${INSTANCES} instances behind Nginx at ${cluster.url}; ${total} scans at ${RATE}/s`);

// Warm-up at the target rate on scans not counted (JIT, connection pools), as on a
// real morning where instances run well before the doors open.
async function fire(pair: { qrCode: string; sessionId: string }, nonce: string) {
  return fetch(`${cluster.url}/api/v1/scan`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify({ ...pair, nonce }),
  });
}
const warmups: Promise<unknown>[] = [];
for (let i = 0; i < RATE * WARMUP; i++) {
  warmups.push(
    fire(pairs[total + i] as { qrCode: string; sessionId: string }, `warm-${i}-${dbName}`).then((r) =>
      r.arrayBuffer(),
    ),
  );
  await Bun.sleep(1000 / RATE);
}
await Promise.all(warmups);

const latencies: number[] = [];
const timeline: [number, number][] = [];
const outcomes = new Map<string, number>();
let errors = 0;
const started = performance.now();
const inflight: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = started + (i * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 1) await Bun.sleep(wait);
  const pair = pairs[i] as { qrCode: string; sessionId: string };
  inflight.push(
    (async () => {
      const t0 = performance.now();
      try {
        const response = await fire(pair, `bench-${i}-${dbName}`);
        const body = (await response.json()) as { data?: { outcome?: string } };
        latencies.push(performance.now() - t0);
        timeline.push([t0 - started, performance.now() - t0]);
        if (response.status !== 200) errors++;
        const outcome = body.data?.outcome ?? `http_${response.status}`;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      } catch {
        errors++;
      }
    })(),
  );
}
await Promise.all(inflight);
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  Math.round(
    (latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0) * 10,
  ) / 10;
const accepted = outcomes.get("accept") ?? 0;
// Latency per 5-second window shows warm-up and drift, which one overall figure hides.
const windows: { fromS: number; p50: number; p99: number }[] = [];
for (let from = 0; from < DURATION; from += 5) {
  const inWindow = timeline
    .filter(([at]) => at >= from * 1000 && at < (from + 5) * 1000)
    .map(([, ms]) => ms)
    .sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round((inWindow[Math.floor((p / 100) * (inWindow.length - 1))] ?? 0) * 10) / 10;
  windows.push({ fromS: from, p50: at(50), p99: at(99) });
}
const result = {
  benchmark: "scan-rate",
  date: new Date().toISOString(),
  instances: INSTANCES,
  targetRate: RATE,
  warmupSeconds: WARMUP,
  scans: total,
  seconds: Math.round(elapsed * 100) / 100,
  acceptedPerSecond: Math.round((accepted / elapsed) * 10) / 10,
  latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: pct(100) },
  errors,
  outcomes: Object.fromEntries(outcomes),
  windows,
  machine: { cpus: navigator.hardwareConcurrency },
};
await cluster.stop();
await drop();

console.log(
  `bench: accepted/s ${result.acceptedPerSecond} · p50 ${result.latencyMs.p50} ms · p95 ${result.latencyMs.p95} ms · ` +
    `p99 ${result.latencyMs.p99} ms · errors ${errors} · outcomes ${JSON.stringify(result.outcomes)}`,
);
const file = writeResult("scan-rate", result);
console.log(
  `bench: per 5 s window ${windows.map((w) => `[${w.fromS}s p50 ${w.p50} p99 ${w.p99}]`).join(" ")}`,
);
console.log(`bench: written to ${file}`);
