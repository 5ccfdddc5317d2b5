import { t } from "elysia";
import { ObjectId } from "mongodb";
import type { CheckinService } from "../door/service";
import type { Features } from "../features";
import { badRequest, fieldError, notFound, unavailable } from "../http/errors";
import { phrase } from "../i18n/locale";
import { KEYS } from "../infra/keys";
import { LockBusyError, LockUnavailableError, withLock } from "../infra/lock";
import type { Runtime } from "../runtime";
import type { Webhooks } from "../webhooks/service";
import type { SessionCache } from "./cache";
import { type SessionDoc, sessionRecord, sessionsOf } from "./repo";
import { statusForIsOpen, validTimes } from "./rules";
import { CAPACITY_MODES } from "./statuses";

// What the API, the admin pages and the scheduler do to sessions: one service all call.

const Minutes = t.Integer({ minimum: 0, maximum: 1440 });
const sessionFields = {
  name: t.String({ minLength: 1, maxLength: 200 }),
  description: t.String({ maxLength: 1000 }),
  location: t.String({ maxLength: 200 }),
  startTime: t.String({ format: "date-time" }),
  endTime: t.String({ format: "date-time" }),
  isOpen: t.Boolean(),
  capacity: t.Integer({ minimum: 0, maximum: 1_000_000 }),
  capacityEnforced: t.Boolean(),
  capacityMode: t.Union(CAPACITY_MODES.map((mode) => t.Literal(mode))),
  walkIns: t.Boolean(),
  requiresRegistration: t.Boolean(),
  day: t.Integer({ minimum: 1, maximum: 366 }),
  autoOpenMinutesBefore: t.Union([Minutes, t.Null()]),
  autoEndGraceMinutes: t.Union([Minutes, t.Null()]),
  lateThresholdMinutes: t.Union([Minutes, t.Null()]),
  credits: t.Number({ minimum: 0, maximum: 1000 }),
  minAttendancePercent: t.Number({ minimum: 1, maximum: 100 }),
};
const O = t.Optional;
export const CreateSession = t.Object(
  {
    name: sessionFields.name,
    startTime: sessionFields.startTime,
    endTime: sessionFields.endTime,
    description: O(sessionFields.description),
    location: O(sessionFields.location),
    isOpen: O(sessionFields.isOpen),
    capacity: O(sessionFields.capacity),
    capacityEnforced: O(sessionFields.capacityEnforced),
    capacityMode: O(sessionFields.capacityMode),
    walkIns: O(sessionFields.walkIns),
    requiresRegistration: O(sessionFields.requiresRegistration),
    day: O(sessionFields.day),
    autoOpenMinutesBefore: O(sessionFields.autoOpenMinutesBefore),
    autoEndGraceMinutes: O(sessionFields.autoEndGraceMinutes),
    lateThresholdMinutes: O(sessionFields.lateThresholdMinutes),
    credits: O(sessionFields.credits),
    minAttendancePercent: O(sessionFields.minAttendancePercent),
  },
  { additionalProperties: false },
);
export const PatchSession = t.Partial(t.Object(sessionFields), { additionalProperties: false });

export type CreateBody = typeof CreateSession.static;

export function newSession(body: CreateBody): SessionDoc {
  const startTime = new Date(body.startTime);
  const endTime = new Date(body.endTime);
  const problem = validTimes(startTime, endTime);
  if (problem) throw badRequest("Validation failed", [fieldError("endTime", problem)]);
  return sessionRecord({ ...body, startTime, endTime, isOpen: Boolean(body.isOpen) });
}

export const sessionLockKey = (id: ObjectId | string) => KEYS.lock(`session:${id}`);

/** The audit of status changes, whoever made them. */
export const sessionEventsOf = (rt: Runtime) =>
  rt.mongo.db.collection<{
    _id: ObjectId;
    sessionId: ObjectId;
    from: string;
    to: string;
    reason: string;
    instance: string;
    at: Date;
  }>("session_events");

/**
 * The one way a session changes, for the API, the admin pages and the scheduler alike:
 * under the session's lock, `change` sees the session as it is and says what to set
 * (null: nothing); a status change is audited; every instance hears of it; a capacity
 * change re-seats the session. Lock trouble is the caller's to word.
 */
export async function writeSession(
  rt: Runtime,
  parts: SessionParts,
  id: ObjectId,
  change: (current: SessionDoc) => Partial<SessionDoc> | null,
  options: { reason: string | (() => string); reseat?: boolean },
): Promise<SessionDoc | null> {
  const db = rt.mongo.db;
  /** The status before, when this change moved it. */
  let changedStatus: string | null = null;
  const write = async () => {
    const current = await sessionsOf(db).findOne({ _id: id });
    const set = current && change(current);
    if (!current || !set) return null;
    const after = await sessionsOf(db).findOneAndUpdate(
      { _id: id },
      { $set: { ...set, updatedAt: new Date() } },
      { returnDocument: "after" },
    );
    if (!after) return null;
    if (current.status !== after.status) {
      changedStatus = current.status;
      await sessionEventsOf(rt).insertOne({
        _id: new ObjectId(),
        sessionId: id,
        from: current.status,
        to: after.status,
        reason: typeof options.reason === "string" ? options.reason : options.reason(),
        instance: rt.config.instanceId,
        at: new Date(),
      });
    }
    // Announced inside the lock, so no scan can keep the old version afterwards.
    await parts.cache.changed(id, after);
    return after;
  };
  const updated = await withLock(rt.redis.cmd, sessionLockKey(id), rt.config.lock, () =>
    options.reseat ? parts.door.reseat(id, write) : write(),
  );
  if (updated?.status === "open") await parts.door.warmSession(id);
  if (updated && changedStatus && (updated.status === "open" || changedStatus === "open"))
    await parts.webhooks
      ?.emit({
        type: updated.status === "open" ? "session.opened" : "session.closed",
        stream: String(id),
        data: { sessionId: String(id), name: updated.name, status: updated.status },
      })
      .catch((err: unknown) => rt.log.warn({ err: String(err) }, "webhook for a session change not queued"));
  return updated;
}

/**
 * What a session change needs besides MongoDB: this feature's cache (every instance hears
 * of it), and the door state's hooks (the check-in feature's): re-seat on a capacity change,
 * build on opening, clear on deletion.
 */
export interface SessionParts {
  cache: SessionCache;
  door: Pick<CheckinService, "reseat" | "warmSession" | "removeSessionRecords">;
  /** Endpoints that asked hear a session open and close. */
  webhooks?: Pick<Webhooks, "emit">;
}

export const sessionParts = (features: Features): SessionParts => ({
  cache: features.sessions,
  door: features.door,
  webhooks: features.webhooks,
});

/** What the API and the admin pages do to sessions, in one place. */
export function sessionActions(rt: Runtime, features: Features) {
  const parts = sessionParts(features);
  const db = rt.mongo.db;
  async function applyPatch(id: ObjectId, patch: Partial<Record<keyof typeof sessionFields, unknown>>) {
    const set: Partial<SessionDoc> = {};
    for (const [key, value] of Object.entries(patch)) {
      if (key === "startTime" || key === "endTime") set[key] = new Date(value as string);
      else (set as Record<string, unknown>)[key] = value;
    }
    const updated = await writeSession(
      rt,
      parts,
      id,
      (current) => {
        const endTime = set.endTime ?? current.endTime;
        const problem = validTimes(set.startTime ?? current.startTime, endTime);
        if (problem) throw badRequest("Validation failed", [fieldError("endTime", problem)]);
        if (patch.isOpen === undefined) return set;
        return {
          ...set,
          status: statusForIsOpen(Boolean(patch.isOpen), endTime, new Date()),
          statusSource: "manual",
        };
      },
      {
        reason: "manual",
        reseat: ["capacity", "capacityEnforced", "capacityMode"].some((field) => field in patch),
      },
    ).catch((error) => {
      // The same lock as the scheduler's: a manual open/close is never lost to a concurrent tick.
      if (error instanceof LockUnavailableError || error instanceof LockBusyError) {
        throw unavailable("The session is being updated elsewhere or Redis is unavailable; try again.");
      }
      throw error;
    });
    if (!updated) throw notFound(phrase("Session with ID {id} not found", { id: String(id) }));
    return updated;
  }

  async function create(body: CreateBody): Promise<SessionDoc> {
    const doc = newSession(body);
    await sessionsOf(db).insertOne(doc);
    await parts.cache.changed(doc._id, doc);
    return doc;
  }

  async function remove(id: ObjectId): Promise<SessionDoc> {
    const removed = await sessionsOf(db).findOneAndDelete({ _id: id });
    if (!removed) throw notFound(phrase("Session with ID {id} not found", { id: String(id) }));
    await parts.cache.changed(id, null);
    await parts.door.removeSessionRecords(id);
    return removed;
  }

  return { applyPatch, create, remove };
}
