import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import { checkinsOf } from "./repo";

// Live check-in count per session: a Redis counter for dashboards and the fast
// capacity pre-check, rebuilt from MongoDB whenever it is missing or expired. It is
// never the capacity guard itself (see seats.ts).

const ADD_IF_PRESENT = `
if redis.call("exists", KEYS[1]) == 0 then return nil end
local v = redis.call("incrby", KEYS[1], ARGV[1])
if v < 0 then redis.call("set", KEYS[1], 0, "KEEPTTL") return 0 end
return v`;

const key = (sessionId: ObjectId) => `count:${sessionId}`;

export function countFromDb(db: Db, sessionId: ObjectId): Promise<number> {
  return checkinsOf(db).countDocuments({ sessionId });
}

export async function checkedInCount(
  redis: Redis,
  db: Db,
  sessionId: ObjectId,
  ttlMs: number,
): Promise<number> {
  const hit = await redis.get(key(sessionId)).catch(() => null);
  if (hit !== null) return Number(hit);
  const count = await countFromDb(db, sessionId);
  await redis.set(key(sessionId), count, "PX", ttlMs, "NX").catch(() => undefined);
  return count;
}

export async function addToCount(redis: Redis, sessionId: ObjectId, delta: number): Promise<void> {
  await redis.eval(ADD_IF_PRESENT, 1, key(sessionId), delta).catch(() => undefined);
}

export async function resetCount(
  redis: Redis,
  sessionId: ObjectId,
  count: number,
  ttlMs: number,
): Promise<void> {
  await redis.set(key(sessionId), count, "PX", ttlMs).catch(() => undefined);
}
