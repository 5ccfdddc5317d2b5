import type { Collection, Db, ObjectId } from "mongodb";
import type { SessionStatus } from "../checkin/decide";
import type { IndexSpec } from "../infra/mongo";

export interface SessionDoc {
  _id: ObjectId;
  name: string;
  description?: string;
  location?: string;
  day: number;
  startTime: Date;
  endTime: Date;
  capacity: number;
  capacityEnforced: boolean;
  requiresRegistration: boolean;
  status: SessionStatus;
  /** Who set the status last: the scheduler never overrides a manual decision. */
  statusSource?: "manual" | "scheduler";
  isOpen: boolean;
  lateThresholdMinutes: number | null;
  autoOpenMinutesBefore: number | null;
  autoEndGraceMinutes: number | null;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}

export const SESSION_INDEXES: IndexSpec[] = [
  { collection: "sessions", key: { startTime: 1 } },
  { collection: "sessions", key: { status: 1 } },
];

export const sessionsOf = (db: Db): Collection<SessionDoc> => db.collection<SessionDoc>("sessions");
