import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { stackEnv } from "../../helpers/env";
import {
  participantDoc,
  postJson,
  registrationDoc,
  seededInstances,
  sessionDoc,
} from "../../helpers/fixtures";

// Capacity lowered in the middle of a burst of scans on three instances: once the
// change is acknowledged, no admission lands above the new capacity, and afterwards
// the free seats Redis hands out are exactly the seats MongoDB has free.

const BEFORE = 60;
const AFTER = 30;
const PEOPLE = 300;
const SCANNERS = 30;

const session = sessionDoc({ name: "Shrinking room", capacity: BEFORE });
const people = Array.from({ length: PEOPLE }, (_, i) => participantDoc(i));
let cluster: Awaited<ReturnType<typeof seededInstances>>;

beforeAll(async () => {
  cluster = await seededInstances("capchange", 3, {
    sessions: [session],
    participants: people,
    registrations: people.map((p) => registrationDoc(p._id, session._id)),
  });
});

afterAll(async () => {
  await cluster.stop();
});

test("lowering capacity during a burst: nothing lands above it once acknowledged; free seats equal the truth", async () => {
  const { instances, auth, db } = cluster;
  let acknowledgedAt = Number.POSITIVE_INFINITY;
  const answers: { sentAt: number; outcome: string; checkInId: string | null }[] = [];
  let next = 0;
  const scanner = async (door: number) => {
    while (next < PEOPLE) {
      const person = people[next++];
      const instance = instances[door % instances.length];
      if (!person || !instance) return;
      const sentAt = Date.now();
      const { status, body } = await postJson(
        `${instance.url}/api/v1/scan`,
        { qrCode: person.qrCode, sessionId: String(session._id), nonce: `shrink-${person._id}` },
        auth,
      );
      expect(status).toBe(200);
      answers.push({ sentAt, outcome: body.data.outcome, checkInId: body.data.checkIn?._id ?? null });
    }
  };
  const change = (async () => {
    while (answers.length < 20) await Bun.sleep(2);
    const response = await fetch(`${instances[0]?.url}/api/v1/sessions/${session._id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ capacity: AFTER }),
    });
    expect(response.status).toBe(200);
    acknowledgedAt = Date.now();
    return db.collection("checkins").countDocuments({ sessionId: session._id });
  })();
  const [insideAtChange] = await Promise.all([
    change,
    ...Array.from({ length: SCANNERS }, (_, d) => scanner(d)),
  ]);

  const docs = await db.collection("checkins").find({ sessionId: session._id }).toArray();
  const seatOf = new Map(docs.map((d) => [String(d._id), d.seat]));
  // Admissions asked for after the acknowledgement hold a seat under the new capacity ...
  const later = answers.filter((a) => a.sentAt > acknowledgedAt && a.outcome === "accept");
  for (const a of later) {
    const seat = seatOf.get(String(a.checkInId));
    expect(typeof seat).toBe("number");
    expect(seat as number).toBeLessThan(AFTER);
  }
  // ... so the room never grows past the larger of the new capacity and who was already in.
  expect(docs.length).toBeLessThanOrEqual(Math.max(AFTER, insideAtChange));
  expect(new Set(docs.map((d) => String(d.participantId))).size).toBe(docs.length);
  expect(answers.filter((a) => a.outcome === "accept").length).toBe(docs.length);
  expect(answers.length).toBe(PEOPLE);

  const taken = new Set(docs.map((d) => d.seat).filter((s) => typeof s === "number" && s < AFTER));
  const truth = Array.from({ length: AFTER }, (_, i) => i).filter((i) => !taken.has(i));
  // Redis's free seats: the ones given back below the high-water mark, and all from it up.
  const redis = new Redis(stackEnv().REDIS_URL);
  const door = `checkin:${cluster.env.MONGODB_DB}:door:${session._id}`;
  const [hw, nh] = (await redis.hmget(door, "hw", "nh")).map(Number) as [number, number];
  const holes = (await redis.smembers(`${door}:seats`)).map(Number);
  redis.disconnect();
  expect(holes.length).toBe(nh);
  const free = [...holes, ...Array.from({ length: Math.max(0, AFTER - hw) }, (_, i) => hw + i)].sort(
    (a, b) => a - b,
  );
  expect(free).toEqual(truth);
}, 120_000);

test("a seat held by a request that died is given back when the room looks full", async () => {
  const { instances, auth, db, env } = cluster;
  const room = sessionDoc({ name: "Leaky room", capacity: 2 });
  const guests = [participantDoc(900), participantDoc(901), participantDoc(902)];
  await db.collection("sessions").insertOne(room);
  await db.collection("participants").insertMany(guests);
  await db.collection("registrations").insertMany(guests.map((p) => registrationDoc(p._id, room._id)));
  const scanAt = (i: number) =>
    postJson(
      `${instances[0]?.url}/api/v1/scan`,
      { qrCode: guests[i]?.qrCode, sessionId: String(room._id) },
      auth,
    );
  expect((await scanAt(0)).body.data.outcome).toBe("accept");
  // A claim whose request died before writing: its seat is out of the pool, its entry pending.
  const redis = new Redis(stackEnv().REDIS_URL);
  const key = `checkin:${env.MONGODB_DB}:door:${room._id}`;
  const seat = Number(await redis.hget(key, "hw"));
  await redis.hset(key, `i:${guests[2]?._id}`, `P-|${seat}|${Date.now() - 60_000}`, "hw", seat + 1);
  await redis.hincrby(key, "n", 1);
  redis.disconnect();
  // The room looks full (no free seat), MongoDB says one is free: the next person still gets in.
  await Bun.sleep(1100);
  expect((await scanAt(1)).body.data.outcome).toBe("accept");
  expect(await db.collection("checkins").countDocuments({ sessionId: room._id })).toBe(2);
  expect((await scanAt(2)).body.data.reason).toBe("session_full");
});
