import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { type Db, type MongoClient, ObjectId } from "mongodb";
import { spawnInstance, stopProcess, waitHealthy } from "../../../deploy/local/cluster";
import { relayTo } from "../../../deploy/local/tcp-proxy";
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

test("a restarting instance holds the doors' first scans while it connects, rather than refusing them", async () => {
  const env = instanceEnv("restartheld");
  const people = Array.from({ length: 12 }, (_, i) => participantDoc(i));
  const { client: own, db, auth } = await seededRoom(env, sessionDoc({ name: "Restarted" }), people);
  const room = await db.collection<SessionDoc>("sessions").findOne({});
  await ensureIndexes(db, INDEXES);
  // MongoDB 30 ms away (a wide-area link, as to Atlas): connecting and checking the indexes takes
  // a while. Doors scan from before it listens, each scan sent again until a connection is
  // taken, so the first ones arrive before it has connected and checked its indexes.
  const mongo = relayTo(String(env.MONGODB_URI), await freePort());
  mongo.latencyMs = 30;
  const port = await freePort();
  const starting = spawnInstance({
    port,
    logDir: TEST_LOGS,
    env: { ...env, MONGODB_URI: `mongodb://127.0.0.1:${mongo.port}/${env.MONGODB_DB}` },
    waitFor: "live",
  });
  try {
    const answers = await Promise.all(
      people.map(async (person, i) => {
        for (;;) {
          const answer = await postJson(
            `http://127.0.0.1:${port}/api/v1/scan`,
            { qrCode: person.qrCode, sessionId: String(room?._id), nonce: `restart-held-${i}` },
            auth,
          ).catch(() => null);
          if (answer) return answer;
          await Bun.sleep(2);
        }
      }),
    );
    expect(answers.map((a) => `${a.status} ${a.body.data?.outcome ?? a.body.message}`)).toEqual(
      people.map(() => "200 accept"),
    );
  } finally {
    await stopProcess((await starting).proc);
    mongo.stop();
    await db.dropDatabase();
    await own.close();
  }
});

test("an instance whose unique indexes cannot be created admits nobody until they are (503 in words)", async () => {
  const env = instanceEnv("noindexes");
  const people = Array.from({ length: 3 }, (_, i) => participantDoc(i));
  const { client: own, db: fresh, auth } = await seededRoom(env, sessionDoc({ name: "First start" }), people);
  const room = await fresh.collection<SessionDoc>("sessions").findOne({});
  // A database without its indexes (a first start, or a restore) holding one person checked in
  // twice elsewhere: the unique index that forbids it cannot be created until someone fixes it.
  const twice = new ObjectId();
  const elsewhere = new ObjectId();
  await fresh
    .collection("checkins")
    .insertMany([
      checkInDoc(twice, elsewhere, "twice-1"),
      checkInDoc(twice, elsewhere, "twice-2"),
    ] as never[]);
  const instance = await spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env, waitFor: "live" });
  try {
    for (const [i, person] of people.slice(0, 2).entries()) {
      const answer = await postJson(
        `${instance.url}/api/v1/scan`,
        { qrCode: person.qrCode, sessionId: String(room?._id), nonce: `first-start-${i}` },
        auth,
      );
      expect(answer.status).toBe(503);
      expect(answer.body.message).toContain("unique indexes");
      const readiness = await fetch(`${instance.url}/api/v1/health/ready`).then((r) => r.json());
      expect(readiness.details.reasons).toContain("mongodb: indexes not created yet");
    }
    expect(await fresh.collection("checkins").countDocuments({ sessionId: room?._id })).toBe(0);
    // Fixed: the instance's next try creates them, and the door admits.
    await fresh.collection("checkins").deleteOne({ seat: "twice-2" });
    await waitHealthy(instance.url, 60_000);
    const last = await postJson(
      `${instance.url}/api/v1/scan`,
      { qrCode: people[2]?.qrCode, sessionId: String(room?._id), nonce: "first-start-after" },
      auth,
    );
    expect(last.status).toBe(200);
    expect(last.body.data.outcome).toBe("accept");
  } finally {
    await stopProcess(instance.proc);
    await fresh.dropDatabase();
    await own.close();
  }
});
