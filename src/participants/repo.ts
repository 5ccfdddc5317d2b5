import type { Collection, Db, ObjectId } from "mongodb";
import type { IndexSpec } from "../infra/mongo";

export interface ParticipantDoc {
  _id: ObjectId;
  name: string;
  email: string;
  organization?: string;
  phone?: string;
  notes?: string;
  qrCode: string;
  isActive: boolean;
  status: "regular" | "ambassador" | "travel_grant";
  ambassadorPoints: number;
  referredParticipantIds: ObjectId[];
  travelGrantApplied: boolean;
  travelGrantApproved: boolean | null;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}

export const PARTICIPANT_INDEXES: IndexSpec[] = [
  { collection: "participants", key: { email: 1 }, options: { unique: true, name: "email_unique" } },
  { collection: "participants", key: { qrCode: 1 }, options: { unique: true, name: "qrCode_unique" } },
  { collection: "participants", key: { name: 1 } },
];

export const participantsOf = (db: Db): Collection<ParticipantDoc> =>
  db.collection<ParticipantDoc>("participants");

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
