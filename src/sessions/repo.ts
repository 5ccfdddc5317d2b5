import { type Collection, type Db, ObjectId } from "mongodb";
import type { IndexSpec } from "../infra/mongo";
import type { CapacityMode, SessionStatus } from "./statuses";

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
  /** Absent on sessions written before it existed: admissions, as they always meant. */
  capacityMode?: CapacityMode;
  /** Scanners may register walk-ins at the door. */
  walkIns?: boolean;
  requiresRegistration: boolean;
  status: SessionStatus;
  /** Who set the status last: the scheduler never overrides a manual decision. */
  statusSource?: "manual" | "scheduler";
  isOpen: boolean;
  lateThresholdMinutes: number | null;
  autoOpenMinutesBefore: number | null;
  autoEndGraceMinutes: number | null;
  /** Continuing-education credits awarded to whoever attends enough of it (0: none). */
  credits?: number;
  /** The share of the session (in %) a person must spend inside to be credited (80 when absent). */
  minAttendancePercent?: number;
  createdAt: Date;
  updatedAt: Date;
  __v: number;
}

export const SESSION_INDEXES: IndexSpec[] = [
  { collection: "sessions", key: { startTime: 1 } },
  { collection: "sessions", key: { status: 1 } },
];

export const sessionsOf = (db: Db): Collection<SessionDoc> => db.collection<SessionDoc>("sessions");

export type SessionFields = Pick<SessionDoc, "name" | "startTime" | "endTime"> &
  Partial<
    Pick<
      SessionDoc,
      | "description"
      | "location"
      | "day"
      | "capacity"
      | "capacityEnforced"
      | "capacityMode"
      | "walkIns"
      | "requiresRegistration"
      | "isOpen"
      | "status"
      | "statusSource"
      | "lateThresholdMinutes"
      | "autoOpenMinutesBefore"
      | "autoEndGraceMinutes"
      | "credits"
      | "minAttendancePercent"
    >
  >;

export const DEFAULT_MIN_ATTENDANCE_PERCENT = 80;

/** The session's credit rule, with the defaults of sessions written before it existed. */
export const creditRule = (s: Pick<SessionDoc, "credits" | "minAttendancePercent">) => ({
  credits: s.credits ?? 0,
  minAttendancePercent: s.minAttendancePercent ?? DEFAULT_MIN_ATTENDANCE_PERCENT,
});

/** A new session document: the one place its defaults live (API, demo, tests, benchmarks). */
export function sessionRecord(fields: SessionFields, now = new Date()): SessionDoc {
  const isOpen = fields.isOpen ?? fields.status === "open";
  return {
    _id: new ObjectId(),
    ...fields,
    day: fields.day ?? 1,
    capacity: fields.capacity ?? 0,
    capacityEnforced: fields.capacityEnforced ?? true,
    requiresRegistration: fields.requiresRegistration ?? false,
    isOpen,
    status: fields.status ?? (isOpen ? "open" : "scheduled"),
    lateThresholdMinutes: fields.lateThresholdMinutes ?? null,
    autoOpenMinutesBefore: fields.autoOpenMinutesBefore ?? null,
    autoEndGraceMinutes: fields.autoEndGraceMinutes ?? null,
    createdAt: now,
    updatedAt: now,
    __v: 0,
  };
}

/** Sessions in time order, for pickers and filters; `ids` limits them (a scanner's assignment). */
export function sessionsInOrder(db: Db, ids?: ObjectId[]): Promise<SessionDoc[]> {
  return sessionsOf(db)
    .find(ids ? { _id: { $in: ids } } : {})
    .sort({ startTime: 1, _id: 1 })
    .limit(2000)
    .toArray();
}
