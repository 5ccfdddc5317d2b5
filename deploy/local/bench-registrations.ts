// Registrations written one call at a time, as registration systems push them (a webhook per
// order): `CLIENTS` (8) concurrent clients through Nginx to 2 instances create `CREATES`
// (3,000) registrations, change the status of `CHANGES` (1,000) and delete `DELETES` (1,000),
// first into a database of `SMALL` (10,000) registrations over 10 sessions, then again once it
// holds `LARGE` (100,000): a write's cost must not grow with its session's size. Then the
// start-up read the packed copies exist for: one more instance's time from start to ready.
// Before the first phase, `WARM` (500) creates warm the instances (their start-up reads and
// compiled code), unmeasured: the phases measure a running cluster, not one just started.
// Prints and writes under bench/results (registrations-*.json).
//
//   CLIENTS=8 CREATES=3000 WARM=500 SMALL=10000 LARGE=100000 bun deploy/local/bench-registrations.ts

import { ObjectId } from "mongodb";
import { participantRecord } from "../../src/participants/repo";
import { sessionRecord } from "../../src/sessions/repo";
import { benchDatabase, envNumber, freePort, ROOT, writeResult } from "./bench-common";
import { cpuSeconds, difference, stackPids, sum } from "./bench-proc";
import { spawnInstance, startCluster, stopProcess } from "./cluster";

const CLIENTS = Math.max(1, envNumber("CLIENTS", 8));
const CREATES = envNumber("CREATES", 3000);
const CHANGES = envNumber("CHANGES", 1000);
const DELETES = envNumber("DELETES", 1000);
const SMALL = envNumber("SMALL", 10_000);
const LARGE = Math.max(SMALL, envNumber("LARGE", 100_000));
const WARM = envNumber("WARM", 500);
const SESSIONS = 10;

const bench = await benchDatabase("registrations");
const db = bench.db;
const start = new Date(Date.now() + 24 * 3600_000);
const sessions = Array.from({ length: SESSIONS }, (_, i) =>
  sessionRecord({
    name: `Registrations ${i + 1}`,
    location: `Room ${i + 1}`,
    startTime: start,
    endTime: new Date(start.getTime() + 3600_000),
    capacity: 0,
  }),
);
// Enough people for every registration the run makes, in each session.
const perSession = Math.ceil((LARGE + 2 * CREATES + WARM) / SESSIONS) + 10;
const people = Array.from({ length: perSession }, (_, i) =>
  participantRecord({ name: `Registrant ${i}`, email: `registrant${i}@example.org` }),
);
await db.collection("sessions").insertMany(sessions);
for (let i = 0; i < people.length; i += 5000)
  await db.collection("participants").insertMany(people.slice(i, i + 5000));

/** Registrations inserted straight into the database (before the cluster reads it, or as a bulk load). */
let seeded = 0;
async function seedUpTo(total: number): Promise<void> {
  const batch: Record<string, unknown>[] = [];
  const now = new Date();
  for (; seeded < total; seeded++) {
    const session = sessions[seeded % SESSIONS] as (typeof sessions)[number];
    const person = people[Math.floor(seeded / SESSIONS)] as (typeof people)[number];
    batch.push({
      _id: new ObjectId(),
      participantId: person._id,
      sessionId: session._id,
      registrationDate: now,
      status: "confirmed",
      createdAt: now,
      updatedAt: now,
      __v: 0,
    });
    if (batch.length === 5000) await db.collection("registrations").insertMany(batch.splice(0));
  }
  if (batch.length) await db.collection("registrations").insertMany(batch);
}

await seedUpTo(SMALL);
const cluster = await startCluster({
  ports: [freePort(), freePort()],
  nginxPort: freePort(),
  dir: bench.clusterDir,
  env: { ...process.env, MONGODB_DB: bench.dbName, LOG_LEVEL: "warn", THROTTLE_LIMIT: "1000000" },
});
const headers = { ...bench.auth, "content-type": "application/json" };

const roots = {
  instances: cluster.instances.map((i) => i.proc.pid),
  nginx: [cluster.nginx.pid],
  ...stackPids(ROOT),
  "load generator": [process.pid],
};

/** `count` requests from CLIENTS clients at once; the rate, the statuses and the machine's CPU per call. */
async function drive(count: number, request: (i: number) => Promise<Response>) {
  const statuses = new Map<number, number>();
  let next = 0;
  const cpu0 = cpuSeconds(roots);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < count; i = next++) {
        const response = await request(i).catch(() => null);
        const status = response?.status ?? 0;
        await response?.arrayBuffer();
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const duringBurst = sum(difference(cpu0, cpuSeconds(roots)));
  // The burst's own aftermath (its sessions packed again once quiet, registrations/marks.ts)
  // is counted in its CPU, not in the next phase's.
  for (let waited = 0; waited < 15_000; waited += 250) {
    if ((await db.collection("registration_marks").countDocuments({})) === 0) break;
    await Bun.sleep(250);
  }
  const cpu = difference(cpu0, cpuSeconds(roots));
  const perCallMs = (value: number) => Math.round((value / count) * 1000 * 100) / 100;
  return {
    perSecond: Math.round(count / seconds),
    seconds: Math.round(seconds * 100) / 100,
    statuses: Object.fromEntries(statuses),
    cpuMsPerCall: perCallMs(sum(cpu)),
    /** The same without the packing that follows the burst. */
    cpuMsPerCallDuringBurst: perCallMs(duringBurst),
    cpuMsPerCallBy: Object.fromEntries(Object.entries(cpu).map(([name, value]) => [name, perCallMs(value)])),
  };
}

/** Creates, status changes and deletions one call at a time, into the database as it now is. */
async function phase(label: string) {
  const size = await db.collection("registrations").estimatedDocumentCount();
  const ids: string[] = [];
  const offset = seeded + ids.length;
  const creates = await drive(CREATES, async (i) => {
    const n = offset + i;
    const response = await fetch(`${cluster.url}/api/v1/registrations`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        participantId: String(people[Math.floor(n / SESSIONS)]?._id),
        sessionId: String(sessions[n % SESSIONS]?._id),
        status: "confirmed",
      }),
    });
    const body = (await response
      .clone()
      .json()
      .catch(() => ({}))) as { data?: { _id?: string } };
    if (body.data?._id) ids.push(body.data._id);
    return response;
  });
  seeded += CREATES;
  const changes = await drive(Math.min(CHANGES, ids.length), (i) =>
    fetch(`${cluster.url}/api/v1/registrations/${ids[i]}`, {
      method: "PATCH",
      headers,
      body: JSON.stringify({ status: i % 2 ? "cancelled" : "pending" }),
    }),
  );
  const deletes = await drive(Math.min(DELETES, ids.length), (i) =>
    fetch(`${cluster.url}/api/v1/registrations/${ids[ids.length - 1 - i]}`, { method: "DELETE", headers }),
  );
  const figures = { label, registrationsBefore: size, creates, changes, deletes };
  console.log(
    `registrations (${label}): CPU ms per call by process: create ${JSON.stringify(creates.cpuMsPerCallBy)}; ` +
      `status change ${JSON.stringify(changes.cpuMsPerCallBy)}; delete ${JSON.stringify(deletes.cpuMsPerCallBy)}`,
  );
  console.log(
    `registrations (${label}, ${size} before): create ${creates.perSecond}/s, status change ${changes.perSecond}/s, ` +
      `delete ${deletes.perSecond}/s with ${CLIENTS} clients; CPU ms per call (whole machine) ` +
      `${creates.cpuMsPerCall} / ${changes.cpuMsPerCall} / ${deletes.cpuMsPerCall} (during the burst alone ` +
      `${creates.cpuMsPerCallDuringBurst} / ${changes.cpuMsPerCallDuringBurst} / ${deletes.cpuMsPerCallDuringBurst}); statuses ${JSON.stringify({ creates: creates.statuses, changes: changes.statuses, deletes: deletes.statuses })}`,
  );
  return figures;
}

// The warm-up's people are the last ones, which neither the phases nor the loading reach.
await drive(WARM, (i) =>
  fetch(`${cluster.url}/api/v1/registrations`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      participantId: String(people[people.length - 1 - Math.floor(i / SESSIONS)]?._id),
      sessionId: String(sessions[i % SESSIONS]?._id),
      status: "confirmed",
    }),
  }),
);
const small = await phase("small");
console.log(`registrations: loading the database up to ${LARGE} registrations…`);
await seedUpTo(LARGE);
const large = await phase("large");

// The start-up read: a third instance on the database as it now is.
const t0 = performance.now();
let readySeconds: number | null = null;
try {
  const third = await spawnInstance({
    port: freePort(),
    logDir: bench.clusterDir,
    env: { ...process.env, MONGODB_DB: bench.dbName, LOG_LEVEL: "warn" },
    timeoutMs: 180_000,
  });
  readySeconds = Math.round((performance.now() - t0) / 10) / 100;
  await stopProcess(third.proc);
} catch (error) {
  // Reported, not thrown: the figures above still get written.
  console.log(
    `registrations: the extra instance was not ready: ${error instanceof Error ? error.message : error}`,
  );
}
console.log(
  `registrations: an instance started on ${await db.collection("registrations").estimatedDocumentCount()} registrations was ready in ${readySeconds} s`,
);

const result = {
  date: new Date().toISOString(),
  clients: CLIENTS,
  small,
  large,
  startupReadySeconds: readySeconds,
};
await cluster.stop();
await bench.drop();
console.log(`bench: written to ${writeResult("registrations", result)}`);
