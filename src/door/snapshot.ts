import { createHmac, randomBytes } from "node:crypto";
import type { ObjectId } from "mongodb";
import type { Person } from "../participants/directory";
import type { RegistrationStatus } from "../registrations/statuses";
import type { SessionDoc } from "../sessions/repo";
import type { Lease } from "./leases";
import type { SnapshotSession } from "./offline-decision";

// What a door device keeps so it can decide on its own while the network is away: the
// session's rule, and for every badge a keyed hash of its code (never the code: codes
// are the credentials that open doors), the registration and whether the person is
// inside. Names travel only for the session's own registrants and attendees. The key
// is new in each snapshot, so a stolen device's copy is worth one session, one sync.
// The device must hold the key to hash what it scans, so whoever steals it can test
// candidate codes against the hashes as fast as they can compute: a badge is on the
// device only when its code is too hard to guess for that to matter (see guessableBits).
// Others are "unknown" offline and wait for the server. Invite-only sessions carry only
// their own people.

/**
 * A code must carry at least this much guesswork to be held by a device: finding any one
 * of 20,000 such codes from a stolen snapshot takes 2^80 / 20,000 ≈ 6·10^19 keyed
 * hashes, about 190 years at 10^10 a second. Generated codes carry 100 bits.
 */
export const OFFLINE_MIN_BITS = 80;

/** The alphabets a position's characters are assumed to be drawn from, smallest first. */
const ALPHABETS: [RegExp, number][] = [
  [/^[0-9]+$/, 10],
  [/^[0-9a-f]+$/, 16],
  [/^[0-9A-F]+$/, 16],
  [/^[A-Z]+$/, 26],
  [/^[a-z]+$/, 26],
  [/^[0-9A-Z]+$/, 36],
  [/^[0-9a-z]+$/, 36],
  [/^[0-9A-Za-z]+$/, 62],
];
const alphabetBits = (chars: string) =>
  Math.log2(ALPHABETS.find(([pattern]) => pattern.test(chars))?.[1] ?? 95);

/**
 * How many bits an attacker who knows the codes' format must guess for each code, by two
 * estimates, the smaller kept. By position: among codes of the same length, a position
 * where they all agree is known, one where they differ holds a character of the smallest
 * usual alphabet covering what is seen there. By family: codes equal once their runs of
 * digits are set aside ("QR-EVENT2025-000123") are a counter, guessed by counting through
 * the digits. A code alone of its length is given 0 bits: nothing shows its format.
 */
export function guessableBits(codes: Iterable<string>): Map<string, number> {
  const byLength = new Map<number, string[]>();
  const families = new Map<string, number>();
  const template = (code: string) => code.replace(/[0-9]+/g, "#");
  for (const code of codes) {
    const group = byLength.get(code.length) ?? [];
    group.push(code);
    byLength.set(code.length, group);
    families.set(template(code), (families.get(template(code)) ?? 0) + 1);
  }
  const bits = new Map<string, number>();
  for (const [length, group] of byLength) {
    let positional = 0;
    if (group.length > 1) {
      for (let i = 0; i < length; i++) {
        const seen = new Set(group.map((code) => code[i]));
        if (seen.size > 1) positional += alphabetBits([...seen].join(""));
      }
    }
    for (const code of group) {
      const digits = (code.match(/[0-9]/g) ?? []).length;
      const counted =
        (families.get(template(code)) ?? 0) > 1 ? digits * Math.log2(10) : Number.POSITIVE_INFINITY;
      bits.set(code, Math.min(positional, counted));
    }
  }
  return bits;
}

/** The codes a door device may hold, by guessableBits. */
export function offlineVerifiable(codes: Iterable<string>): Set<string> {
  const verifiable = new Set<string>();
  for (const [code, bits] of guessableBits(codes)) if (bits >= OFFLINE_MIN_BITS) verifiable.add(code);
  return verifiable;
}

export interface DoorSnapshot {
  sessionId: string;
  at: string;
  /** HMAC-SHA-256 key (base64url) the device hashes scanned codes with. */
  key: string;
  /** What the device's decision needs of the session (offline-decision.ts). */
  session: SnapshotSession;
  /** Admissions so far and people inside now. */
  count: number;
  inside: number;
  /** [code hash, name or "", registration status or "", "in" | "out" | ""] */
  people: [string, string, string, string][];
  /** The asking device's seat lease, when it sent its id and the session's capacity is enforced. */
  lease?: Lease;
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
  verifiable: Set<string>,
  defaultLateThresholdMinutes: number,
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
    if (!verifiable.has(p.qrCode) || (session.requiresRegistration && !known)) continue;
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
      lateThresholdMinutes: session.lateThresholdMinutes ?? defaultLateThresholdMinutes,
    },
    count: state.size,
    inside: [...state.values()].filter((w) => w === "in").length,
    people: rows,
  };
}

/** A snapshot is shared by a session's door devices for this long (each costs an HMAC per badge). */
const SNAPSHOT_REUSE_MS = 5000;
/** Which codes are guessable is worked out again this often (a new code waits, off devices, until then). */
const VERIFIABLE_REUSE_MS = 60_000;

/**
 * Snapshots for the door devices, read from the door state in Redis (one read, not two
 * collection scans of FerretDB) and reused for a few seconds by every device of a session.
 */
export function createSnapshots(parts: {
  door: { roster(sessionId: ObjectId): Promise<Roster> };
  sessions: { require(sessionId: ObjectId): Promise<SessionDoc> };
  people: () => Iterable<Person>;
  /** Resolves once `people` holds everyone: a snapshot of part of them would misjudge which codes are too easy to guess. */
  peopleLoaded: () => Promise<void>;
  lateThresholdMinutes: () => number;
}) {
  const recent = new Map<string, { at: number; snapshot: Promise<DoorSnapshot> }>();
  let verifiable = { at: 0, codes: new Set<string>() };
  const verifiableNow = () => {
    if (Date.now() - verifiable.at >= VERIFIABLE_REUSE_MS) {
      const codes: string[] = [];
      for (const p of parts.people()) codes.push(p.qrCode);
      verifiable = { at: Date.now(), codes: offlineVerifiable(codes) };
    }
    return verifiable.codes;
  };
  return {
    get(sessionId: ObjectId): Promise<DoorSnapshot> {
      const key = String(sessionId);
      const known = recent.get(key);
      if (known && Date.now() - known.at < SNAPSHOT_REUSE_MS) return known.snapshot;
      const snapshot = Promise.all([
        parts.sessions.require(sessionId),
        parts.door.roster(sessionId),
        parts.peopleLoaded(),
      ]).then(([session, roster]) =>
        doorSnapshot(session, parts.people(), roster, verifiableNow(), parts.lateThresholdMinutes()),
      );
      snapshot.catch(() => recent.delete(key));
      recent.set(key, { at: Date.now(), snapshot });
      for (const [id, entry] of recent) if (Date.now() - entry.at >= SNAPSHOT_REUSE_MS) recent.delete(id);
      return snapshot;
    },
  };
}
