import { type Collection, type Db, ObjectId } from "mongodb";
import type { IndexSpec } from "../infra/mongo";
import { generateQrCode } from "./qr";

export interface ParticipantDoc {
  _id: ObjectId;
  name: string;
  email: string;
  organization?: string;
  phone?: string;
  notes?: string;
  /** What staff at the door must see (accessibility, dietary); shown on the verdict. */
  doorNote?: string;
  qrCode: string;
  /** Registered at a door: the form's nonce, so a retried submit is the same person. */
  walkInNonce?: string;
  isActive: boolean;
  status: "regular" | "ambassador" | "travel_grant";
  ambassadorPoints: number;
  referredParticipantIds: ObjectId[];
  travelGrantApplied: boolean;
  travelGrantApproved: boolean | null;
  /** Erased on request: the record counts, it identifies nobody. */
  erasedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}

export const PARTICIPANT_INDEXES: IndexSpec[] = [
  { collection: "participants", key: { email: 1 }, options: { unique: true, name: "email_unique" } },
  { collection: "participants", key: { qrCode: 1 }, options: { unique: true, name: "qrCode_unique" } },
  { collection: "participants", key: { name: 1 } },
  { collection: "participants", key: { walkInNonce: 1 } },
];

export const participantsOf = (db: Db): Collection<ParticipantDoc> =>
  db.collection<ParticipantDoc>("participants");

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface ParticipantFields {
  name: string;
  email: string;
  organization?: string;
  phone?: string;
  notes?: string;
  doorNote?: string;
  qrCode?: string;
  walkInNonce?: string;
  isActive?: boolean;
  status?: ParticipantDoc["status"];
}

/** A new participant document: the one place its defaults live (API, import, demo, tests). */
export function participantRecord(fields: ParticipantFields, now = new Date()): ParticipantDoc {
  return {
    _id: new ObjectId(),
    name: fields.name.trim(),
    email: normaliseEmail(fields.email),
    ...(fields.organization ? { organization: fields.organization } : {}),
    ...(fields.phone ? { phone: fields.phone } : {}),
    ...(fields.notes ? { notes: fields.notes } : {}),
    ...(fields.doorNote ? { doorNote: fields.doorNote } : {}),
    qrCode: fields.qrCode ?? generateQrCode(),
    ...(fields.walkInNonce ? { walkInNonce: fields.walkInNonce } : {}),
    isActive: fields.isActive ?? true,
    status: fields.status ?? "regular",
    ambassadorPoints: 0,
    referredParticipantIds: [],
    travelGrantApplied: false,
    travelGrantApproved: null,
    createdAt: now,
    updatedAt: now,
    __v: 0,
  };
}

/** The name an erased or pseudonymised person is shown under. */
export const ERASED_NAME = "(erased)";
