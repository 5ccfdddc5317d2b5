import type { Db, ObjectId } from "mongodb";
import { scanlogOf } from "../checkin/repo";
import type { Bus, ScanEntry, ScanNotice } from "./bus";
import { addDoorScan, addMove, emptyTimeline, type Timeline } from "./figures";

// What dashboards show besides the roster: the last scans at the doors, scans per
// minute, arrivals and people inside over time, the doors heard from. Scans travel on the
// bus in groups (one message per instance at most every FLUSH_MS, whatever the number of
// sessions), and every instance keeps these figures in memory from the messages it hears,
// so a scan costs Redis no command for its dashboards. A session's timeline starts from the
// scan log and is read again from it when messages may have been missed or a check-in was undone.

const RECENT = 15;
const FLUSH_MS = 50;
/** Doors are remembered from the scan log this far back when a timeline is built. */
const DOORS_FROM_LOG_MS = 2 * 3600_000;
const minute = (date: Date) => Math.floor(date.getTime() / 60_000);

/** The door a scan came from: its device label, else who scanned. */
export const doorOf = (entry: { door?: string; by?: string }): string | undefined => entry.door || entry.by;

/** A session's moves and doors, from the scan log (undone check-ins left out). */
async function readTimeline(db: Db, id: ObjectId): Promise<Timeline> {
  const docs = await scanlogOf(db)
    .find(
      { sessionId: id, action: { $in: ["scan", "accept", "checkout", "move", "undo"] } },
      {
        projection: { action: 1, outcome: 1, reason: 1, at: 1, scannedAt: 1, checkInId: 1, device: 1, by: 1 },
      },
    )
    .toArray();
  const timeline = emptyTimeline();
  const undone = new Set(docs.filter((d) => d.action === "undo").map((d) => String(d.checkInId)));
  const now = Date.now();
  for (const d of docs) {
    const at = (d.scannedAt ?? d.at).getTime();
    const standing = !undone.has(String(d.checkInId));
    if ((d.action === "scan" || d.action === "accept") && d.outcome === "accept" && standing)
      addMove(timeline, at, d.reason === "reentry" ? "reentry" : "arrival", now);
    else if ((d.action === "checkout" || d.action === "move") && standing) addMove(timeline, at, "exit", now);
    const door = doorOf({ door: d.device, by: d.by });
    if (d.action === "scan" && door && now - d.at.getTime() <= DOORS_FROM_LOG_MS)
      addDoorScan(timeline, door, d.at.getTime());
  }
  return timeline;
}

/** A session's changes within FLUSH_MS, announced once. */
function changesOnTheBus(bus: Bus) {
  const soon = new Set<string>();
  return (sessionId: ObjectId | string): void => {
    const id = String(sessionId);
    if (soon.has(id)) return;
    soon.add(id);
    setTimeout(() => {
      soon.delete(id);
      void bus.publish({ kind: "session", sessionId: id, at: Date.now() });
    }, FLUSH_MS);
  };
}

export function createActivity(db: Db, bus: Bus) {
  const recent = new Map<string, ScanEntry[]>();
  const perMinute = new Map<string, Map<number, number>>();
  const timelines = new Map<string, Promise<Timeline>>();
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
    void timelines.get(sessionId)?.then((timeline) => {
      const door = doorOf(entry);
      // The door is alive now, whenever its (queued) scan happened.
      if (door) addDoorScan(timeline, door, Date.now());
      if (notice.admitted)
        addMove(timeline, Date.parse(entry.at), entry.reason === "reentry" ? "reentry" : "arrival");
    });
  }

  void bus.listen((event) => {
    if (event.kind === "scans") for (const notice of event.items) hear(notice);
    else if (event.kind === "left")
      void timelines.get(event.sessionId)?.then((t) => addMove(t, event.at, "exit"));
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

  function buildTimeline(sessionId: string, id: ObjectId): Promise<Timeline> {
    const built = readTimeline(db, id);
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

    /**
     * A change dashboards show that is not a scan (registrations, leases). Changes to a
     * session within FLUSH_MS go as one message: a burst of registrations (a ticketing
     * system's import, one call each) costs the bus one message per session, not one per call.
     */
    changed: changesOnTheBus(bus),

    /** Someone left the room at `at` (an exit, a move to another session). */
    left(sessionId: ObjectId | string, at: Date): void {
      void bus.publish({ kind: "left", sessionId: String(sessionId), at: at.getTime() });
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

    /** The session's moves and doors as this instance knows them (built from the scan log once). */
    timeline(sessionId: ObjectId): Promise<Timeline> {
      const key = String(sessionId);
      return (timelines.get(key) ?? buildTimeline(key, sessionId)).catch(() => emptyTimeline());
    },
  };
}

export type Activity = ReturnType<typeof createActivity>;
