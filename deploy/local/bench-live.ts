// Live-update benchmark: CLIENTS WebSocket dashboards spread over the instances,
// scans at SCAN_RATE/s, and for every scan the delay from its acknowledgement to each
// subscribed client's receipt of a message showing it; dropped = never shown.
//
//   CLIENTS=2000 SESSIONS=10 SCAN_RATE=20 DURATION=15 bun deploy/local/bench-live.ts
import { readFileSync } from "node:fs";
import { participantRecord } from "../../src/participants/repo";
import { sessionRecord } from "../../src/sessions/repo";
import { benchDatabase, envNumber, writeResult } from "./bench-common";
import { startCluster } from "./cluster";

const CLIENTS = envNumber("CLIENTS", 2000);
const SESSIONS = envNumber("SESSIONS", 10);
const SCAN_RATE = envNumber("SCAN_RATE", 20);
const DURATION = envNumber("DURATION", 15);
const INSTANCES = envNumber("INSTANCES", 2);
const { db, dbName, clusterDir, drop, auth } = await benchDatabase("benchlive");
const now = Date.now();
const sessions = Array.from({ length: SESSIONS }, (_, i) =>
  sessionRecord({
    name: `Live bench ${i}`,
    startTime: new Date(now - 5 * 60_000),
    endTime: new Date(now + 3600_000),
    capacityEnforced: false,
    status: "open",
    statusSource: "manual",
  }),
);
const scans = SCAN_RATE * DURATION;
const people = Array.from({ length: scans }, (_, i) =>
  participantRecord({ name: `Live ${i}`, email: `live${i}@bench.example` }),
);
await db.collection("sessions").insertMany(sessions);
await db.collection("participants").insertMany(people);

const cluster = await startCluster({
  ports: Array.from({ length: INSTANCES }, (_, i) => 3201 + i),
  nginxPort: 8182,
  dir: clusterDir,
  env: { ...process.env, MONGODB_DB: dbName, LOG_LEVEL: "warn", THROTTLE_LIMIT: "1000000" },
});

interface Dashboard {
  session: string;
  seen: { at: number; count: number }[];
  closed: boolean;
}
const dashboards: Dashboard[] = [];
console.log(`bench-live: opening ${CLIENTS} dashboards over ${INSTANCES} instances, ${SESSIONS} sessions`);
await Promise.all(
  Array.from({ length: CLIENTS }, (_, i) => {
    const session = String(sessions[i % SESSIONS]?._id);
    const instance = cluster.instances[i % cluster.instances.length];
    const dashboard: Dashboard = { session, seen: [], closed: false };
    dashboards.push(dashboard);
    return new Promise<void>((ready, fail) => {
      const socket = new WebSocket(`${instance?.url.replace("http", "ws")}/ws?topics=session:${session}`, {
        headers: auth,
      } as never);
      socket.addEventListener("message", (event) => {
        const count = /<strong>(\d+)/.exec(String(event.data))?.[1];
        if (count !== undefined) dashboard.seen.push({ at: performance.now(), count: Number(count) });
      });
      socket.addEventListener("open", () => ready());
      socket.addEventListener("close", () => {
        dashboard.closed = true;
      });
      socket.addEventListener("error", () => fail(new Error("dashboard socket failed")));
    });
  }),
);
await Bun.sleep(1000);

const acks: { session: string; count: number; at: number }[] = [];
let scanErrors = 0;
const started = performance.now();
const inflight: Promise<void>[] = [];
for (let i = 0; i < scans; i++) {
  const due = started + (i * 1000) / SCAN_RATE;
  const wait = due - performance.now();
  if (wait > 1) await Bun.sleep(wait);
  const session = String(sessions[i % SESSIONS]?._id);
  const instance = cluster.instances[(i + 1) % cluster.instances.length];
  inflight.push(
    fetch(`${instance?.url}/api/v1/scan`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ qrCode: people[i]?.qrCode, sessionId: session, acceptUnregistered: true }),
    })
      .then(async (response) => {
        const body = (await response.json()) as { capacityInfo?: { checkInsCount: number } };
        if (response.status !== 200 || !body.capacityInfo) scanErrors++;
        else acks.push({ session, count: body.capacityInfo.checkInsCount, at: performance.now() });
      })
      .catch(() => {
        scanErrors++;
      }),
  );
}
await Promise.all(inflight);
await Bun.sleep(2000);

const delays: number[] = [];
let dropped = 0;
for (const ack of acks) {
  for (const dashboard of dashboards) {
    if (dashboard.session !== ack.session) continue;
    const shown = dashboard.seen.find((m) => m.count >= ack.count);
    if (!shown) dropped++;
    else delays.push(Math.max(0, shown.at - ack.at));
  }
}
delays.sort((a, b) => a - b);
const pct = (p: number) =>
  Math.round((delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))] ?? 0) * 10) / 10;
const rssMb = cluster.instances.map((instance) => {
  const status = readFileSync(`/proc/${instance.proc.pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
});
const result = {
  benchmark: "live-updates",
  date: new Date().toISOString(),
  instances: INSTANCES,
  clients: CLIENTS,
  sessions: SESSIONS,
  scans: acks.length,
  scanErrors,
  deliveries: delays.length,
  dropped,
  closedClients: dashboards.filter((d) => d.closed).length,
  delayMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: pct(100) },
  rssMb,
};
await cluster.stop();
await drop();
console.log(
  `bench-live: ${result.clients} clients · ${result.scans} scans · delay p50 ${result.delayMs.p50} ms p95 ${result.delayMs.p95} ms ` +
    `p99 ${result.delayMs.p99} ms · dropped ${dropped} · closed ${result.closedClients} · RSS ${rssMb.join(", ")} MB`,
);
const file = writeResult("live-updates", result);
console.log(`bench-live: written to ${file}`);
