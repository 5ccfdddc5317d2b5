import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import { unavailable } from "../http/errors";
import { sessionsOf } from "../sessions/repo";
import { checkinsOf } from "./repo";

// Every check-in of a capacity-enforced session holds a seat number in
// [0, capacity); the unique (sessionId, seat) index makes a second holder of a seat
// impossible. Free seats are a Redis set: claiming one is a single atomic SPOP,
// whichever instance asks (a set, so a seat released twice is still handed out once).
// The set is rebuilt from MongoDB, with the capacity read fresh from MongoDB, when it
// is missing or empty while MongoDB still has room. A rebuilt set may hand out a seat
// an in-flight write holds; the index rejects the second writer, which claims again.
//
// Changing capacity or enforcement re-seats the session: claims are frozen, in-flight
// writes drain, every check-in gets a seat under the new rule, and the set is rebuilt.

const CLAIM = `
if redis.call("exists", KEYS[3]) == 1 then return -3 end
if redis.call("exists", KEYS[2]) == 0 then return -2 end
local seat = redis.call("spop", KEYS[1])
if not seat then return -1 end
return tonumber(seat)`;

const FREEZE_MS = 30_000;
const WAIT_STEP_MS = 50;

const keys = (sessionId: ObjectId) =>
  [`seats:${sessionId}:free`, `seats:${sessionId}:built`, `seats:${sessionId}:frozen`] as const;

export type Claim = { seat: number } | { full: true };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Numeric seats taken below `capacity`, from MongoDB. */
async function takenSeats(db: Db, sessionId: ObjectId, capacity: number): Promise<Set<number>> {
  const docs = await checkinsOf(db)
    .find({ sessionId }, { projection: { seat: 1, _id: 0 } })
    .toArray();
  return new Set(
    docs.map((d) => d.seat).filter((seat): seat is number => typeof seat === "number" && seat < capacity),
  );
}

async function freeSeats(db: Db, sessionId: ObjectId, capacity: number): Promise<number[]> {
  const taken = await takenSeats(db, sessionId, capacity);
  const free: number[] = [];
  for (let seat = 0; seat < capacity; seat++) if (!taken.has(seat)) free.push(seat);
  return free;
}

/** The capacity in force, read from MongoDB (never from a cache that may predate a change). */
async function enforcedCapacity(db: Db, sessionId: ObjectId): Promise<number> {
  const session = await sessionsOf(db).findOne(
    { _id: sessionId },
    { projection: { capacity: 1, capacityEnforced: 1 } },
  );
  return session?.capacityEnforced && session.capacity > 0 ? session.capacity : 0;
}

async function rebuild(redis: Redis, db: Db, sessionId: ObjectId): Promise<void> {
  const [set, built] = keys(sessionId);
  const capacity = await enforcedCapacity(db, sessionId);
  const free = await freeSeats(db, sessionId, capacity);
  const tx = redis.multi().del(set);
  if (free.length > 0) tx.sadd(set, ...free);
  await tx.set(built, String(capacity)).exec();
}

/** Waits while the session is being re-seated; 503 if that takes unusually long. */
export async function awaitUnfrozen(redis: Redis, sessionId: ObjectId): Promise<boolean> {
  const [, , frozen] = keys(sessionId);
  let waited = false;
  for (let ms = 0; ms < 5000; ms += WAIT_STEP_MS) {
    if (!(await redis.exists(frozen))) return waited;
    waited = true;
    await sleep(WAIT_STEP_MS);
  }
  throw unavailable("This session's capacity is being changed; scan again in a moment.");
}

/** Claims a free seat through Redis. */
export async function claimSeatFast(redis: Redis, db: Db, sessionId: ObjectId): Promise<Claim> {
  const [set, built, frozen] = keys(sessionId);
  for (let round = 0; round < 3; round++) {
    const result = Number(await redis.eval(CLAIM, 3, set, built, frozen));
    if (result >= 0) return { seat: result };
    if (result === -3) {
      await awaitUnfrozen(redis, sessionId);
      continue;
    }
    if (result === -1) {
      // Empty: trust it only if MongoDB agrees the session is full.
      const capacity = await enforcedCapacity(db, sessionId);
      if ((await takenSeats(db, sessionId, capacity)).size >= capacity) return { full: true };
    }
    await rebuild(redis, db, sessionId);
  }
  return { full: true };
}

/** Without Redis: a random free seat from MongoDB; the unique index settles races. */
export async function claimSeatFromDb(db: Db, sessionId: ObjectId): Promise<Claim> {
  const free = await freeSeats(db, sessionId, await enforcedCapacity(db, sessionId));
  if (free.length === 0) return { full: true };
  return { seat: free[Math.floor(Math.random() * free.length)] as number };
}

export async function releaseSeat(redis: Redis, sessionId: ObjectId, seat: number | string): Promise<void> {
  if (typeof seat !== "number") return;
  const [set, built] = keys(sessionId);
  // Only into a set built for a capacity that still has this seat.
  const capacity = Number(await redis.get(built));
  if (seat < capacity) await redis.sadd(set, seat);
}

/**
 * Makes a change of capacity or enforcement: freeze claims, apply it, let in-flight check-ins
 * of the session finish, give every check-in a seat under the new rule (numbers in
 * [0, capacity) while there is room, "over:<participant>" beyond it when capacity was
 * lowered below the count, "free:<participant>" when capacity is not enforced), then
 * rebuild the free set.
 */
export async function reseat<T>(
  redis: Redis,
  db: Db,
  sessionId: ObjectId,
  inFlight: () => Promise<number>,
  change: () => Promise<T>,
): Promise<T> {
  const [set, built, frozen] = keys(sessionId);
  await redis.set(frozen, "1", "PX", FREEZE_MS);
  try {
    // Frozen before the change: no claim can use the new capacity against old seats.
    const changed = await change();
    for (let ms = 0; ms < 5000 && (await inFlight()) > 0; ms += WAIT_STEP_MS) await sleep(WAIT_STEP_MS);
    const capacity = await enforcedCapacity(db, sessionId);
    const docs = await checkinsOf(db)
      .find({ sessionId }, { projection: { _id: 1, seat: 1, participantId: 1 } })
      .sort({ checkInTime: 1 })
      .toArray();
    const kept = new Set(
      docs.map((d) => d.seat).filter((s): s is number => typeof s === "number" && s < capacity),
    );
    const free = Array.from({ length: capacity }, (_, i) => i).filter((i) => !kept.has(i));
    for (const doc of docs) {
      const fits = typeof doc.seat === "number" && doc.seat < capacity;
      if (fits) continue;
      const seat =
        capacity === 0 ? `free:${doc.participantId}` : (free.shift() ?? `over:${doc.participantId}`);
      if (seat !== doc.seat) await checkinsOf(db).updateOne({ _id: doc._id }, { $set: { seat } });
    }
    await redis.del(set, built);
    return changed;
  } finally {
    await redis.del(frozen);
  }
}
