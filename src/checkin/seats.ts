import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import { checkinsOf } from "./repo";

// Free seats of a capacity-enforced session live in a Redis list: claiming one is a
// single atomic LPOP, whichever instance asks. The list is rebuilt from MongoDB when
// it is missing (Redis restart) or empty while MongoDB still has room (a claim lost
// to a crash). A rebuilt list may hand out a seat that an in-flight write holds; the
// unique (sessionId, seat) index rejects the second writer, which claims again.

const CLAIM = `
if redis.call("get", KEYS[2]) ~= ARGV[1] then return -2 end
local seat = redis.call("lpop", KEYS[1])
if not seat then return -1 end
return tonumber(seat)`;

const keys = (sessionId: ObjectId) => [`seats:${sessionId}:free`, `seats:${sessionId}:capacity`];

export type Claim = { seat: number } | { full: true };

async function takenSeats(db: Db, sessionId: ObjectId): Promise<Set<number>> {
  const docs = await checkinsOf(db)
    .find({ sessionId }, { projection: { seat: 1, _id: 0 } })
    .toArray();
  return new Set(docs.map((doc) => doc.seat).filter((seat): seat is number => typeof seat === "number"));
}

async function freeSeats(db: Db, sessionId: ObjectId, capacity: number): Promise<number[]> {
  const taken = await takenSeats(db, sessionId);
  const free: number[] = [];
  for (let seat = 0; seat < capacity; seat++) if (!taken.has(seat)) free.push(seat);
  return free;
}

async function rebuild(redis: Redis, db: Db, sessionId: ObjectId, capacity: number): Promise<void> {
  const [list, marker] = keys(sessionId) as [string, string];
  const free = await freeSeats(db, sessionId, capacity);
  const tx = redis.multi().del(list);
  if (free.length > 0) tx.rpush(list, ...free);
  await tx.set(marker, String(capacity)).exec();
}

/** Claims a free seat through Redis; `attempt` > 0 means the previous seat was taken after all. */
export async function claimSeatFast(
  redis: Redis,
  db: Db,
  sessionId: ObjectId,
  capacity: number,
): Promise<Claim> {
  const [list, marker] = keys(sessionId) as [string, string];
  for (let round = 0; round < 2; round++) {
    const result = Number(await redis.eval(CLAIM, 2, list, marker, String(capacity)));
    if (result >= 0) return { seat: result };
    if (result === -1) {
      // Empty list: trust it only if MongoDB agrees the session is full.
      const taken = await takenSeats(db, sessionId);
      if (countBelow(taken, capacity) >= capacity) return { full: true };
    }
    await rebuild(redis, db, sessionId, capacity);
  }
  return { full: true };
}

/** Without Redis: pick a random free seat from MongoDB; the unique index settles races. */
export async function claimSeatFromDb(db: Db, sessionId: ObjectId, capacity: number): Promise<Claim> {
  const free = await freeSeats(db, sessionId, capacity);
  if (free.length === 0) return { full: true };
  return { seat: free[Math.floor(Math.random() * free.length)] as number };
}

export async function releaseSeat(redis: Redis, sessionId: ObjectId, seat: number | string): Promise<void> {
  if (typeof seat !== "number") return;
  const [list] = keys(sessionId) as [string];
  await redis.rpush(list, seat);
}

/** Capacity changed or seats were freed in bulk: the next claim rebuilds from MongoDB. */
export async function forgetSeats(redis: Redis, sessionId: ObjectId): Promise<void> {
  await redis.del(...keys(sessionId));
}

function countBelow(taken: Set<number>, capacity: number): number {
  let n = 0;
  for (const seat of taken) if (seat < capacity) n++;
  return n;
}
