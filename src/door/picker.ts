// The session picker's order: a door person looks for the session in front of them now, so the
// open ones come first, then the next to open, then every session by day. Pure: tested alone.

/** What the picker needs of a session. */
export interface PickableSession {
  status: string;
  day: number;
  location?: string;
  startTime: Date;
  endTime: Date;
}

export interface PickerGroups<S> {
  /** Open now (opened by hand or by the scheduler). */
  open: S[];
  /** Not yet open, starting at the earliest start time still ahead (one time slot). */
  next: S[];
  /** Every session shown, by day in day order, each day by start time. */
  days: { day: number; sessions: S[] }[];
  /** Every room any session is in, sorted, for the filter. */
  rooms: string[];
}

const byStart = (a: PickableSession, b: PickableSession) => a.startTime.getTime() - b.startTime.getTime();

/** `sessionOf` reads an item's session: items may carry more (a count), never a copy of its fields. */
export function pickerGroups<T>(
  all: readonly T[],
  sessionOf: (item: T) => PickableSession,
  now: Date,
  room?: string,
): PickerGroups<T> {
  const rooms = [
    ...new Set(all.map((item) => sessionOf(item).location).filter((r): r is string => !!r)),
  ].sort((a, b) => a.localeCompare(b));
  const shown = (room ? all.filter((item) => sessionOf(item).location === room) : [...all]).sort((a, b) =>
    byStart(sessionOf(a), sessionOf(b)),
  );
  const open = shown.filter((item) => sessionOf(item).status === "open");
  const ahead = shown.filter(
    (item) => sessionOf(item).status === "scheduled" && sessionOf(item).startTime.getTime() > now.getTime(),
  );
  const first = ahead[0];
  const nextStart = first === undefined ? undefined : sessionOf(first).startTime.getTime();
  const next = ahead.filter((item) => sessionOf(item).startTime.getTime() === nextStart);
  const days = new Map<number, T[]>();
  for (const item of shown) {
    const day = sessionOf(item).day;
    days.set(day, [...(days.get(day) ?? []), item]);
  }
  return {
    open,
    next,
    days: [...days.entries()].sort(([a], [b]) => a - b).map(([day, sessions]) => ({ day, sessions })),
    rooms,
  };
}

/**
 * The session a device set to `room` works now: the one open there (the latest started when
 * several are), else the next to start there; null when the room has nothing left.
 */
export function sessionOfRoom<S extends PickableSession>(
  all: readonly S[],
  room: string,
  now: Date,
): S | null {
  const here = all.filter((s) => s.location === room).sort(byStart);
  const open = here.filter((s) => s.status === "open");
  if (open.length > 0) return open.at(-1) ?? null;
  return here.find((s) => s.status === "scheduled" && s.endTime.getTime() > now.getTime()) ?? null;
}
