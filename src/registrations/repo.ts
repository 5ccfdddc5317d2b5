import type { Collection, Db, ObjectId } from "mongodb";
import type { IndexSpec } from "../infra/mongo";
import type { RegistrationStatus } from "./statuses";

export interface RegistrationDoc {
  _id: ObjectId;
  participantId: ObjectId;
  sessionId: ObjectId;
  registrationDate: Date;
  status: RegistrationStatus;
  notes?: string;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}

export const REGISTRATION_INDEXES: IndexSpec[] = [
  {
    collection: "registrations",
    key: { participantId: 1, sessionId: 1 },
    options: { unique: true, name: "participant_session_unique" },
  },
  { collection: "registrations", key: { sessionId: 1 } },
  // Each session's packed copies and the marks of writes in progress (rosters.ts).
  { collection: "registration_copies", key: { sessionId: 1 } },
  { collection: "registration_marks", key: { sessionId: 1 } },
];

export const registrationsOf = (db: Db): Collection<RegistrationDoc> =>
  db.collection<RegistrationDoc>("registrations");
