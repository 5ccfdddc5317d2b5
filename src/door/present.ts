import { participantFor } from "../auth/plugin";
import type { ScanLogDoc } from "../checkin/repo";
import type { Person } from "../participants/directory";
import { creditRule, type SessionDoc } from "../sessions/repo";
import { DOOR_ACTIONS, type ExitOutcome, isFull } from "./decide";
import type { ScanResult } from "./scan";

// Shapes the API contract's clients read, built from scan results.

export function capacityInfo(session: Pick<SessionDoc, "capacity">, count: number) {
  const unlimited = session.capacity <= 0;
  const percentFull = unlimited ? 0 : Math.round((count / session.capacity) * 10_000) / 100;
  return {
    capacity: session.capacity,
    checkInsCount: count,
    remaining: unlimited ? -1 : Math.max(0, session.capacity - count),
    percentFull,
    isNearCapacity: !unlimited && percentFull >= 80,
  };
}

export function sessionJson(session: SessionDoc, count: number) {
  return { ...session, ...creditRule(session), checkInsCount: count };
}

export function briefParticipant(p: Person) {
  return { _id: p._id, name: p.name, email: p.email, organization: p.organization, qrCode: p.qrCode };
}

export function briefSession(s: SessionDoc) {
  return { _id: s._id, name: s.name, startTime: s.startTime, endTime: s.endTime, location: s.location };
}

/** `data` of POST /checkin/verify-qr. */
export function verification(result: ScanResult) {
  const { verdict, session, participant, registration, checkIn, count } = result;
  const full = isFull(session, count);
  const open = session.status === "open";
  // Whatever else is wrong (closed session, deactivated badge), someone inside is inside.
  const already = checkIn !== null && !checkIn.checkedOutAt;
  const registered = registration?.status === "confirmed";
  const badge = already ? "ALREADY_CHECKED_IN" : registered ? "REGISTERED" : "NOT_REGISTERED";
  return {
    participant: participant && briefParticipant(participant),
    session: {
      _id: session._id,
      name: session.name,
      isOpen: open,
      requiresRegistration: session.requiresRegistration,
      capacity: session.capacity > 0 ? session.capacity : null,
      isAtCapacity: full,
    },
    verification: {
      isRegistered: registered,
      registrationStatus: registration?.status ?? null,
      isAlreadyCheckedIn: already,
      ...(checkIn && already
        ? { existingCheckIn: { _id: checkIn._id, checkInTime: checkIn.checkInTime, method: checkIn.method } }
        : {}),
      badge,
      isAtCapacity: full,
      outcome: verdict.outcome,
      reason: verdict.reason,
    },
    actions: {
      ...(already ? DOOR_ACTIONS.already : DOOR_ACTIONS[verdict.outcome]),
      acceptLabel: full ? "Session Full" : registered ? "Check In" : "Accept Anyway",
      declineLabel: !open ? "Session Closed" : registered ? "Decline" : "Decline Entry",
    },
    ...(session.capacityEnforced && session.capacity > 0
      ? {
          capacityInfo: {
            current: count,
            max: session.capacity,
            remaining: Math.max(0, session.capacity - count),
          },
        }
      : {}),
  };
}

/** An entry of the scan log as the attempts routes show it. */
export function attemptJson(entry: ScanLogDoc) {
  return {
    _id: entry._id,
    participantId: entry.participantId,
    sessionId: entry.sessionId,
    attemptTime: entry.at,
    status: entry.outcome === "declined" ? "declined" : "failed",
    ...(entry.by ? { declinedBy: entry.by } : {}),
    reason: entry.reason,
    wasRegistered: Boolean((entry.response as { wasRegistered?: boolean } | undefined)?.wasRegistered),
  };
}

/** `data` of the one-call scan route: the verdict and what the door needs to show. */
export function scanJson(request: Request, result: ScanResult) {
  const { verdict, participant, checkIn } = result;
  return {
    outcome: verdict.outcome,
    reason: verdict.reason,
    isLate: verdict.isLate,
    wasRegistered: verdict.wasRegistered,
    badge: verdict.badge,
    replayed: result.replayed,
    participant: participant && participantFor(request, briefParticipant(participant)),
    checkIn: checkIn && {
      _id: checkIn._id,
      checkInTime: checkIn.checkInTime,
      method: checkIn.method,
      seat: checkIn.seat,
    },
  };
}

/** `data` of an exit scan. */
export function exitJson(
  request: Request,
  left: {
    outcome: ExitOutcome;
    participant: Person | null;
    checkIn: { _id: unknown; checkedOutAt: Date | null } | null;
  },
) {
  return {
    direction: "exit",
    outcome: left.outcome,
    participant: left.participant && participantFor(request, briefParticipant(left.participant)),
    checkIn: left.checkIn && { _id: left.checkIn._id, checkedOutAt: left.checkIn.checkedOutAt },
  };
}
