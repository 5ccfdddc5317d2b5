import type Redis from "ioredis";
import { BSON } from "mongodb";

// Read-through cache in the shared Redis, written through on every change. A loader
// only fills an empty key (SET NX), so a slow read that started before a change can
// never put the old value back over the written-through one. Redis trouble never
// fails a read: it falls through to the loader.

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
  await redis.set(key, stored, "PX", value === null ? missingTtlMs : ttlMs, "NX").catch(() => undefined);
  return value;
}

/** Write-through after a change; `null` (deleted) is kept for `ttlMs` so no loader can resurrect it. */
export async function store<T>(redis: Redis, key: string, value: T | null, ttlMs: number): Promise<void> {
  const stored = value === null ? MISSING : BSON.EJSON.stringify(value, { relaxed: false });
  await redis.set(key, stored, "PX", ttlMs).catch(async () => {
    await redis.del(key).catch(() => undefined);
  });
}
