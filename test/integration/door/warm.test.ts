import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { type Db, type MongoClient, ObjectId } from "mongodb";
import { spawnInstance, stopProcess, waitHealthy } from "../../../deploy/local/cluster";
import { createDoor } from "../../../src/door/state";
import { INDEXES } from "../../../src/indexes";
import { ensureIndexes } from "../../../src/infra/mongo";
import type { ParticipantDoc } from "../../../src/participants/repo";
import { refreshRoster } from "../../../src/registrations/rosters";
import type { SessionDoc } from "../../../src/sessions/repo";
import { freePort, instanceEnv, stackEnv, TEST_LOGS, testDbName } from "../../helpers/env";
import {
  openDb,
  participantDoc,
  postJson,
  registrationDoc,
  seededRoom,
  sessionDoc,
} from "../../helpers/fixtures";

// The door state of a whole conference rebuilt from MongoDB (Redis lost it) against the real
// servers: a scan of a session the build has not reached is answered once its own session is
// built, not once the conference is, and every session ends exactly as MongoDB holds it.

const SESSIONS = 60;
const CHECK_INS = 40;
let client: MongoClient;
let db: Db;
let redis: Redis;
const sessions = Array.from({ length: SESSIONS }, (_, i) => sessionDoc({ name: `Warm ${i}`, capacity: 0 }));

/** A check-in as the door writes one, stored straight into MongoDB. */
function checkInDoc(participantId: ObjectId, sessionId: ObjectId, seat: number | string, nonce?: string) {
  const now = new Date();
  return {
    _id: new ObjectId(),
    participantId,
    sessionId,
    checkInTime: now,
    method: "qr",
    isLate: false,
    badge: "accepted",
    wasRegistered: false,
    seat,
    instance: "test",
    ...(nonce ? { nonce } : {}),
    checkedOutAt: null,
    createdAt: now,
    updatedAt: now,
    __v: 0,
  };
}

beforeAll(async () => {
  const name = testDbName("warm");
  ({ client, db } = await openDb(name));
  await ensureIndexes(db, INDEXES);
  redis = new Redis(stackEnv().REDIS_URL, { keyPrefix: `checkin:${name}:` });
  await db.collection("sessions").insertMany(sessions as never[]);
  for (const [s, session] of sessions.entries()) {
    const people = Array.from({ length: CHECK_INS + s }, () => new ObjectId());
    await db
      .collection("registrations")
      .insertMany(people.map((p) => registrationDoc(p, session._id)) as never[]);
    await db
      .collection("checkins")
      .insertMany(
        people
          .slice(0, CHECK_INS)
          .map((participantId, seat) =>
            checkInDoc(participantId, session._id, `free:${participantId}`, `warm-${s}-${seat}`),
          ) as never[],
      );
    await refreshRoster(db, session._id);
  }
});

afterAll(async () => {
  const keys = await redis.keys(`checkin:${db.databaseName}:*`);
  if (keys.length > 0) await new Redis(stackEnv().REDIS_URL).del(...keys);
  redis.disconnect();
  await db.dropDatabase();
  await client.close();
});

test("a scan during a conference-wide build waits for its own session only; every session ends exact", async () => {
  const door = createDoor(redis, db);
  const last = sessions[SESSIONS - 1]?._id as ObjectId;
  let conferenceBuilt = false;
  const everything = door.warm(
    sessions.map((s) => s._id),
    true,
  );
  void everything.then(() => {
    conferenceBuilt = true;
  });
  // Let the build start, then a door of the last session in line scans.
  await Bun.sleep(5);
  expect(await door.count(last)).toBe(CHECK_INS);
  expect(conferenceBuilt).toBe(false);
  const readyMeanwhile = (
    await Promise.all(sessions.map((s) => redis.hexists(`door:${s._id}`, "ready")))
  ).filter(Boolean).length;
  expect(readyMeanwhile).toBeLessThan(SESSIONS / 2);

  await everything;
  for (const [s, session] of sessions.entries()) {
    const figures = await door.stats(session._id);
    expect(figures.count).toBe(CHECK_INS);
    expect(figures.registered).toBe(CHECK_INS + s);
  }
});

test("an instance starting with Redis empty answers a door before its conference-wide build is over", async () => {
  const env = instanceEnv("coldstart");
  const {
    client: own,
    db: started,
    auth,
  } = await seededRoom(env, sessionDoc({ name: "Door at the end" }), [participantDoc(1)]);
  const room = await started.collection<SessionDoc>("sessions").findOne({});
  const person = await started.collection<ParticipantDoc>("participants").findOne({});
  // Enough other sessions, each with its check-ins, that reading them all takes a while.
  const others = Array.from({ length: 80 }, (_, i) => sessionDoc({ name: `Other ${i}` }));
  await started.collection("sessions").insertMany(others as never[]);
  const checkIns = others.flatMap((s) =>
    Array.from({ length: 300 }, (_, seat) => {
      const participantId = new ObjectId();
      return checkInDoc(participantId, s._id, `free:${participantId}`, `other-${s._id}-${seat}`);
    }),
  );
  for (let i = 0; i < checkIns.length; i += 5000)
    await started.collection("checkins").insertMany(checkIns.slice(i, i + 5000) as never[]);
  // A restart: the database and its indexes exist; Redis holds nothing of it.
  await ensureIndexes(started, INDEXES);
  const instance = await spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env, waitFor: "live" });
  try {
    // Once only the caches are left to warm, the conference-wide build is under way.
    for (let tries = 0; tries < 500; tries++) {
      const reasons = await fetch(`${instance.url}/api/v1/health/ready`)
        .then((r) => r.json())
        .then((body) => body.details?.reasons ?? []);
      if (reasons.length === 1 && reasons[0] === "warming caches") break;
      await Bun.sleep(10);
    }
    let answer = await postJson(
      `${instance.url}/api/v1/scan`,
      { qrCode: person?.qrCode, sessionId: String(room?._id), nonce: "cold-start-door-1" },
      auth,
    );
    for (let tries = 0; answer.status === 503 && tries < 100; tries++) {
      await Bun.sleep(20);
      answer = await postJson(
        `${instance.url}/api/v1/scan`,
        { qrCode: person?.qrCode, sessionId: String(room?._id), nonce: "cold-start-door-1" },
        auth,
      );
    }
    const readiness = await fetch(`${instance.url}/api/v1/health/ready`).then((r) => r.json());
    expect(answer.body.data.outcome).toBe("accept");
    // The door had its answer while the instance was still reading the rest of the conference.
    expect(readiness.details.reasons).toContain("warming caches");
    await waitHealthy(instance.url, 60_000);
    expect(await started.collection("checkins").countDocuments({ sessionId: room?._id })).toBe(1);
  } finally {
    await stopProcess(instance.proc);
    await started.dropDatabase();
    await own.close();
  }
});

test("an instance's first start on a database admits nobody before its unique indexes exist (503 in words)", async () => {
  const env = instanceEnv("noindexes");
  const people = Array.from({ length: 40 }, (_, i) => participantDoc(i));
  const { client: own, db: fresh, auth } = await seededRoom(env, sessionDoc({ name: "First start" }), people);
  const room = await fresh.collection<SessionDoc>("sessions").findOne({});
  // Enough documents that building the indexes takes a while.
  const others = Array.from({ length: 30_000 }, (_, i) => checkInDoc(new ObjectId(), new ObjectId(), i));
  for (let i = 0; i < others.length; i += 5000)
    await fresh.collection("checkins").insertMany(others.slice(i, i + 5000) as never[]);
  const instance = await spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env, waitFor: "live" });
  try {
    let seenWithoutIndexes = 0;
    for (const [i, person] of people.entries()) {
      const answer = await postJson(
        `${instance.url}/api/v1/scan`,
        { qrCode: person.qrCode, sessionId: String(room?._id), nonce: `first-start-${i}` },
        auth,
      );
      const reasons: string[] = await fetch(`${instance.url}/api/v1/health/ready`)
        .then((r) => r.json())
        .then((body) => body.details?.reasons ?? []);
      // Still without indexes after the answer: it was without them while answering too.
      if (reasons.some((r) => r.includes("indexes"))) {
        seenWithoutIndexes++;
        expect(answer.status).toBe(503);
        expect(answer.body.message).toContain("unique indexes");
      }
      if (answer.status === 503) await Bun.sleep(20);
    }
    expect(seenWithoutIndexes).toBeGreaterThan(0);
    await waitHealthy(instance.url, 60_000);
    const last = await postJson(
      `${instance.url}/api/v1/scan`,
      { qrCode: people[0]?.qrCode, sessionId: String(room?._id), nonce: "first-start-after" },
      auth,
    );
    expect(last.status).toBe(200);
  } finally {
    await stopProcess(instance.proc);
    await fresh.dropDatabase();
    await own.close();
  }
});
