import { type Collection, type Db, ObjectId } from "mongodb";
import type { Outcome, Reason, Verdict } from "../door/decide";
import type { IndexSpec } from "../infra/mongo";
import type { Stamp } from "../infra/stamps";

export type Method = "qr" | "manual" | "search";

export interface CheckInDoc {
  _id: ObjectId;
  participantId: ObjectId;
  sessionId: ObjectId;
  checkInTime: Date;
  method: Method;
  checkedInBy?: string;
  checkedInById?: string;
  device?: string;
  notes?: string;
  isLate: boolean;
  badge: "accepted" | "accepted_unregistered";
  wasRegistered: boolean;
  /**
   * Seat number in [0, capacity) for sessions with enforced capacity, else "free:<participantId>".
   * The unique (sessionId, seat) index is what makes overselling impossible.
   */
  seat: number | string;
  instance: string;
  nonce?: string;
  checkedOutAt: Date | null;
  /** Left by entering this other session (the `moveOnEntry` setting). */
  movedTo?: ObjectId;
  /** Times the person came back in after leaving; the last re-entry's time and nonce. */
  reentries?: number;
  lastEntryAt?: Date;
  reentryNonce?: string;
  lastEntryById?: string;
  /** The nonce of the exit that checked the person out, so its retry is answered as it was. */
  exitNonce?: string;
  createdAt: Date;
  updatedAt: Date;
  /** The window of the last change (door/stamps.ts): how the door's copies find it. */
  changeWindow?: number;
  __v: number;
}

/** The audit trail: one entry per scan or staff decision, whatever the outcome. */
export interface ScanLogDoc {
  _id: ObjectId;
  at: Date;
  sessionId: ObjectId | null;
  participantId: ObjectId | null;
  qrCode?: string;
  action: "scan" | "accept" | "decline" | "undo" | "checkout" | "move" | "correct";
  outcome: Outcome | "declined" | "done";
  reason: Reason | string;
  method?: Method;
  by?: string;
  /** The account or token that did it ("user:<id>", "token:<id>"), whatever label `by` carries. */
  byId?: string;
  device?: string;
  instance: string;
  nonce?: string;
  checkInId?: ObjectId;
  /** Facts recorded with a staff decision (whether the person was registered). */
  response?: { wasRegistered: boolean };
  /** A scan a door queued while offline: when it was scanned, synced, and what the door decided. */
  offline?: true;
  scannedAt?: Date;
  syncedAt?: Date;
  provisional?: string;
  /** The door let the person in and the server did not, or the other way round. */
  conflict?: true;
  /** An admin's correction of the person's history (attendance/): an entry or exit added, or one event voided. */
  correction?: { kind: "entry" | "exit" | "void"; at?: Date; voids?: ObjectId; note?: string };
}

/**
 * A check-in as every JSON answer shows it, the one filter for all of them: retry keys
 * and who-did-it ids stay the server's (a nonce would let its holder replay the scan, an
 * account id names other staff).
 */
export function shownCheckIn(doc: CheckInDoc) {
  const { nonce: _n, reentryNonce: _r, exitNonce: _x, checkedInById: _c, lastEntryById: _l, ...shown } = doc;
  return shown;
}

/** The check-in document for an admission, as the verdict and the seat claimed make it. */
export function newCheckIn(fields: {
  sessionId: ObjectId;
  participantId: ObjectId;
  method: Method;
  by?: string;
  byId?: string;
  device?: string;
  notes?: string;
  nonce?: string;
  verdict: Pick<Verdict, "isLate" | "wasRegistered">;
  seat: number | string;
  instance: string;
  /** When the door scanned it (a queued offline scan), else now. */
  checkInTime?: Date;
  /** When it is written. */
  stamp: Stamp;
}): CheckInDoc {
  const now = fields.stamp.at;
  return {
    _id: new ObjectId(),
    participantId: fields.participantId,
    sessionId: fields.sessionId,
    checkInTime: fields.checkInTime ?? now,
    method: fields.method,
    ...(fields.by ? { checkedInBy: fields.by } : {}),
    ...(fields.byId ? { checkedInById: fields.byId } : {}),
    ...(fields.device ? { device: fields.device } : {}),
    ...(fields.notes ? { notes: fields.notes } : {}),
    isLate: fields.verdict.isLate,
    badge: fields.verdict.wasRegistered ? "accepted" : "accepted_unregistered",
    wasRegistered: fields.verdict.wasRegistered,
    seat: fields.seat,
    instance: fields.instance,
    ...(fields.nonce ? { nonce: fields.nonce } : {}),
    checkedOutAt: null,
    createdAt: now,
    updatedAt: now,
    changeWindow: fields.stamp.changeWindow,
    __v: 0,
  };
}

export const CHECKIN_INDEXES: IndexSpec[] = [
  {
    collection: "checkins",
    key: { sessionId: 1, participantId: 1 },
    options: { unique: true, name: "session_participant_unique" },
  },
  {
    collection: "checkins",
    key: { sessionId: 1, seat: 1 },
    options: { unique: true, name: "session_seat_unique" },
  },
  { collection: "checkins", key: { checkInTime: -1 } },
  { collection: "checkins", key: { participantId: 1 } },
  // What changed in one window (door/copies.ts).
  { collection: "checkins", key: { changeWindow: 1 } },
  { collection: "scanlog", key: { sessionId: 1, at: -1 } },
  { collection: "scanlog", key: { at: -1 } },
  // A person's history (attendance, certificates).
  { collection: "scanlog", key: { participantId: 1, at: 1 } },
];

export const checkinsOf = (db: Db): Collection<CheckInDoc> => db.collection<CheckInDoc>("checkins");
export const scanlogOf = (db: Db): Collection<ScanLogDoc> => db.collection<ScanLogDoc>("scanlog");
