// Five door devices take their seat leases while online, go offline, decide each scan on
// their own (admit against the lease, refuse past it, "already" for a badge seen before),
// then come back online at once, each replaying its queue in order (the oldest first, one
// at a time, as the browser does) through Nginx to a 2-instance cluster, on one room with
// fewer seats than badges. Prints and writes under bench/results (replay-drain-*.json):
// time to drain, scans lost, people admitted twice, seats over capacity, people a door
// admitted offline then refused for capacity, people admitted the door had turned away,
// and the answers by reason.
//
//   SCANS=2000 DEVICES=5 CAPACITY=800 bun deploy/local/bench-replay.ts

import { ObjectId } from "mongodb";
import { participantRecord } from "../../src/participants/repo";
import { sessionRecord } from "../../src/sessions/repo";
import { benchDatabase, envNumber, freePort, writeResult } from "./bench-common";
import { startCluster } from "./cluster";

const SCANS = envNumber("SCANS", 2000);
const DEVICES = Math.max(1, envNumber("DEVICES", 5));
// Fewer seats than people: some replays must be refused for capacity, and nobody over.
const CAPACITY = envNumber("CAPACITY", Math.floor(SCANS * 0.4));

const bench = await benchDatabase("replay");
const session = sessionRecord({
  name: "Replay room",
  location: "Hall",
  startTime: new Date(Date.now() - 30 * 60_000),
  endTime: new Date(Date.now() + 60 * 60_000),
  status: "open",
  capacity: CAPACITY,
  capacityEnforced: true,
});
// Every badge twice among the queues (two doors saw the same person), so "nobody twice" is tested.
const people = Array.from({ length: Math.ceil(SCANS / 2) }, (_, i) =>
  participantRecord({ name: `Replay ${i}`, email: `replay${i}@example.org` }),
);
await bench.db.collection("sessions").insertOne(session);
await bench.db.collection("participants").insertMany(people);
const now = new Date();
await bench.db.collection("registrations").insertMany(
  people.map((p) => ({
    _id: new ObjectId(),
    participantId: p._id,
    sessionId: session._id,
    registrationDate: now,
    status: "confirmed",
    createdAt: now,
    updatedAt: now,
    __v: 0,
  })),
);

const cluster = await startCluster({
  ports: [freePort(), freePort()],
  nginxPort: freePort(),
  dir: bench.clusterDir,
  env: { ...process.env, MONGODB_DB: bench.dbName, LOG_LEVEL: "warn", THROTTLE_LIMIT: "1000000" },
});

// Leases, as the devices' snapshots ask for them: twice round, so each settles on its equal share.
const leaseIds = Array.from({ length: DEVICES }, (_, d) => `bench-replay-door-${d + 1}`);
const leases: number[] = [];
for (let round = 0; round < 2; round++) {
  for (const [d, id] of leaseIds.entries()) {
    const response = await fetch(`${cluster.url}/scan/${session._id}/snapshot?lease=${id}`, {
      headers: bench.auth,
    });
    leases[d] = ((await response.json()) as { lease?: { seats: number } }).lease?.seats ?? 0;
  }
}

// Queues: scan i is badge i mod people, on device i mod DEVICES, scanned over the last 20 minutes,
// each with the device's own verdict offline.
const started = Date.now() - 20 * 60_000;
const queues = Array.from(
  { length: DEVICES },
  () => [] as { qrCode: string; scannedAt: string; nonce: string; provisional: string }[],
);
const seen = Array.from({ length: DEVICES }, () => new Set<string>());
const left = [...leases];
for (let i = 0; i < SCANS; i++) {
  const person = people[i % people.length];
  const device = i % DEVICES;
  const qrCode = person?.qrCode as string;
  const again = seen[device]?.has(qrCode);
  seen[device]?.add(qrCode);
  const admits = !again && (left[device] ?? 0) > 0;
  if (admits) left[device] = (left[device] ?? 0) - 1;
  queues[device]?.push({
    qrCode,
    scannedAt: new Date(started + Math.floor((i * 20 * 60_000) / SCANS)).toISOString(),
    nonce: `replay-${i.toString().padStart(6, "0")}`,
    provisional: again ? "already_checked_in" : admits ? "ok" : "offline_share_used_up",
  });
}

const answers = new Map<string, number>();
let lost = 0;
let refusedAfterAdmitted = 0;
let admittedAfterTurnedAway = 0;
const t0 = performance.now();
await Promise.all(
  queues.map(async (queue, device) => {
    for (const item of queue) {
      for (let attempt = 0; ; attempt++) {
        const response = await fetch(`${cluster.url}/api/v1/scan`, {
          method: "POST",
          headers: { ...bench.auth, "content-type": "application/json" },
          body: JSON.stringify({
            sessionId: String(session._id),
            qrCode: item.qrCode,
            scannedAt: item.scannedAt,
            nonce: item.nonce,
            provisional: item.provisional,
            lease: leaseIds[device],
            device: `Door ${device + 1}`,
          }),
        }).catch(() => null);
        // Not answered: the device keeps it and tries again, as the browser does.
        if (!response || response.status >= 500) {
          if (attempt >= 5) {
            lost++;
            break;
          }
          await Bun.sleep(200);
          continue;
        }
        const body = (await response.json()) as { data?: { reason?: string } };
        const key = `${response.status} ${body.data?.reason ?? ""}`.trim();
        answers.set(key, (answers.get(key) ?? 0) + 1);
        if (item.provisional === "ok" && body.data?.reason === "session_full") refusedAfterAdmitted++;
        if (item.provisional !== "ok" && body.data?.reason === "ok") admittedAfterTurnedAway++;
        break;
      }
    }
  }),
);
const drainSeconds = (performance.now() - t0) / 1000;

const checkins = await bench.db.collection("checkins").find({ sessionId: session._id }).toArray();
const distinct = new Set(checkins.map((c) => String(c.participantId))).size;
const logged = await bench.db.collection("scanlog").countDocuments({ sessionId: session._id });
const result = {
  date: new Date().toISOString(),
  scans: SCANS,
  devices: DEVICES,
  capacity: CAPACITY,
  people: people.length,
  leases,
  admittedOffline: queues.flat().filter((q) => q.provisional === "ok").length,
  refusedAfterAdmitted,
  admittedAfterTurnedAway,
  drainSeconds: Math.round(drainSeconds * 100) / 100,
  scansPerSecond: Math.round(SCANS / drainSeconds),
  lost,
  scanLogEntries: logged,
  checkIns: checkins.length,
  admittedTwice: checkins.length - distinct,
  overCapacity: Math.max(0, checkins.length - CAPACITY),
  answers: Object.fromEntries([...answers].sort()),
};
await cluster.stop();
await bench.drop();
console.log(
  `replay: ${SCANS} queued scans from ${DEVICES} devices drained in ${result.drainSeconds} s ` +
    `(${result.scansPerSecond}/s); lost ${lost}, admitted twice ${result.admittedTwice}, ` +
    `over capacity ${result.overCapacity}; scan log ${logged}; answers ${JSON.stringify(result.answers)}`,
);
console.log(
  `replay: leases ${JSON.stringify(leases)}; admitted offline ${result.admittedOffline}, ` +
    `of them refused for capacity on sync ${refusedAfterAdmitted}; turned away but admitted ${admittedAfterTurnedAway}`,
);
console.log(`bench: written to ${writeResult("replay-drain", result)}`);
process.exit(
  lost + result.admittedTwice + result.overCapacity + refusedAfterAdmitted + admittedAfterTurnedAway === 0
    ? 0
    : 1,
);
