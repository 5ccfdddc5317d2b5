import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db, MongoClient } from "mongodb";
import { DENO_COMMAND, type Instance, spawnInstance, stopProcess } from "../../../deploy/local/cluster";
import { freePort, instanceEnv, TEST_LOGS } from "../../helpers/env";
import {
  openDb,
  participantDoc,
  postJson,
  registrationDoc,
  sessionDoc,
  tokenHeaders,
} from "../../helpers/fixtures";

// Three real instances (two under Bun, one under Deno: a mixed cluster), one small
// session, 500 registered badges each scanned from five doors at once (spread over the
// instances) and then retried with the same nonce. Asserted: exact capacity, one check-in per person, retries answered with
// their original result, and counters equal to the documents.

const CAPACITY = 100;
const BADGES = 500;
const DOORS = 5;
const SCANNERS = 50;

let instances: Instance[] = [];
let client: MongoClient;
let db: Db;
let auth: Record<string, string>;
const env = instanceEnv("torture");
const session = sessionDoc({ name: "Tiny room", capacity: CAPACITY });
const people = Array.from({ length: BADGES }, (_, i) => participantDoc(i));

beforeAll(async () => {
  ({ client, db } = await openDb(String(env.MONGODB_DB)));
  auth = await tokenHeaders(db, "scanner");
  instances = await Promise.all(
    [0, 1, 2].map(async (n) =>
      spawnInstance({
        port: await freePort(),
        logDir: TEST_LOGS,
        env,
        ...(n === 1 ? { command: DENO_COMMAND } : {}),
      }),
    ),
  );
  await db.collection("sessions").insertOne(session);
  await db.collection("participants").insertMany(people);
  await db.collection("registrations").insertMany(people.map((p) => registrationDoc(p._id, session._id)));
});

afterAll(async () => {
  await Promise.all(instances.map((i) => stopProcess(i.proc)));
  await client.db(String(env.MONGODB_DB)).dropDatabase();
  await client.close();
});

type Outcome = { outcome: string; reason: string; checkInId: string | null; replayed: boolean };

async function scan(door: number, qrCode: string, nonce: string): Promise<Outcome> {
  const instance = instances[door % instances.length] as Instance;
  const { status, body } = await postJson(
    `${instance.url}/api/v1/scan`,
    {
      qrCode,
      sessionId: String(session._id),
      nonce,
      device: `door-${door}`,
    },
    auth,
  );
  if (status !== 200) throw new Error(`scan answered ${status}: ${JSON.stringify(body)}`);
  const data = body.data;
  return {
    outcome: data.outcome,
    reason: data.reason,
    checkInId: data.checkIn?._id ?? null,
    replayed: data.replayed,
  };
}

/** Runs tasks with at most `limit` in flight: the scanners at the doors. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await (tasks[index] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

test("capacity holds exactly, once per person, retries replay their original answer", async () => {
  const scans = people.flatMap((p, i) =>
    Array.from({ length: DOORS }, (_, door) => ({
      qrCode: p.qrCode,
      nonce: `badge-${i}-door-${door}`,
      door,
      person: i,
    })),
  );
  const first = await pool(
    scans.map((s) => () => scan(s.door, s.qrCode, s.nonce)),
    SCANNERS,
  );
  const retries = await pool(
    scans.map((s) => () => scan(s.door + 1, s.qrCode, s.nonce)),
    SCANNERS,
  );

  const accepted = first.filter((r) => r.outcome === "accept");
  expect(accepted.length).toBe(CAPACITY);
  for (const r of first) expect(["accept", "already", "refuse"]).toContain(r.outcome);
  for (const r of first.filter((x) => x.outcome === "refuse")) expect(r.reason).toBe("session_full");

  // Per badge: at most one door admitted it; when one did, the others said "already checked in".
  for (let person = 0; person < BADGES; person++) {
    const answers = first.slice(person * DOORS, person * DOORS + DOORS);
    const admitted = answers.filter((a) => a.outcome === "accept").length;
    expect(admitted).toBeLessThanOrEqual(1);
    if (admitted === 1) {
      expect(answers.filter((a) => a.outcome === "already").length).toBe(DOORS - 1);
    }
  }

  retries.forEach((retry, i) => {
    const original = first[i] as Outcome;
    expect(retry.replayed).toBe(true);
    expect({ ...retry, replayed: false }).toEqual({ ...original, replayed: false });
  });

  const docs = await db.collection("checkins").find({ sessionId: session._id }).toArray();
  expect(docs.length).toBe(CAPACITY);
  expect(new Set(docs.map((d) => String(d.participantId))).size).toBe(CAPACITY);
  const seats = docs.map((d) => d.seat as number);
  expect(new Set(seats).size).toBe(CAPACITY);
  expect(Math.min(...seats)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...seats)).toBeLessThan(CAPACITY);
  expect(new Set(accepted.map((a) => a.checkInId))).toEqual(new Set(docs.map((d) => String(d._id))));

  // Every instance reports the count the documents hold.
  for (const instance of instances) {
    const response = await fetch(`${instance.url}/api/v1/sessions/${session._id}`, { headers: auth });
    const body = (await response.json()) as { data: { checkInsCount: number } };
    expect(body.data.checkInsCount).toBe(CAPACITY);
  }
  // Every scan and its outcome is in the audit trail, retries are not double-logged.
  expect(await db.collection("scanlog").countDocuments({ sessionId: session._id, action: "scan" })).toBe(
    BADGES * DOORS,
  );
}, 180_000);
