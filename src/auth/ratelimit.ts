import type Redis from "ioredis";
import { AppError } from "../http/errors";
import { KEYS } from "../infra/keys";

// A sliding window per caller, shared by every instance through Redis in one round trip:
// this window's count plus the previous window's, weighted by how much of it still
// overlaps the last TTL. A fixed window would let a caller send twice the limit across a
// boundary (and let a burst through just because the clock turned a minute). The caller
// is the API token or the signed-in user first and the address last, so a whole venue
// behind one NAT is not blocked because one device misbehaves. Without Redis the limit
// is not enforced rather than refusing every door.

export interface Limits {
  ttlMs: number;
  limit: number;
}

const COUNT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {current, tonumber(redis.call('GET', KEYS[2]) or '0')}`;

type Counting = Redis & {
  rateCount(current: string, previous: string, ttlMs: number): Promise<[number, number]>;
};

function counting(redis: Redis): Counting {
  if (!("rateCount" in redis)) redis.defineCommand("rateCount", { numberOfKeys: 2, lua: COUNT });
  return redis as Counting;
}

/**
 * Whether this request is over the limit, counting the previous window as fading out
 * linearly, and if so how long until the next one would pass (seconds, at least 1).
 */
export function assessWindow(
  current: number,
  previous: number,
  elapsedFraction: number,
  limits: Limits,
): { limited: false } | { limited: true; retryAfter: number } {
  if (current + previous * (1 - elapsedFraction) <= limits.limit) return { limited: false };
  // The next request counts one more in this window: it passes once enough of the previous
  // one has faded, or (this window being full itself) once this window ends.
  const room = limits.limit - current - 1;
  const passesAt = room >= 0 && previous > 0 ? 1 - room / previous : 1;
  const wait = Math.max(Math.min(passesAt, 1) - elapsedFraction, 0) * limits.ttlMs;
  return { limited: true, retryAfter: Math.max(1, Math.ceil(wait / 1000)) };
}

export async function enforceRateLimit(
  redis: Redis,
  caller: string,
  limits: Limits,
  now = Date.now(),
): Promise<void> {
  const window = Math.floor(now / limits.ttlMs);
  const elapsed = (now - window * limits.ttlMs) / limits.ttlMs;
  let counts: [number, number];
  try {
    counts = await counting(redis).rateCount(
      KEYS.rateWindow(caller, window),
      KEYS.rateWindow(caller, window - 1),
      limits.ttlMs * 2,
    );
  } catch {
    return;
  }
  const verdict = assessWindow(...counts, elapsed, limits);
  if (!verdict.limited) return;
  const { retryAfter } = verdict;
  throw new AppError(
    429,
    `Too many requests: ${limits.limit} per ${Math.round(limits.ttlMs / 1000)} s for this ${caller.split(":")[0]}; try again in ${retryAfter} s`,
    undefined,
    { "Retry-After": String(retryAfter) },
  );
}
