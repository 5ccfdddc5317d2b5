import type Redis from "ioredis";

// Single-node Redlock: SET key token NX PX ttl, released by compare-and-delete.
// It keeps two doors from racing the same badge; correctness never rests on it
// alone (unique indexes in MongoDB are the final guard).

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export interface LockSettings {
  ttlMs: number;
  retries: number;
  retryDelayMs: number;
}

export class LockBusyError extends Error {
  constructor(key: string) {
    super(`lock ${key} is held by another request`);
    this.name = "LockBusyError";
  }
}

export class LockUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`locks unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "LockUnavailableError";
  }
}

export async function withLock<T>(
  redis: Redis,
  key: string,
  settings: LockSettings,
  work: () => Promise<T>,
): Promise<T> {
  const token = crypto.randomUUID();
  for (let attempt = 0; ; attempt++) {
    let acquired: string | null;
    try {
      acquired = await redis.set(key, token, "PX", settings.ttlMs, "NX");
    } catch (error) {
      throw new LockUnavailableError(error);
    }
    if (acquired === "OK") break;
    if (attempt >= settings.retries) throw new LockBusyError(key);
    // Jitter keeps two doors retrying in lockstep from colliding again.
    await new Promise((resolve) => setTimeout(resolve, settings.retryDelayMs * (0.5 + Math.random())));
  }
  try {
    return await work();
  } finally {
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
