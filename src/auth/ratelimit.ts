import type Redis from "ioredis";
import { AppError } from "../http/errors";

// One window per caller, opened by its first request and shared by every instance
// through Redis. The caller is
// the API token or the signed-in user first and the address last, so a whole venue
// behind one NAT is not blocked because one device misbehaves. Without Redis the
// limit is not enforced rather than refusing every door.

const WINDOW = `
local count = redis.call("incr", KEYS[1])
if count == 1 then redis.call("pexpire", KEYS[1], ARGV[1]) end
return { count, redis.call("pttl", KEYS[1]) }`;

export interface Limits {
  ttlMs: number;
  limit: number;
}

export async function enforceRateLimit(redis: Redis, caller: string, limits: Limits): Promise<void> {
  let count: number;
  let remainingMs: number;
  try {
    [count, remainingMs] = (await redis.eval(WINDOW, 1, `ratelimit:${caller}`, limits.ttlMs)) as [
      number,
      number,
    ];
  } catch {
    return;
  }
  if (count <= limits.limit) return;
  const retryAfter = Math.max(1, Math.ceil(remainingMs / 1000));
  throw new AppError(
    429,
    `Too many requests: ${limits.limit} per ${Math.round(limits.ttlMs / 1000)} s for this ${caller.split(":")[0]}; try again in ${retryAfter} s`,
    undefined,
    { "Retry-After": String(retryAfter) },
  );
}
