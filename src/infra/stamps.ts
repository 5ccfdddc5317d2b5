// Every change to a check-in (and every removal) is stamped with its time and the window of
// WINDOW_MS it falls in. The door's copies (copies.ts) find what changed since they were
// packed by asking for each window in turn: FerretDB answers an equality from an index, while
// any range ($gte) makes it read the whole collection.
//
// A copy may only claim the changes that have landed. An instance therefore counts the
// writes it has stamped and not yet seen settle; its low water (the oldest of them, or now
// when there are none) is published, and a copy claims nothing at or after the lowest
// published low water.

export const WINDOW_MS = 5000;

export const windowOf = (ms: number): number => Math.floor(ms / WINDOW_MS);

export interface Stamp {
  at: Date;
  changeWindow: number;
}

export function createStamps(now: () => number = Date.now) {
  const open = new Map<number, number>();
  // Never backwards, even if the wall clock is set back: a later write never gets an earlier stamp.
  let last = 0;
  const next = () => {
    last = Math.max(last, now());
    return last;
  };
  return {
    /** Runs a write stamped now; until it settles, the low water stays at or below its time. */
    async during<T>(write: (stamp: Stamp) => Promise<T>): Promise<T> {
      const ms = next();
      open.set(ms, (open.get(ms) ?? 0) + 1);
      try {
        return await write({ at: new Date(ms), changeWindow: windowOf(ms) });
      } finally {
        const left = (open.get(ms) ?? 1) - 1;
        if (left === 0) open.delete(ms);
        else open.set(ms, left);
      }
    },
    /** No write stamped by this instance and not yet settled is earlier than this; none to come will be. */
    lowWater(): number {
      let low = next();
      for (const ms of open.keys()) low = Math.min(low, ms);
      return low;
    },
  };
}

export type Stamps = ReturnType<typeof createStamps>;
