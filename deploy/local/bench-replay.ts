// Five door devices come back online at once, each replaying its queue of offline scans in
// order (the oldest first, one at a time, as the browser does) through Nginx to a 2-instance
// cluster, on one room with fewer seats than badges. Prints and writes under bench/results
// (replay-drain-*.json): time to drain, scans lost, people admitted twice, seats over
// capacity, and the answers by reason.
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

// Queues: scan i is badge i mod people, on device i mod DEVICES, scanned over the last 20 minutes.
const started = Date.now() - 20 * 60_000;
const queues = Array.from(
  { length: DEVICES },
  () => [] as { qrCode: string; scannedAt: string; nonce: string }[],
);
for (let i = 0; i < SCANS; i++) {
  const person = people[i % people.length];
  queues[i % DEVICES]?.push({
    qrCode: person?.qrCode as string,
    scannedAt: new Date(started + Math.floor((i * 20 * 60_000) / SCANS)).toISOString(),
    nonce: `replay-${i.toString().padStart(6, "0")}`,
  });
}

const answers = new Map<string, number>();
let lost = 0;
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
            provisional: "ok",
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
console.log(`bench: written to ${writeResult("replay-drain", result)}`);
process.exit(lost + result.admittedTwice + result.overCapacity === 0 ? 0 : 1);
