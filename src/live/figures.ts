// What a session dashboard works out from the moves it hears of, pure: arrivals per five
// minutes, people inside over time, a fill forecast from the recent pace, and the doors gone
// quiet. activity.ts feeds it from the scan log and the bus.

const MINUTE = 60_000;
/** The pace a forecast reads: the arrivals of the last ten minutes. */
export const PACE_WINDOW_MS = 10 * MINUTE;

export interface DoorSeen {
  door: string;
  first: number;
  last: number;
  scans: number;
}

/** One session's moves as an instance knows them. */
export interface Timeline {
  /** First admissions per minute (minute index → count). */
  arrivals: Map<number, number>;
  /** Entries minus exits per minute. */
  net: Map<number, number>;
  /** Moves of the last PACE_WINDOW_MS that count against capacity: [time, +1/-1, first admission]. */
  recent: [number, number, boolean][];
  doors: Map<string, DoorSeen>;
}

export const emptyTimeline = (): Timeline => ({
  arrivals: new Map(),
  net: new Map(),
  recent: [],
  doors: new Map(),
});

const bump = (counts: Map<number, number>, key: number, by: number) =>
  counts.set(key, (counts.get(key) ?? 0) + by);

/** A move: an entry (first or again) or an exit, at `at` (ms). */
export function addMove(
  timeline: Timeline,
  at: number,
  move: "arrival" | "reentry" | "exit",
  now = Date.now(),
): void {
  const m = Math.floor(at / MINUTE);
  if (move === "arrival") bump(timeline.arrivals, m, 1);
  bump(timeline.net, m, move === "exit" ? -1 : 1);
  if (now - at <= PACE_WINDOW_MS) {
    timeline.recent.push([at, move === "exit" ? -1 : 1, move === "arrival"]);
    timeline.recent = timeline.recent.filter(([t]) => now - t <= PACE_WINDOW_MS);
  }
}

/** A scan heard from a door (whatever its outcome): the door is alive. */
export function addDoorScan(timeline: Timeline, door: string, at: number): void {
  const seen = timeline.doors.get(door);
  if (!seen) timeline.doors.set(door, { door, first: at, last: at, scans: 1 });
  else {
    seen.first = Math.min(seen.first, at);
    seen.last = Math.max(seen.last, at);
    seen.scans++;
  }
}

/** Arrivals per `bucketMinutes`, from the first to the last bucket with any. */
export function arrivalsPer(timeline: Timeline, bucketMinutes: number): [Date, number][] {
  const buckets = new Map<number, number>();
  for (const [m, n] of timeline.arrivals) bump(buckets, Math.floor(m / bucketMinutes) * bucketMinutes, n);
  return [...buckets]
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([m, n]) => [new Date(m * MINUTE), n]);
}

/** People inside at the end of each minute something changed. */
export function insideOverTime(timeline: Timeline): [Date, number][] {
  let inside = 0;
  return [...timeline.net]
    .sort((a, b) => a[0] - b[0])
    .map(([m, n]) => {
      inside = Math.max(0, inside + n);
      return [new Date(m * MINUTE), inside] as [Date, number];
    });
}

export type Forecast = { full: true } | { full: false; minutes: number } | null;

/**
 * When the room fills at the recent pace: `taken` of `capacity` are used (admissions, or
 * people inside for a room counted by occupancy), and the pace is what used seats over the
 * last ten minutes (since the first such move, at least a minute). Null: no capacity, or
 * not filling.
 */
export function fillForecast(
  timeline: Timeline,
  room: { capacity: number; taken: number; occupancy: boolean },
  now = Date.now(),
): Forecast {
  if (room.capacity <= 0) return null;
  if (room.taken >= room.capacity) return { full: true };
  const moves = timeline.recent.filter(([t]) => now - t <= PACE_WINDOW_MS);
  const used = moves.reduce((n, [, delta, first]) => n + (room.occupancy ? delta : first ? 1 : 0), 0);
  if (used <= 0) return null;
  const since = Math.min(...moves.map(([t]) => t));
  const pacePerMinute = used / Math.max(1, (now - since) / MINUTE);
  return { full: false, minutes: Math.max(1, Math.round((room.capacity - room.taken) / pacePerMinute)) };
}

/**
 * Doors gone quiet: a door that was scanning (at least five scans) and has sent nothing for
 * `quietMs`, or for ten of its own usual gaps if it was slower than that, while the session is open.
 */
export function quietDoors(
  timeline: Timeline,
  open: boolean,
  quietMs: number,
  now = Date.now(),
): { door: string; silentMinutes: number }[] {
  if (!open) return [];
  return [...timeline.doors.values()]
    .filter((d) => d.scans >= 5)
    .filter((d) => now - d.last >= Math.max(quietMs, (10 * (d.last - d.first)) / (d.scans - 1)))
    .map((d) => ({ door: d.door, silentMinutes: Math.floor((now - d.last) / MINUTE) }))
    .sort((a, b) => b.silentMinutes - a.silentMinutes);
}
