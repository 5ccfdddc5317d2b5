import type Redis from "ioredis";
import { KEYS } from "./keys";
import { type Stamps, windowOf } from "./stamps";

// What the copies packed in MongoDB (door/copies.ts, participants/directory-copy.ts) share:
// the window a copy may claim (every change stamped before it has landed), and reading what
// changed window by window (FerretDB answers an equality from an index; a range, never).

/** How far the instances' clocks may disagree. */
const SKEW_MS = 2000;
/** An instance silent this long is gone: its low water no longer holds copies back. */
const STALE_MS = 30_000;
/**
 * A copy older than this many windows (two minutes) is not worth its changes: every change since
 * is read for every copy at once, so one stale copy would make a start read minutes of scans.
 * Past it, what the copy covers is read whole, as without copies.
 */
const MAX_WINDOWS = 24;

/** The window a copy packed now may claim: before the lowest low water published, less the skew. */
export async function claimable(redis: Redis, now: number): Promise<number> {
  let low = now - SKEW_MS;
  for (const value of Object.values(await redis.hgetall(KEYS.lowWaters))) {
    const [water, at] = value.split(":").map(Number);
    if (water !== undefined && at !== undefined && now - at < STALE_MS) low = Math.min(low, water);
  }
  return windowOf(low);
}

/** A copy claiming windows before `from` is recent enough to bring up to date. */
export const recent = (from: number, now: number): boolean => from >= windowOf(now) - MAX_WINDOWS;

/**
 * Everything `read` finds in each window from `from` up to the newest any instance's clock may
 * be in, in the order read (a later read of a document is its later version).
 */
export async function readWindows<T>(from: number, read: (changeWindow: number) => Promise<T[]>) {
  const found: T[] = [];
  let w = from;
  for (; w <= windowOf(Date.now() + SKEW_MS); w++) found.push(...(await read(w)));
  return { found, windows: w - from };
}

/** Publishes the instance's low water every second, until stopped. */
export function lowWaterPublisher(redis: Redis, stamps: Stamps, instanceId: string) {
  let timer: ReturnType<typeof setInterval> | undefined;
  const publish = () =>
    redis.hset(KEYS.lowWaters, instanceId, `${stamps.lowWater()}:${Date.now()}`).catch(() => undefined);
  return {
    start() {
      void publish();
      timer ??= setInterval(() => void publish(), 1000);
      timer.unref?.();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await redis.hdel(KEYS.lowWaters, instanceId).catch(() => undefined);
    },
  };
}
