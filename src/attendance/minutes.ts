// Time inside a session, pure: from a person's history of entries and exits there (scans,
// offline replays at their scan times, re-entries, moves between rooms, staff exits) and the
// corrections made since. Nothing in the history is ever overwritten: an undo voids the
// check-in's events, a correction adds an entry or an exit or voids one event, and the figures
// are computed again from all of it.

export type MoveKind = "entry" | "exit";

export interface HistoryEvent {
  id: string;
  /** When it happened (a queued offline scan: when the door scanned it). */
  at: Date;
  kind: MoveKind | "undo" | "void";
  /** The check-in the event belongs to: an undo voids every event of its check-in. */
  checkInId?: string;
  /** A correction that voids one earlier event (an entry, an exit, or another correction). */
  voids?: string;
}

export interface Window {
  start: Date;
  end: Date;
}

export interface CreditRule {
  credits: number;
  minAttendancePercent: number;
}

export interface Attendance {
  minutes: number;
  percent: number;
  credited: boolean;
  /** Credits earned: the session's when credited, else 0. */
  credits: number;
  /** Still inside (a presence not closed yet). */
  inside: boolean;
}

/** The entries and exits that stand: undone check-ins and voided events left out, in time order (`history` in the order recorded). */
export function standingMoves(history: HistoryEvent[]): { at: Date; kind: MoveKind }[] {
  const voided = new Set(history.filter((e) => e.kind === "void" && e.voids).map((e) => e.voids as string));
  const undone = new Set(
    history
      .filter((e) => e.kind === "undo" && e.checkInId && !voided.has(e.id))
      .map((e) => e.checkInId as string),
  );
  return (
    history
      .filter(
        (e): e is HistoryEvent & { kind: MoveKind } =>
          (e.kind === "entry" || e.kind === "exit") &&
          !voided.has(e.id) &&
          !(e.checkInId !== undefined && undone.has(e.checkInId)),
      )
      // Stable: moves at the same instant keep the order they were recorded in (an undone
      // re-entry's exit comes after the re-entry it undoes).
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .map(({ at, kind }) => ({ at, kind }))
  );
}

/** Milliseconds inside the window, and whether a presence is still open. */
export function timeInside(
  moves: { at: Date; kind: MoveKind }[],
  window: Window,
  now: Date,
): { ms: number; inside: boolean } {
  const start = window.start.getTime();
  // A presence still open counts until the session ends, or until now while it runs.
  const until = Math.min(window.end.getTime(), now.getTime());
  const clamp = (t: number) => Math.min(Math.max(t, start), until);
  let since: number | null = null;
  let ms = 0;
  for (const move of moves) {
    const t = move.at.getTime();
    if (move.kind === "entry" && since === null) since = t;
    else if (move.kind === "exit" && since !== null) {
      ms += Math.max(0, clamp(t) - clamp(since));
      since = null;
    }
  }
  if (since !== null) ms += Math.max(0, clamp(until) - clamp(since));
  return { ms, inside: since !== null };
}

const oneDecimal = (n: number) => Math.round(n * 10) / 10;

/** Minutes, share and credit of one person in one session. */
export function attendance(history: HistoryEvent[], window: Window, rule: CreditRule, now: Date): Attendance {
  const { ms, inside } = timeInside(standingMoves(history), window, now);
  const length = Math.max(1, window.end.getTime() - window.start.getTime());
  // Decided on the exact share, not on the rounded figure shown.
  const credited = ms * 100 >= rule.minAttendancePercent * length;
  return {
    minutes: oneDecimal(ms / 60_000),
    percent: oneDecimal((ms / length) * 100),
    credited,
    credits: credited ? rule.credits : 0,
    inside,
  };
}

/** Whether the history holds any entry that stands (the person attended at all). */
export const attended = (history: HistoryEvent[]) => standingMoves(history).some((m) => m.kind === "entry");
