import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import { checkinsOf } from "../checkin/repo";

// What dashboards show besides the roster: the last scans at the doors, scans per
// minute, and check-ins per minute for the chart. Redis only; the chart series is
// rebuilt from MongoDB when missing.

export interface ScanEntry {
  name: string;
  outcome: string;
  reason: string;
  at: string;
  door?: string;
  late?: boolean;
}

const RECENT = 15;
const minute = (date: Date) => Math.floor(date.getTime() / 60_000);
const recentKey = (s: ObjectId | string) => `live:${s}:recent`;
const spmKey = (s: ObjectId | string, m: number) => `live:${s}:spm:${m}`;
const timelineKey = (s: ObjectId | string) => `live:${s}:timeline`;
const timelineFresh = (s: ObjectId | string) => `live:${s}:timeline:fresh`;

export function createActivity(redis: Redis, db: Db, ttlMs: number) {
  return {
    async record(sessionId: ObjectId, entry: ScanEntry, admitted: boolean): Promise<void> {
      const at = new Date(entry.at);
      const tx = redis
        .multi()
        .lpush(recentKey(sessionId), JSON.stringify(entry))
        .ltrim(recentKey(sessionId), 0, RECENT - 1)
        .incr(spmKey(sessionId, minute(at)))
        .expire(spmKey(sessionId, minute(at)), 180);
      if (admitted) tx.hincrby(timelineKey(sessionId), String(minute(at)), 1);
      await tx.exec().catch(() => undefined);
    },

    async uncount(sessionId: ObjectId, checkInTime: Date): Promise<void> {
      await redis.hincrby(timelineKey(sessionId), String(minute(checkInTime)), -1).catch(() => undefined);
    },

    async recent(sessionId: ObjectId | string): Promise<ScanEntry[]> {
      const items = await redis.lrange(recentKey(sessionId), 0, RECENT - 1).catch(() => [] as string[]);
      return items.map((item) => JSON.parse(item) as ScanEntry);
    },

    /** Scans in the last 60 s, from the current and the previous minute bucket. */
    async scansPerMinute(sessionId: ObjectId | string, now = new Date()): Promise<number> {
      const m = minute(now);
      const [current, previous] = await redis
        .mget(spmKey(sessionId, m), spmKey(sessionId, m - 1))
        .catch(() => [null, null]);
      const elapsed = (now.getTime() % 60_000) / 60_000;
      return Math.round(Number(current ?? 0) + Number(previous ?? 0) * (1 - elapsed));
    },

    /** Check-ins per minute since the first one: [minute start, count][]. */
    async timeline(sessionId: ObjectId): Promise<[Date, number][]> {
      try {
        if (!(await redis.exists(timelineFresh(sessionId)))) {
          const docs = await checkinsOf(db)
            .find({ sessionId }, { projection: { checkInTime: 1, _id: 0 } })
            .toArray();
          const counts = new Map<number, number>();
          for (const d of docs)
            counts.set(minute(d.checkInTime), (counts.get(minute(d.checkInTime)) ?? 0) + 1);
          const tx = redis.multi().del(timelineKey(sessionId));
          if (counts.size > 0) tx.hset(timelineKey(sessionId), ...[...counts].flat().map(String));
          await tx.set(timelineFresh(sessionId), "1", "PX", ttlMs).exec();
        }
        const all = await redis.hgetall(timelineKey(sessionId));
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
