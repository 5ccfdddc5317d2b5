// One instance under Bun, then one under Deno, each alone on a fresh demo conference, the same
// scans at the same fixed arrival rate (open model). Prints and writes under bench/results
// (deno-vs-bun-*.json): p50/p99 of the scan answer, errors, and the instance's own CPU per
// check-in. Both talk to the same local Redis and MongoDB; no Nginx in between.
//
//   RATE=200 DURATION=15 bun deploy/local/bench-deno.ts
import { seedDemo } from "../../src/demo/seed";
import { benchDatabase, envNumber, freePort, writeResult } from "./bench-common";
import { cpuSeconds } from "./bench-proc";
import { DENO_COMMAND, spawnInstance, stopProcess } from "./cluster";

const RATE = envNumber("RATE", 200);
const DURATION = envNumber("DURATION", 15);
const WARMUP = 100;

const percentile = (sorted: number[], p: number) =>
  Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 10) / 10;

async function run(runtime: "bun" | "deno") {
  const bench = await benchDatabase(`bench_${runtime}`);
  await seedDemo(bench.db, new Date(), { history: false });
  await bench.db.collection("sessions").updateMany(
    {},
    {
      $set: {
        status: "open",
        isOpen: true,
        statusSource: "manual",
        requiresRegistration: false,
        capacity: 0,
      },
    },
  );
  const codes = (await bench.db.collection("participants").find({ isActive: true }).toArray()).map((p) =>
    String(p.qrCode),
  );
  const sessions = (await bench.db.collection("sessions").find({}).toArray()).map((s) => String(s._id));
  const env = { ...process.env, MONGODB_DB: bench.dbName, LOG_LEVEL: "warn", THROTTLE_LIMIT: "1000000" };
  const instance = await spawnInstance({
    port: freePort(),
    logDir: `${bench.clusterDir}/logs`,
    env,
    ...(runtime === "deno" ? { command: DENO_COMMAND } : {}),
  });
  const scan = (i: number) =>
    fetch(`${instance.url}/api/v1/scan`, {
      method: "POST",
      headers: { ...bench.auth, "content-type": "application/json" },
      body: JSON.stringify({
        qrCode: codes[i % codes.length],
        sessionId: sessions[Math.floor(i / codes.length) % sessions.length],
        nonce: `bench-${runtime}-${i}`,
      }),
    });
  for (let i = 0; i < WARMUP; i++) await (await scan(i)).arrayBuffer();

  const cpuBefore = cpuSeconds({ instance: [instance.proc.pid] }).instance ?? 0;
  const latencies: number[] = [];
  let errors = 0;
  const statuses = new Map<string, number>();
  const inflight: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < RATE * DURATION; i++) {
    const wait = started + (i * 1000) / RATE - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    const t0 = performance.now();
    inflight.push(
      scan(WARMUP + i)
        .then(async (response) => {
          const body = await response.text();
          latencies.push(performance.now() - t0);
          if (response.status !== 200) {
            errors++;
            const key = `${response.status} ${body.slice(0, 80)}`;
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
          }
        })
        .catch((error: unknown) => {
          errors++;
          const key = `failed ${error instanceof Error ? error.message : String(error)}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
        }),
    );
  }
  await Promise.all(inflight);
  const cpu = (cpuSeconds({ instance: [instance.proc.pid] }).instance ?? 0) - cpuBefore;
  await stopProcess(instance.proc);
  await bench.drop();
  latencies.sort((a, b) => a - b);
  return {
    runtime,
    scans: latencies.length,
    errors,
    errorsByAnswer: Object.fromEntries(statuses),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    instanceCpuMsPerScan: Math.round(((cpu * 1000) / Math.max(1, latencies.length)) * 100) / 100,
  };
}

const result = {
  date: new Date().toISOString(),
  rate: RATE,
  durationSeconds: DURATION,
  runs: [await run("bun"), await run("deno")],
};
for (const r of result.runs)
  console.log(
    `${r.runtime}: ${r.scans} scans, ${r.errors} errors ${JSON.stringify(r.errorsByAnswer)}, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, CPU ${r.instanceCpuMsPerScan} ms/scan`,
  );
console.log(`bench: written to ${writeResult("deno-vs-bun", result)}`);
process.exit(0);
