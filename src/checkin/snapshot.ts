import { createHmac, randomBytes } from "node:crypto";
import type { Db, ObjectId } from "mongodb";
import type { Person } from "../participants/directory";
import { type RegistrationStatus, registrationsOf } from "../registrations/repo";
import type { SessionDoc } from "../sessions/repo";
import { checkinsOf } from "./repo";

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

export function doorSnapshot(
  session: SessionDoc,
  people: Iterable<Person>,
  registrations: { participantId: ObjectId; status: RegistrationStatus }[],
  checkIns: { participantId: ObjectId; checkedOutAt: Date | null }[],
  key: Buffer = randomBytes(32),
): DoorSnapshot {
  const reg = new Map(registrations.map((r) => [String(r.participantId), r.status]));
  const state = new Map(checkIns.map((c) => [String(c.participantId), c.checkedOutAt ? "out" : "in"]));
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
    count: checkIns.length,
    inside: checkIns.filter((c) => !c.checkedOutAt).length,
    people: rows,
  };
}

/** The snapshot of one session as MongoDB and the badge directory hold it now. */
export async function readDoorSnapshot(
  db: Db,
  session: SessionDoc,
  people: Iterable<Person>,
): Promise<DoorSnapshot> {
  const [regs, ins] = await Promise.all([
    registrationsOf(db)
      .find({ sessionId: session._id }, { projection: { participantId: 1, status: 1, _id: 0 } })
      .toArray(),
    checkinsOf(db)
      .find({ sessionId: session._id }, { projection: { participantId: 1, checkedOutAt: 1, _id: 0 } })
      .toArray(),
  ]);
  return doorSnapshot(session, people, regs, ins);
}
