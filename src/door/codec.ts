import { BSON, type ObjectId } from "mongodb";
import type { CheckInDoc } from "../checkin/repo";
import { type Packed, unpack } from "../registrations/rosters";
import type { RegistrationStatus } from "../registrations/statuses";
import type { SessionDoc } from "../sessions/repo";
import type { Roster } from "./snapshot";

// The door state's one codec: how its Redis hash is laid out, and how its fields and
// entries are written and read. Everything in TypeScript that reads or writes the hash
// goes through here; the Lua scripts (state-scripts.ts) read the same format.
//
// What a door must know about a session, in one Redis hash per session, kept exact by
// write-through (no lifetime, so no scan ever waits for a rebuild when one expires):
//   r:<participant>  registration status
//   i:<participant>  roster entry "<state><late>|<seat>|<payload>": state P (claim in
//                    flight, payload = claim time), I (inside) or O (left); payload = the
//                    check-in itself, so a retried admission is answered from here
//   n                admissions, claims in flight included
//   cap              the seat rule the free seats were counted for: "0" (none), "<capacity>"
//                    (a seat per admission) or "<capacity>o" (occupancy: exits free seats)
//   hw, nh           free seats: every seat from hw up to the capacity, and nh seats below it
//                    given back (the set beside the hash holds those)
//   frozen           claims wait until this time (ms): capacity is being changed
//   v                bumped by every change a snapshot could miss (builds compare it)
//   ready            set once the hash holds the whole session
// Seats given back below hw are a set beside it. One script answers a scan's questions and
// takes its seat (idempotency, registration, roster, count, claim); a second command
// settles the entry. MongoDB's unique indexes remain the final word on every race.

/** The hash's per-person fields. */
export const FIELD = {
  registration: (participantId: ObjectId | string) => `r:${participantId}`,
  entry: (participantId: ObjectId | string) => `i:${participantId}`,
  /** A re-entry in flight: its claim time. */
  reentry: (participantId: ObjectId | string) => `q:${participantId}`,
};

/** A roster entry for a stored check-in. */
export function entryOf(doc: CheckInDoc): string {
  const { participantId: _p, sessionId: _s, ...payload } = doc;
  const seat = typeof doc.seat === "number" ? String(doc.seat) : "-";
  return `${doc.checkedOutAt ? "O" : "I"}${doc.isLate ? "L" : "-"}|${seat}|${BSON.EJSON.stringify(payload, { relaxed: false })}`;
}

/** The check-in an entry stands for (null for a claim still in flight). */
export function checkInOfEntry(
  entry: string,
  sessionId: ObjectId,
  participantId: ObjectId,
): CheckInDoc | null {
  if (entry === "" || entry.startsWith("P")) return null;
  const payload = entry.slice(entry.indexOf("|", 3) + 1);
  return { ...(BSON.EJSON.parse(payload, { relaxed: false }) as CheckInDoc), sessionId, participantId };
}

/** When a claim still in flight ("P" entry) was made (ms). */
export const claimTimeOf = (entry: string): number => Number(entry.slice(entry.lastIndexOf("|") + 1));

/** The seat rule a door state is built for (the hash's `cap`). */
export function seatRule(s: Pick<SessionDoc, "capacity" | "capacityEnforced" | "capacityMode">): string {
  if (!s.capacityEnforced || s.capacity <= 0) return "0";
  return `${s.capacity}${s.capacityMode === "occupancy" ? "o" : ""}`;
}

/** A session's registrations as door hash fields. */
export function registrationFields(ids: Packed): string[] {
  const fields: string[] = [];
  for (const [participantId, status] of unpack(ids)) fields.push(FIELD.registration(participantId), status);
  return fields;
}

/** Registrations and who has come (a claim in flight counts as in) from the hash. */
export function rosterOf(all: Record<string, string>): Roster {
  const registrations = new Map<string, RegistrationStatus>();
  const where = new Map<string, "in" | "out">();
  for (const [field, value] of Object.entries(all)) {
    if (field.startsWith("r:")) registrations.set(field.slice(2), value as RegistrationStatus);
    else if (field.startsWith("i:")) where.set(field.slice(2), value[0] === "O" ? "out" : "in");
  }
  return { registrations, where };
}

/** Whole-session figures from the hash: admissions, inside now, late, registered. */
export function figuresOf(all: Record<string, string>) {
  let inside = 0;
  let late = 0;
  let registered = 0;
  for (const [field, value] of Object.entries(all)) {
    if (field.startsWith("r:")) registered += value === "confirmed" ? 1 : 0;
    else if (field.startsWith("i:")) {
      inside += value[0] === "I" || value[0] === "P" ? 1 : 0;
      late += value[1] === "L" ? 1 : 0;
    }
  }
  return { count: Number(all.n ?? 0), inside, late, registered };
}
