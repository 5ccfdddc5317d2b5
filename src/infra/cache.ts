import type Redis from "ioredis";
import { BSON } from "mongodb";

// Read-through cache in the shared Redis. Because every instance reads the same
// keys, deleting a key on change invalidates it for the whole cluster at once.
// Redis trouble never fails a read: it falls through to the loader.

const MISSING = "__missing__";

export async function cached<T>(
  redis: Redis,
  key: string,
  ttlMs: number,
  missingTtlMs: number,
  load: () => Promise<T | null>,
): Promise<T | null> {
  const hit = await redis.get(key).catch(() => null);
  if (hit === MISSING) return null;
  if (hit !== null) return BSON.EJSON.parse(hit, { relaxed: false }) as T;
  const value = await load();
  const stored = value === null ? MISSING : BSON.EJSON.stringify(value, { relaxed: false });
  await redis.set(key, stored, "PX", value === null ? missingTtlMs : ttlMs).catch(() => undefined);
  return value;
}

export async function invalidate(redis: Redis, ...keys: string[]): Promise<void> {
  if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
}
