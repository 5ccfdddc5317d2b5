// One room at a time (the event's `moveOnEntry` setting): entering a session closes the
// person's presence anywhere else. Scans are applied by the time the door scanned them, so a
// queued offline entry that syncs late lands in the person's order of scans: presences
// entered before it close at its time; if the person was already seen entering somewhere
// later, it is this entry that closes, at that later time. Pure: the service does the I/O.
import type { ObjectId } from "mongodb";

export interface Presence {
  checkInId: ObjectId;
  sessionId: ObjectId;
  /** When the person last came in (the admission or the last re-entry). */
  enteredAt: Date;
}

export interface MoveStep {
  close: ObjectId;
  at: Date;
  movedTo: ObjectId;
}

/** What to close when `entered` lands, given the person's other open presences. */
export function movesFor(entered: Presence, elsewhere: readonly Presence[]): MoveStep[] {
  const others = elsewhere.filter((p) => !p.sessionId.equals(entered.sessionId));
  const before = others.filter((p) => p.enteredAt.getTime() <= entered.enteredAt.getTime());
  const after = others
    .filter((p) => p.enteredAt.getTime() > entered.enteredAt.getTime())
    .sort((a, b) => a.enteredAt.getTime() - b.enteredAt.getTime());
  const steps = before.map((p) => ({
    close: p.checkInId,
    at: entered.enteredAt,
    movedTo: entered.sessionId,
  }));
  const next = after[0];
  if (next) steps.push({ close: entered.checkInId, at: next.enteredAt, movedTo: next.sessionId });
  return steps;
}
