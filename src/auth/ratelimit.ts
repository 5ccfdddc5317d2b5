import type Redis from "ioredis";
import { AppError } from "../http/errors";
import { phrase } from "../i18n/locale";
import { KEYS } from "../infra/keys";

// A sliding window per caller, shared by every instance through Redis: this window's
// count plus the previous window's, weighted by how much of it still overlaps the last
// TTL. A fixed window would let a caller send twice the limit across a boundary (and let
// a burst through just because the clock turned a minute). One INCR per request: the
// previous window is final once it has ended, so each instance reads it once per caller
// and window and keeps it. The caller is the API token or the signed-in user first and
// the address last, so a whole venue behind one NAT is not blocked because one device
// misbehaves. Without Redis the limit is not enforced rather than refusing every door.

export interface Limits {
  ttlMs: number;
  limit: number;
}

/** Per Redis connection (one per instance): the previous window's counts, for the current window. */
const previousCounts = new WeakMap<Redis, { window: number; counts: Map<string, number> }>();

async function previousCount(redis: Redis, caller: string, window: number): Promise<number> {
  let cache = previousCounts.get(redis);
  if (!cache || cache.window !== window) {
    cache = { window, counts: new Map() };
    previousCounts.set(redis, cache);
  }
  const known = cache.counts.get(caller);
  if (known !== undefined) return known;
  const count = Number((await redis.get(KEYS.rateWindow(caller, window - 1))) ?? 0);
  cache.counts.set(caller, count);
  return count;
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
  let current: number;
  let previous: number;
  try {
    const key = KEYS.rateWindow(caller, window);
    current = await redis.incr(key);
    if (current === 1) await redis.pexpire(key, limits.ttlMs * 2);
    previous = await previousCount(redis, caller, window);
  } catch {
    return;
  }
  const verdict = assessWindow(current, previous, elapsed, limits);
  if (!verdict.limited) return;
  const { retryAfter } = verdict;
  throw new AppError(
    429,
    phrase("Too many requests: {limit} per {seconds} s from this caller; try again in {retry} s", {
      limit: limits.limit,
      seconds: Math.round(limits.ttlMs / 1000),
      retry: retryAfter,
    }),
    undefined,
    { "Retry-After": String(retryAfter) },
  );
}
