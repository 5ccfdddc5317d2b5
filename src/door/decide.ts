// The scan decision: pure, so every branch is unit-tested without servers, and the one
// rule for both sides: the server decides every scan with it, and the door's browser
// code (src/door/browser, bundled for the page) decides with it while offline. It
// imports nothing that runs: no words, no drivers.

import { REGISTRATION_STATUSES, type RegistrationStatus } from "../registrations/statuses";
import type { CapacityMode, SessionStatus } from "../sessions/statuses";

export type Reason =
  | "ok"
  | "reentry"
  | "already_checked_in"
  | "not_registered"
  | "registration_cancelled"
  | "invite_only"
  | "session_full"
  | "session_not_open"
  | "session_ended"
  | "unknown_code"
  | "inactive_participant"
  | "superseded"
  /** A queued scan its door refused while offline: the person was sent away then. */
  | "turned_away_offline";

/** accept: admit now. decide: staff may accept anyway or decline. already: inside. refuse: no entry. */
export type Outcome = "accept" | "decide" | "already" | "refuse";

export interface DecisionSession {
  status: SessionStatus;
  startTime: Date;
  capacity: number;
  capacityEnforced: boolean;
  requiresRegistration: boolean;
  lateThresholdMinutes: number | null;
  capacityMode?: CapacityMode;
}

export interface DecisionInput {
  participant: { isActive: boolean } | null;
  session: DecisionSession;
  registration: { status: RegistrationStatus } | null;
  alreadyCheckedIn: boolean;
  /** The person was checked in and has left since: coming back is a re-entry. */
  checkedOut: boolean;
  /**
   * When the person's latest entry or exit happened, if any: a queued scan dated before
   * it (`now`, its own time) is history already overtaken, never applied over it.
   */
  lastMovedAt?: Date | null;
  /**
   * Places taken under the session's rule (admissions so far, or people inside now);
   * compared with capacity when it is enforced.
   */
  checkedInCount: number;
  now: Date;
  /** Staff chose "accept anyway" for someone without a confirmed registration. */
  acceptUnregistered: boolean;
  defaultLateThresholdMinutes: number;
}

export interface Verdict {
  outcome: Outcome;
  reason: Reason;
  isLate: boolean;
  wasRegistered: boolean;
  badge: "accepted" | "accepted_unregistered" | null;
}

/** What an exit scan found. */
export type ExitOutcome = "left" | "already_out" | "not_in" | "superseded" | "unknown";

/** What a door may do after each outcome: accept anyway, decline. */
export const DOOR_ACTIONS: Record<Outcome, { canAccept: boolean; canDecline: boolean }> = {
  accept: { canAccept: true, canDecline: true },
  decide: { canAccept: true, canDecline: true },
  already: { canAccept: false, canDecline: false },
  refuse: { canAccept: false, canDecline: true },
};

export function isLate(
  session: Pick<DecisionSession, "startTime" | "lateThresholdMinutes">,
  now: Date,
  fallbackMinutes: number,
) {
  const minutes = session.lateThresholdMinutes ?? fallbackMinutes;
  return now.getTime() > session.startTime.getTime() + minutes * 60_000;
}

export function isFull(
  session: Pick<DecisionSession, "capacity" | "capacityEnforced">,
  checkedInCount: number,
) {
  return session.capacityEnforced && session.capacity > 0 && checkedInCount >= session.capacity;
}

export function decide(input: DecisionInput): Verdict {
  const { session, registration } = input;
  const wasRegistered = registration?.status === "confirmed";
  const late = isLate(session, input.now, input.defaultLateThresholdMinutes);
  const verdict = (outcome: Outcome, reason: Reason): Verdict => ({
    outcome,
    reason,
    isLate: late,
    wasRegistered,
    badge: outcome === "accept" ? (wasRegistered ? "accepted" : "accepted_unregistered") : null,
  });

  if (!input.participant) return verdict("refuse", "unknown_code");
  if (!input.participant.isActive) return verdict("refuse", "inactive_participant");
  if (session.status === "ended") return verdict("refuse", "session_ended");
  if (session.status !== "open") return verdict("refuse", "session_not_open");
  if (input.alreadyCheckedIn) {
    if (input.lastMovedAt && input.now < input.lastMovedAt) return verdict("refuse", "superseded");
    if (!input.checkedOut) return verdict("already", "already_checked_in");
    // Coming back counts once in attendance; only a room limited by people inside can be full.
    if (session.capacityMode === "occupancy" && isFull(session, input.checkedInCount))
      return verdict("refuse", "session_full");
    return verdict("accept", "reentry");
  }
  if (!wasRegistered && session.requiresRegistration) {
    return verdict("refuse", registration?.status === "cancelled" ? "registration_cancelled" : "invite_only");
  }
  if (isFull(session, input.checkedInCount)) return verdict("refuse", "session_full");
  if (!wasRegistered && !input.acceptUnregistered) {
    return verdict(
      "decide",
      registration?.status === "cancelled" ? "registration_cancelled" : "not_registered",
    );
  }
  return verdict("accept", "ok");
}

/** A registration as the scan path sees it: one of the statuses, or none at all. */
export type RegistrationState = RegistrationStatus | "none";

/**
 * The registration states that `decide` admits when everything else is as given and the
 * person is not inside yet with room to spare: the claim script in Redis takes a seat
 * for exactly these, so the rule stays written once, here.
 */
export function admittingStates(input: RuleInput): RegistrationState[] {
  return (["none", ...REGISTRATION_STATUSES] as const).filter(
    (state) =>
      decide({
        ...input,
        registration: state === "none" ? null : { status: state },
        alreadyCheckedIn: false,
        checkedOut: false,
        checkedInCount: 0,
      }).outcome === "accept",
  );
}

type RuleInput = Omit<DecisionInput, "registration" | "alreadyCheckedIn" | "checkedOut" | "checkedInCount">;

/** Whether `decide` lets a person who has left come back in, with room to spare. */
export function admitsReentry(input: RuleInput): boolean {
  return (
    decide({ ...input, registration: null, alreadyCheckedIn: true, checkedOut: true, checkedInCount: 0 })
      .reason === "reentry"
  );
}

/** What an admission stored, as far as the answer needs it. */
export interface Admission {
  nonce?: string;
  /** The nonce of the last re-entry, so its retry is answered as it was. */
  reentryNonce?: string;
  isLate: boolean;
  badge: "accepted" | "accepted_unregistered";
  wasRegistered: boolean;
}

/** What the write found: its own check-in, someone else's for this person, no seat left, or no write. */
export type Written<T extends Admission = Admission> =
  | { kind: "admitted"; doc: T }
  | { kind: "reentered"; doc: T }
  | { kind: "duplicate"; existing: T }
  | { kind: "full" }
  | { kind: "none"; existing: T | null };

/**
 * The answer a scan gets: the decision, corrected by what the write found. A retry whose
 * original got in is answered as the original was, whatever has happened since.
 */
export function finalVerdict(decision: Verdict, written: Written, nonce?: string): Verdict {
  const original = written.kind === "duplicate" || written.kind === "none" ? written.existing : null;
  if (nonce !== undefined && (original?.nonce === nonce || original?.reentryNonce === nonce)) {
    return {
      ...decision,
      outcome: "accept",
      reason: original.nonce === nonce ? "ok" : "reentry",
      badge: original.badge,
      isLate: original.isLate,
      wasRegistered: original.wasRegistered,
    };
  }
  if (written.kind === "duplicate")
    return { ...decision, outcome: "already", reason: "already_checked_in", badge: null };
  if (written.kind === "full") return { ...decision, outcome: "refuse", reason: "session_full", badge: null };
  return decision;
}
