import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import { checkinsOf } from "../checkin/repo";
import { KEYS } from "../infra/keys";
import type { Bus } from "./bus";

// What dashboards show besides the roster: the last scans at the doors, scans per
// minute, and check-ins per minute for the chart. Redis only; the chart series is
// rebuilt from MongoDB when missing. Scans are written in groups, off the scan's path.

export interface ScanEntry {
  name: string;
  outcome: string;
  reason: string;
  at: string;
  door?: string;
  late?: boolean;
}

const RECENT = 15;
/** Scans are written and announced in groups at most this often (the first at once). */
const FLUSH_MS = 50;
const minute = (date: Date) => Math.floor(date.getTime() / 60_000);

export function createActivity(redis: Redis, db: Db, ttlMs: number, bus: Bus) {
  let pending = new Map<string, { entries: ScanEntry[]; admitted: Date[] }>();
  let scheduled = false;
  let lastFlush = 0;

  async function flush(): Promise<void> {
    scheduled = false;
    lastFlush = Date.now();
    const batch = pending;
    pending = new Map();
    const tx = redis.pipeline();
    for (const [sessionId, { entries, admitted }] of batch) {
      tx.lpush(KEYS.recent(sessionId), ...entries.map((e) => JSON.stringify(e)));
      tx.ltrim(KEYS.recent(sessionId), 0, RECENT - 1);
      const perMinute = new Map<number, number>();
      for (const e of entries)
        perMinute.set(minute(new Date(e.at)), (perMinute.get(minute(new Date(e.at))) ?? 0) + 1);
      for (const [m, n] of perMinute)
        tx.incrby(KEYS.scansPerMinute(sessionId, m), n).expire(KEYS.scansPerMinute(sessionId, m), 180);
      const admittedPerMinute = new Map<number, number>();
      for (const at of admitted)
        admittedPerMinute.set(minute(at), (admittedPerMinute.get(minute(at)) ?? 0) + 1);
      for (const [m, n] of admittedPerMinute) tx.hincrby(KEYS.timeline(sessionId), String(m), n);
    }
    await tx.exec().catch(() => undefined);
    for (const sessionId of batch.keys()) void bus.publish({ kind: "session", sessionId, at: lastFlush });
  }

  return {
    /** Queues a scan for the dashboards; written and announced within FLUSH_MS. */
    record(sessionId: ObjectId, entry: ScanEntry, admitted: boolean): void {
      const key = String(sessionId);
      const queued = pending.get(key) ?? { entries: [], admitted: [] };
      queued.entries.push(entry);
      if (admitted) queued.admitted.push(new Date(entry.at));
      pending.set(key, queued);
      if (!scheduled) {
        scheduled = true;
        setTimeout(() => void flush(), Math.max(0, lastFlush + FLUSH_MS - Date.now()));
      }
    },

    /** A change dashboards show that is not a scan (undo, exit, registrations). */
    changed(sessionId: ObjectId | string): void {
      void bus.publish({ kind: "session", sessionId: String(sessionId), at: Date.now() });
    },

    async uncount(sessionId: ObjectId, checkInTime: Date): Promise<void> {
      await redis.hincrby(KEYS.timeline(sessionId), String(minute(checkInTime)), -1).catch(() => undefined);
    },

    async recent(sessionId: ObjectId | string): Promise<ScanEntry[]> {
      const items = await redis.lrange(KEYS.recent(sessionId), 0, RECENT - 1).catch(() => [] as string[]);
      return items.map((item) => JSON.parse(item) as ScanEntry);
    },

    /** Scans in the last 60 s, from the current and the previous minute bucket. */
    async scansPerMinute(sessionId: ObjectId | string, now = new Date()): Promise<number> {
      const m = minute(now);
      const [current, previous] = await redis
        .mget(KEYS.scansPerMinute(sessionId, m), KEYS.scansPerMinute(sessionId, m - 1))
        .catch(() => [null, null]);
      const elapsed = (now.getTime() % 60_000) / 60_000;
      return Math.round(Number(current ?? 0) + Number(previous ?? 0) * (1 - elapsed));
    },

    /** Check-ins per minute since the first one: [minute start, count][]. */
    async timeline(sessionId: ObjectId): Promise<[Date, number][]> {
      try {
        if (!(await redis.exists(KEYS.timelineFresh(sessionId)))) {
          const docs = await checkinsOf(db)
            .find({ sessionId }, { projection: { checkInTime: 1, _id: 0 } })
            .toArray();
          const counts = new Map<number, number>();
          for (const d of docs)
            counts.set(minute(d.checkInTime), (counts.get(minute(d.checkInTime)) ?? 0) + 1);
          const tx = redis.multi().del(KEYS.timeline(sessionId));
          if (counts.size > 0) tx.hset(KEYS.timeline(sessionId), ...[...counts].flat().map(String));
          await tx.set(KEYS.timelineFresh(sessionId), "1", "PX", ttlMs).exec();
        }
        const all = await redis.hgetall(KEYS.timeline(sessionId));
        return Object.entries(all)
          .map(([m, n]) => [new Date(Number(m) * 60_000), Number(n)] as [Date, number])
          .filter(([, n]) => n > 0)
          .sort((a, b) => a[0].getTime() - b[0].getTime());
      } catch {
        return [];
      }
    },
  };
}

export type Activity = ReturnType<typeof createActivity>;
