import { type DecisionInput, decide, type Reason, type Verdict } from "./decide";

// What a door device decides on its own while the server cannot be reached: the same
// `decide` the server runs, fed the facts the device has (its session snapshot plus the
// scans it queued since). Pure, so the server's tests and the browser run the same code.

/** The session as a snapshot carries it (JSON: times are strings). */
export interface SnapshotSession {
  name: string;
  status: DecisionInput["session"]["status"];
  startTime: string | Date;
  endTime: string | Date;
  capacity: number;
  capacityEnforced: boolean;
  requiresRegistration: boolean;
  capacityMode: "admissions" | "occupancy";
  /** The late threshold in force for this session (its own, else the settings'). */
  lateThresholdMinutes: number;
}

/** A badge as the snapshot knows it: registration status ("" none) and where the person is. */
export interface SnapshotPerson {
  registration: string;
  where: "in" | "out" | "";
}

export interface OfflineFacts {
  session: SnapshotSession;
  /** The person, or null for a badge the device does not hold. */
  person: SnapshotPerson | null;
  /** Admissions and people inside, as of the snapshot plus this device's queued scans. */
  admitted: number;
  inside: number;
  now: Date;
  /**
   * Seats this door may still take offline: its lease (leases.ts) less what it admitted
   * against it since. Null where it holds none.
   */
  leaseLeft: number | null;
}

/** Only a door offline says this: the seats leased to it are used up (the room may still have some). */
export type OfflineReason = Reason | "offline_share_used_up";
export type OfflineVerdict = Omit<Verdict, "reason"> & { reason: OfflineReason };

/** Whether an admission with this verdict takes a seat the session counts: a new one, or a re-entry where exits free seats. */
export function takesSeat(
  session: Pick<SnapshotSession, "capacity" | "capacityEnforced" | "capacityMode">,
  reason: string,
): boolean {
  if (!session.capacityEnforced || session.capacity <= 0) return false;
  return reason === "ok" || (reason === "reentry" && session.capacityMode === "occupancy");
}

/**
 * Whether the door let the person in while offline, by its own verdict: an admission or a
 * re-entry (counted against its lease when it takes a seat), or "already in" (they walked in
 * as someone the device believed inside). "unknown" and its refusals did not.
 */
export function letInOffline(provisional: string): boolean {
  return provisional === "ok" || provisional === "reentry" || provisional === "already_checked_in";
}

/** Whether the door counted the person against its lease while offline (never for "already in"). */
export function countedOnLease(provisional: string): boolean {
  return provisional === "ok" || provisional === "reentry";
}

/**
 * Whether the final verdict on a queued entry differs from the door's own on whether the
 * person is in: the server flags it for staff, the door shows it in its sync report.
 * "unknown" promised nothing; "superseded" is history later facts overtook.
 */
export function differsFromDoor(
  provisional: string,
  final: { outcome: string; reason?: string | null },
): boolean {
  if (provisional === "unknown" || final.reason === "superseded") return false;
  const serverIn =
    final.outcome === "accept" || (provisional === "already_checked_in" && final.outcome === "already");
  return letInOffline(provisional) !== serverIn;
}

const REGISTRATION = new Set(["confirmed", "pending", "cancelled"]);

/**
 * The door's offline verdict for an entry: `decide`, on what the device knows; an
 * admission that takes a seat goes only against the door's lease, so no two doors
 * offline can give away the same seat.
 */
export function offlineDecision(facts: OfflineFacts): OfflineVerdict {
  const verdict = ruleVerdict(facts);
  if (verdict.outcome !== "accept" || !takesSeat(facts.session, verdict.reason)) return verdict;
  if ((facts.leaseLeft ?? 0) > 0) return verdict;
  return { ...verdict, outcome: "refuse", reason: "offline_share_used_up", badge: null };
}

function ruleVerdict(facts: OfflineFacts): Verdict {
  const { session, person } = facts;
  const registration = person && REGISTRATION.has(person.registration) ? person.registration : null;
  return decide({
    // The snapshot holds active badges only: any badge it has is active.
    participant: person ? { isActive: true } : null,
    session: {
      status: session.status,
      startTime: new Date(session.startTime),
      capacity: session.capacity,
      capacityEnforced: session.capacityEnforced,
      requiresRegistration: session.requiresRegistration,
      capacityMode: session.capacityMode,
      lateThresholdMinutes: session.lateThresholdMinutes,
    },
    registration: registration ? { status: registration as "confirmed" | "pending" | "cancelled" } : null,
    alreadyCheckedIn: person !== null && person.where !== "",
    checkedOut: person?.where === "out",
    checkedInCount: session.capacityMode === "occupancy" ? facts.inside : facts.admitted,
    now: facts.now,
    // A door offline cannot be asked to accept anyone anyway: that waits for the server.
    acceptUnregistered: false,
    defaultLateThresholdMinutes: session.lateThresholdMinutes,
  });
}
