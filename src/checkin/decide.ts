// The scan decision: pure, so every branch is unit-tested without servers.

export const SESSION_STATUSES = ["scheduled", "open", "ended", "closed", "cancelled"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export const REGISTRATION_STATUSES = ["confirmed", "pending", "cancelled"] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

export type Reason =
  | "ok"
  | "already_checked_in"
  | "not_registered"
  | "registration_cancelled"
  | "invite_only"
  | "session_full"
  | "session_not_open"
  | "session_ended"
  | "unknown_code"
  | "inactive_participant";

/** accept: admit now. decide: staff may accept anyway or decline. already: inside. refuse: no entry. */
export type Outcome = "accept" | "decide" | "already" | "refuse";

export interface DecisionSession {
  status: SessionStatus;
  startTime: Date;
  capacity: number;
  capacityEnforced: boolean;
  requiresRegistration: boolean;
  lateThresholdMinutes: number | null;
}

export interface DecisionInput {
  participant: { isActive: boolean } | null;
  session: DecisionSession;
  registration: { status: RegistrationStatus } | null;
  alreadyCheckedIn: boolean;
  /** Accepted check-ins so far; compared with capacity when it is enforced. */
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

export const REASON_TEXT: Record<Reason, string> = {
  ok: "Checked in",
  already_checked_in: "Participant is already checked in to this session",
  not_registered: "Participant is not registered for this session",
  registration_cancelled: "Participant's registration for this session was cancelled",
  invite_only: "Session requires registration and the participant is not registered",
  session_full: "Session is at full capacity",
  session_not_open: "Session is not open for check-ins",
  session_ended: "Session has ended",
  unknown_code: "Badge code not found",
  inactive_participant: "Participant's badge is deactivated",
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
  if (input.alreadyCheckedIn) return verdict("already", "already_checked_in");
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
