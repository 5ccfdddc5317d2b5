import { createHmac, randomBytes } from "node:crypto";
import type { ObjectId } from "mongodb";
import type { Person } from "../participants/directory";
import type { RegistrationStatus } from "../registrations/repo";
import type { SessionDoc } from "../sessions/repo";

// What a door device keeps so it can decide on its own while the network is away: the
// session's rule, and for every badge a keyed hash of its code (never the code: codes
// are the credentials that open doors), the registration and whether the person is
// inside. Names travel only for the session's own registrants and attendees. The key
// is new in each snapshot, so a stolen device's copy is worth one session, one sync.
// A hash is only as strong as the code behind it: short (imported) codes could be found
// from theirs by trying them all, so they are left out (offline, such a badge is
// "unknown" and waits for the server). Invite-only sessions carry only their own people.

/** Generated codes have 23 characters (100 random bits); anything shorter stays off devices. */
export const MIN_OFFLINE_CODE_LENGTH = 20;

export interface DoorSnapshot {
  sessionId: string;
  at: string;
  /** HMAC-SHA-256 key (base64url) the device hashes scanned codes with. */
  key: string;
  session: Pick<
    SessionDoc,
    "name" | "status" | "startTime" | "endTime" | "capacity" | "capacityEnforced" | "requiresRegistration"
  > & { capacityMode: string };
  /** Admissions so far and people inside now. */
  count: number;
  inside: number;
  /** [code hash, name or "", registration status or "", "in" | "out" | ""] */
  people: [string, string, string, string][];
}

/** The hash a device computes for a scanned code: HMAC-SHA-256, base64url, first 128 bits. */
export function codeHash(key: Buffer, code: string): string {
  return createHmac("sha256", key).update(code).digest("base64url").slice(0, 22);
}

/** A session's registrations and who has come (inside or left), by participant id. */
export interface Roster {
  registrations: Map<string, RegistrationStatus>;
  where: Map<string, "in" | "out">;
}

export function doorSnapshot(
  session: SessionDoc,
  people: Iterable<Person>,
  roster: Roster,
  key: Buffer = randomBytes(32),
): DoorSnapshot {
  const reg = roster.registrations;
  const state = roster.where;
  const rows: DoorSnapshot["people"] = [];
  for (const p of people) {
    // A deactivated badge is unknown to the device: offline, it is not let in.
    if (!p.isActive) continue;
    const id = String(p._id);
    const status = reg.get(id) ?? "";
    const where = state.get(id) ?? "";
    const known = status !== "" || where !== "";
    if (p.qrCode.length < MIN_OFFLINE_CODE_LENGTH || (session.requiresRegistration && !known)) continue;
    rows.push([codeHash(key, p.qrCode), known ? p.name : "", status, where]);
  }
  return {
    sessionId: String(session._id),
    at: new Date().toISOString(),
    key: key.toString("base64url"),
    session: {
      name: session.name,
      status: session.status,
      startTime: session.startTime,
      endTime: session.endTime,
      capacity: session.capacity,
      capacityEnforced: session.capacityEnforced,
      requiresRegistration: session.requiresRegistration,
      capacityMode: session.capacityMode ?? "admissions",
    },
    count: state.size,
    inside: [...state.values()].filter((w) => w === "in").length,
    people: rows,
  };
}

/** A snapshot is shared by a session's door devices for this long (each costs an HMAC per badge). */
const SNAPSHOT_REUSE_MS = 5000;

/**
 * Snapshots for the door devices, read from the door state in Redis (one read, not two
 * collection scans of FerretDB) and reused for a few seconds by every device of a session.
 */
export function createSnapshots(parts: {
  door: { roster(sessionId: ObjectId): Promise<Roster> };
  sessions: { require(sessionId: ObjectId): Promise<SessionDoc> };
  people: () => Iterable<Person>;
}) {
  const recent = new Map<string, { at: number; snapshot: Promise<DoorSnapshot> }>();
  return {
    get(sessionId: ObjectId): Promise<DoorSnapshot> {
      const key = String(sessionId);
      const known = recent.get(key);
      if (known && Date.now() - known.at < SNAPSHOT_REUSE_MS) return known.snapshot;
      const snapshot = Promise.all([parts.sessions.require(sessionId), parts.door.roster(sessionId)]).then(
        ([session, roster]) => doorSnapshot(session, parts.people(), roster),
      );
      snapshot.catch(() => recent.delete(key));
      recent.set(key, { at: Date.now(), snapshot });
      for (const [id, entry] of recent) if (Date.now() - entry.at >= SNAPSHOT_REUSE_MS) recent.delete(id);
      return snapshot;
    },
  };
}
