// Attendance figures, pure: from sessions, their confirmed registrations and their
// check-ins. Walk-ins (checked in without a confirmed registration) are counted apart,
// so the attendance rate (attended registered people / registered) is never above 100%.

export interface SessionFacts {
  id: string;
  name: string;
  day: number;
  location: string;
  capacity: number;
  registered: Set<string>;
  checkIns: { participantId: string; at: Date; leftAt: Date | null; isLate: boolean; moved?: boolean }[];
}

export interface SessionReport {
  id: string;
  name: string;
  day: number;
  location: string;
  capacity: number;
  registered: number;
  attended: number;
  walkIns: number;
  noShows: number;
  late: number;
  latePercent: number;
  attendanceRate: number;
  peakInside: number;
  /** Left by entering another session (one room at a time). */
  movedOn: number;
  /** People who spent the session's minimum share inside, their credits in all, and the average minutes inside. */
  credited: number;
  creditsAwarded: number;
  averageMinutes: number;
}

/** A session's credit figures from its people's minutes (attendance/history.ts). */
export function creditFigures(people: Iterable<{ minutes: number; credited: boolean; credits: number }>) {
  let n = 0;
  let minutes = 0;
  let credited = 0;
  let credits = 0;
  for (const p of people) {
    n++;
    minutes += p.minutes;
    if (p.credited) credited++;
    credits += p.credits;
  }
  return {
    credited,
    creditsAwarded: Math.round(credits * 100) / 100,
    averageMinutes: n === 0 ? 0 : Math.round((minutes / n) * 10) / 10,
  };
}

const pct = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);

/** The most people inside at once, from entries and exits in time order (exits first on ties). */
export function peakInside(checkIns: SessionFacts["checkIns"]): number {
  const events: [number, number][] = [];
  for (const c of checkIns) {
    events.push([c.at.getTime(), 1]);
    if (c.leftAt) events.push([c.leftAt.getTime(), -1]);
  }
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let inside = 0;
  let peak = 0;
  for (const [, delta] of events) {
    inside += delta;
    peak = Math.max(peak, inside);
  }
  return peak;
}

export function sessionReport(
  facts: SessionFacts,
  credit = { credited: 0, creditsAwarded: 0, averageMinutes: 0 },
): SessionReport {
  const attended = facts.checkIns.filter((c) => facts.registered.has(c.participantId)).length;
  const walkIns = facts.checkIns.length - attended;
  const late = facts.checkIns.filter((c) => c.isLate).length;
  return {
    id: facts.id,
    name: facts.name,
    day: facts.day,
    location: facts.location,
    capacity: facts.capacity,
    registered: facts.registered.size,
    attended,
    walkIns,
    noShows: facts.registered.size - attended,
    late,
    latePercent: pct(late, facts.checkIns.length),
    attendanceRate: pct(attended, facts.registered.size),
    peakInside: peakInside(facts.checkIns),
    movedOn: facts.checkIns.filter((c) => c.moved).length,
    ...credit,
  };
}

export function totals(reports: SessionReport[]) {
  const sum = (key: keyof SessionReport) => reports.reduce((n, r) => n + (r[key] as number), 0);
  const checkedIn = sum("attended") + sum("walkIns");
  return {
    sessions: reports.length,
    registered: sum("registered"),
    attended: sum("attended"),
    walkIns: sum("walkIns"),
    noShows: sum("noShows"),
    late: sum("late"),
    latePercent: pct(sum("late"), checkedIn),
    attendanceRate: pct(sum("attended"), sum("registered")),
  };
}

/** Check-ins per bucket of `minutes` across all sessions, for the chart. */
export function overTime(all: SessionFacts["checkIns"], minutes = 15): [Date, number][] {
  const size = minutes * 60_000;
  const buckets = new Map<number, number>();
  for (const c of all) {
    const start = Math.floor(c.at.getTime() / size) * size;
    buckets.set(start, (buckets.get(start) ?? 0) + 1);
  }
  return [...buckets].sort((x, y) => x[0] - y[0]).map(([start, n]) => [new Date(start), n]);
}

/** The most people inside at any moment of each hour (event clock hours as instants) of the window. */
export function peakByHour(
  checkIns: SessionFacts["checkIns"],
  window: { start: Date; end: Date },
  hourStart: (at: Date) => number,
): Map<number, number> {
  const events: [number, number][] = [];
  for (const c of checkIns) {
    events.push([c.at.getTime(), 1]);
    if (c.leftAt) events.push([c.leftAt.getTime(), -1]);
  }
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const peaks = new Map<number, number>();
  const raise = (at: number, n: number) => {
    const hour = hourStart(new Date(at));
    peaks.set(hour, Math.max(peaks.get(hour) ?? 0, n));
  };
  const start = window.start.getTime();
  const end = window.end.getTime();
  let inside = 0;
  let i = 0;
  // Everyone in by the start is inside at the start.
  for (; i < events.length && (events[i] as [number, number])[0] <= start; i++)
    inside += (events[i] as [number, number])[1];
  // Each hour of the window starts with who was inside at its start.
  // The next hour's start; where the clock goes back an hour repeats, so at least an hour on.
  const nextHour = (at: number) => {
    const next = hourStart(new Date(at)) + 3600_000;
    return next > at ? next : at + 3600_000;
  };
  for (let at = start; at < end; at = nextHour(at)) {
    for (; i < events.length && (events[i] as [number, number])[0] <= at; i++)
      inside += (events[i] as [number, number])[1];
    raise(at, inside);
    const next = Math.min(nextHour(at), end);
    for (; i < events.length && (events[i] as [number, number])[0] < next; i++) {
      inside += (events[i] as [number, number])[1];
      raise((events[i] as [number, number])[0], inside);
    }
  }
  return peaks;
}

/** Rooms by hours: each cell the fullest moment of the room's session in that hour (null: no session). */
export interface HeatMap {
  hours: Date[];
  rooms: { room: string; cells: ({ peak: number; capacity: number } | null)[] }[];
}
