import type Redis from "ioredis";
import { AppError } from "../http/errors";
import { KEYS } from "../infra/keys";

// Fixed windows per caller, shared by every instance through Redis: one INCR per
// request (the key names its window, so it needs an expiry only when it is new). The
// caller is the API token or the signed-in user first and the address last, so a
// whole venue behind one NAT is not blocked because one device misbehaves. Without
// Redis the limit is not enforced rather than refusing every door.

export interface Limits {
  ttlMs: number;
  limit: number;
}

export async function enforceRateLimit(
  redis: Redis,
  caller: string,
  limits: Limits,
  now = Date.now(),
): Promise<void> {
  const window = Math.floor(now / limits.ttlMs);
  const key = KEYS.rateWindow(caller, window);
  let count: number;
  try {
    count = await redis.incr(key);
    if (count === 1) await redis.pexpire(key, limits.ttlMs * 2);
  } catch {
    return;
  }
  if (count <= limits.limit) return;
  const retryAfter = Math.max(1, Math.ceil(((window + 1) * limits.ttlMs - now) / 1000));
  throw new AppError(
    429,
    `Too many requests: ${limits.limit} per ${Math.round(limits.ttlMs / 1000)} s for this ${caller.split(":")[0]}; try again in ${retryAfter} s`,
    undefined,
    { "Retry-After": String(retryAfter) },
  );
}
