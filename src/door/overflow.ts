// Where to send someone a full room refuses: other sessions open now in the same time slot
// that still have room. Pure; the service reads the counts.
import type { CapacityMode } from "../sessions/statuses";

export interface SlotSession {
  name: string;
  location?: string;
  startTime: Date;
  endTime: Date;
  capacity: number;
  capacityEnforced: boolean;
  capacityMode?: CapacityMode;
}

export interface OverflowChoice<S> {
  session: S;
  /** Seats left under the session's own meaning of capacity; null when it has no limit. */
  free: number | null;
}

/** Seats a session has left given its counts, or null when nothing limits it. */
export function seatsLeft(session: SlotSession, counts: { admitted: number; inside: number }): number | null {
  if (!session.capacityEnforced || session.capacity <= 0) return null;
  const taken = session.capacityMode === "occupancy" ? counts.inside : counts.admitted;
  return Math.max(0, session.capacity - taken);
}

/** Whether two sessions share some time: the same time slot. */
export function overlaps(a: SlotSession, b: SlotSession): boolean {
  return a.startTime.getTime() < b.endTime.getTime() && a.endTime.getTime() > b.startTime.getTime();
}

/** Sessions whose time overlaps the full one's, most room first; unlimited ones last. */
export function overflowChoices<S extends SlotSession>(
  full: SlotSession,
  candidates: readonly { session: S; admitted: number; inside: number }[],
  limit = 3,
): OverflowChoice<S>[] {
  return candidates
    .filter(
      ({ session }) =>
        session.startTime.getTime() < full.endTime.getTime() &&
        session.endTime.getTime() > full.startTime.getTime(),
    )
    .map(({ session, admitted, inside }) => ({ session, free: seatsLeft(session, { admitted, inside }) }))
    .filter((choice) => choice.free === null || choice.free > 0)
    .sort((a, b) => (b.free ?? -1) - (a.free ?? -1))
    .slice(0, limit);
}
