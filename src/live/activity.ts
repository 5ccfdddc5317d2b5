import type { Db, ObjectId } from "mongodb";
import { checkinsOf } from "../checkin/repo";
import type { Bus, ScanEntry, ScanNotice } from "./bus";

// What dashboards show besides the roster: the last scans at the doors, scans per
// minute, and check-ins per minute for the chart. Scans travel on the bus in groups
// (one message per instance at most every FLUSH_MS, whatever the number of sessions),
// and every instance keeps these figures in memory from the messages it hears, so a
// scan costs Redis no command for its dashboards. The chart starts from MongoDB and
// is read again from it when messages may have been missed or a check-in was undone.

const RECENT = 15;
const FLUSH_MS = 50;
const minute = (date: Date) => Math.floor(date.getTime() / 60_000);

export function createActivity(db: Db, bus: Bus) {
  const recent = new Map<string, ScanEntry[]>();
  const perMinute = new Map<string, Map<number, number>>();
  const timelines = new Map<string, Promise<Map<number, number>>>();
  let pending: ScanNotice[] = [];
  let scheduled = false;
  let lastFlush = 0;

  const bump = (counts: Map<number, number>, m: number, by = 1) => counts.set(m, (counts.get(m) ?? 0) + by);

  function hear(notice: ScanNotice): void {
    const { sessionId, entry } = notice;
    recent.set(sessionId, [entry, ...(recent.get(sessionId) ?? [])].slice(0, RECENT));
    const at = minute(new Date(entry.at));
    const scans = perMinute.get(sessionId) ?? new Map<number, number>();
    bump(scans, at);
    for (const m of scans.keys()) if (m < at - 2) scans.delete(m);
    perMinute.set(sessionId, scans);
    if (notice.admitted) void timelines.get(sessionId)?.then((counts) => bump(counts, at));
  }

  void bus.listen((event) => {
    if (event.kind === "scans") for (const notice of event.items) hear(notice);
    else if (event.kind === "timeline") timelines.delete(event.sessionId);
    else if (event.kind === "resync" || event.kind === "restored") timelines.clear();
  });

  async function flush(): Promise<void> {
    scheduled = false;
    lastFlush = Date.now();
    const items = pending;
    pending = [];
    await bus.publish({ kind: "scans", at: lastFlush, items });
  }

  function buildTimeline(sessionId: string, id: ObjectId): Promise<Map<number, number>> {
    const built = checkinsOf(db)
      .find({ sessionId: id }, { projection: { checkInTime: 1, _id: 0 } })
      .toArray()
      .then((docs) => {
        const counts = new Map<number, number>();
        for (const d of docs) bump(counts, minute(d.checkInTime));
        return counts;
      });
    built.catch(() => timelines.delete(sessionId));
    timelines.set(sessionId, built);
    return built;
  }

  return {
    /** Queues a scan for the dashboards of every instance; sent within FLUSH_MS. */
    record(sessionId: ObjectId, entry: ScanEntry, admitted: boolean): void {
      pending.push({ sessionId: String(sessionId), entry, admitted });
      if (!scheduled) {
        scheduled = true;
        setTimeout(() => void flush(), Math.max(0, lastFlush + FLUSH_MS - Date.now()));
      }
    },

    /** A change dashboards show that is not a scan (exit, registrations). */
    changed(sessionId: ObjectId | string): void {
      void bus.publish({ kind: "session", sessionId: String(sessionId), at: Date.now() });
    },

    /** A check-in was undone: every instance reads the chart again. */
    uncounted(sessionId: ObjectId): Promise<void> {
      return bus.publish({ kind: "timeline", sessionId: String(sessionId) });
    },

    recent: (sessionId: ObjectId | string): ScanEntry[] => recent.get(String(sessionId)) ?? [],

    /** Scans in the last 60 s, from the current and the previous minute. */
    scansPerMinute(sessionId: ObjectId | string, now = new Date()): number {
      const scans = perMinute.get(String(sessionId));
      const m = minute(now);
      const elapsed = (now.getTime() % 60_000) / 60_000;
      return Math.round((scans?.get(m) ?? 0) + (scans?.get(m - 1) ?? 0) * (1 - elapsed));
    },

    /** Check-ins per minute since the first one: [minute start, count][]. */
    async timeline(sessionId: ObjectId): Promise<[Date, number][]> {
      const key = String(sessionId);
      const counts = await (timelines.get(key) ?? buildTimeline(key, sessionId)).catch(
        () => new Map<number, number>(),
      );
      return [...counts]
        .filter(([, n]) => n > 0)
        .sort((a, b) => a[0] - b[0])
        .map(([m, n]) => [new Date(m * 60_000), n]);
    },
  };
}

export type Activity = ReturnType<typeof createActivity>;
