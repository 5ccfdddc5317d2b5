import { Elysia, t } from "elysia";
import { type Filter, ObjectId } from "mongodb";
import { participantFor } from "../auth/plugin";
import { sessionJson } from "../checkin/present";
import { checkinsOf } from "../checkin/repo";
import type { CheckinService } from "../checkin/service";
import { containsPattern, ok, pageMeta, parseId } from "../http/envelope";
import { AppError, badRequest, notFound, unavailable } from "../http/errors";
import { pageQuery, pagination, sortFor } from "../http/query";
import { LockBusyError, LockUnavailableError, withLock } from "../infra/lock";
import { participantsOf } from "../participants/repo";
import { registrationsOf } from "../registrations/repo";
import type { Runtime } from "../runtime";
import { sessionEventsOf, sessionLockKey } from "../scheduler/scheduler";
import { type SessionDoc, sessionRecord, sessionsOf } from "./repo";
import { statusForIsOpen, validTimes } from "./rules";

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
  requiresRegistration: t.Boolean(),
  day: t.Integer({ minimum: 1, maximum: 366 }),
  autoOpenMinutesBefore: t.Union([Minutes, t.Null()]),
  autoEndGraceMinutes: t.Union([Minutes, t.Null()]),
  lateThresholdMinutes: t.Union([Minutes, t.Null()]),
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
    requiresRegistration: O(sessionFields.requiresRegistration),
    day: O(sessionFields.day),
    autoOpenMinutesBefore: O(sessionFields.autoOpenMinutesBefore),
    autoEndGraceMinutes: O(sessionFields.autoEndGraceMinutes),
    lateThresholdMinutes: O(sessionFields.lateThresholdMinutes),
  },
  { additionalProperties: false },
);
const PatchSession = t.Partial(t.Object(sessionFields), { additionalProperties: false });

export type CreateBody = typeof CreateSession.static;

export function newSession(body: CreateBody): SessionDoc {
  const startTime = new Date(body.startTime);
  const endTime = new Date(body.endTime);
  const problem = validTimes(startTime, endTime);
  if (problem) throw badRequest("Validation failed", [{ field: "endTime", message: problem }]);
  return sessionRecord({ ...body, startTime, endTime, isOpen: Boolean(body.isOpen) });
}

/** What the API and the admin pages do to sessions, in one place. */
export function sessionActions(rt: Runtime, svc: CheckinService) {
  const db = rt.mongo.db;
  async function applyPatch(id: ObjectId, patch: Partial<Record<keyof typeof sessionFields, unknown>>) {
    const current = await sessionsOf(db).findOne({ _id: id });
    if (!current) throw notFound(`Session with ID ${id} not found`);
    const set: Partial<SessionDoc> = { updatedAt: new Date() };
    for (const [key, value] of Object.entries(patch)) {
      if (key === "startTime" || key === "endTime") set[key] = new Date(value as string);
      else (set as Record<string, unknown>)[key] = value;
    }
    const problem = validTimes(set.startTime ?? current.startTime, set.endTime ?? current.endTime);
    if (problem) throw badRequest("Validation failed", [{ field: "endTime", message: problem }]);
    if (patch.isOpen !== undefined) {
      set.status = statusForIsOpen(Boolean(patch.isOpen), set.endTime ?? current.endTime, new Date());
      set.statusSource = "manual";
    }
    // The same lock as the scheduler's: a manual open/close is never lost to a concurrent tick.
    const seatsChange = patch.capacity !== undefined || patch.capacityEnforced !== undefined;
    const write = async () => {
      const before = await sessionsOf(db).findOne({ _id: id });
      const after = await sessionsOf(db).findOneAndUpdate(
        { _id: id },
        { $set: set },
        { returnDocument: "after" },
      );
      if (before && after && before.status !== after.status) {
        await sessionEventsOf(rt).insertOne({
          _id: new ObjectId(),
          sessionId: id,
          from: before.status,
          to: after.status,
          reason: "manual",
          instance: rt.config.instanceId,
          at: new Date(),
        });
      }
      // Written through inside the lock, so no scan can cache the old version afterwards.
      await svc.sessionChanged(id, after);
      return after;
    };
    // The same lock as the scheduler's: a manual open/close is never lost to a concurrent tick.
    const updated = await withLock(rt.redis.cmd, sessionLockKey(id), rt.config.lock, () =>
      seatsChange ? svc.reseat(id, write) : write(),
    ).catch((error) => {
      if (error instanceof LockUnavailableError || error instanceof LockBusyError) {
        throw unavailable("The session is being updated elsewhere or Redis is unavailable; try again.");
      }
      throw error;
    });
    if (!updated) throw notFound(`Session with ID ${id} not found`);
    if (updated.status === "open") await svc.warmSession(id);
    return updated;
  }

  async function create(body: CreateBody): Promise<SessionDoc> {
    const doc = newSession(body);
    await sessionsOf(db).insertOne(doc);
    await svc.sessionChanged(doc._id, doc);
    return doc;
  }

  async function remove(id: ObjectId): Promise<SessionDoc> {
    const removed = await sessionsOf(db).findOneAndDelete({ _id: id });
    if (!removed) throw notFound(`Session with ID ${id} not found`);
    await svc.sessionChanged(id, null);
    await svc.removeSessionRecords(id);
    return removed;
  }

  return { applyPatch, create, remove };
}

export function sessionRoutes(rt: Runtime, svc: CheckinService) {
  const db = rt.mongo.db;
  const withCounts = (sessions: SessionDoc[]) =>
    Promise.all(sessions.map(async (s) => sessionJson(s, await svc.count(s._id))));

  const { applyPatch, create, remove } = sessionActions(rt, svc);

  return new Elysia({ name: "sessions-api", prefix: "/api/v1/sessions" })
    .get(
      "/",
      async ({ query, request }) => {
        const filter: Filter<SessionDoc> = {};
        if (query.isOpen !== undefined) filter.isOpen = query.isOpen;
        if (query.location) filter.location = query.location;
        if (query.startAfter || query.startBefore) {
          filter.startTime = {
            ...(query.startAfter ? { $gte: new Date(query.startAfter) } : {}),
            ...(query.startBefore ? { $lte: new Date(query.startBefore) } : {}),
          };
        }
        if (query.search) {
          const pattern = containsPattern(query.search);
          filter.$or = [{ name: pattern }, { description: pattern }, { location: pattern }];
        }
        const page = pagination(query);
        const [docs, total] = await Promise.all([
          sessionsOf(db)
            .find(filter)
            .sort(sortFor(query, ["startTime", "endTime", "name", "day"]))
            .skip((page.page - 1) * page.limit)
            .limit(page.limit)
            .toArray(),
          sessionsOf(db).countDocuments(filter),
        ]);
        return ok(request, await withCounts(docs), "Sessions retrieved", { meta: pageMeta(page, total) });
      },
      {
        query: t.Object(
          {
            ...pageQuery,
            isOpen: t.Optional(t.BooleanString()),
            startAfter: t.Optional(t.String({ format: "date-time" })),
            startBefore: t.Optional(t.String({ format: "date-time" })),
            location: t.Optional(t.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
      },
    )
    .get("/stats", async ({ request }) => {
      const now = new Date();
      const [total, open, upcoming, past] = await Promise.all([
        sessionsOf(db).countDocuments({}),
        sessionsOf(db).countDocuments({ isOpen: true }),
        sessionsOf(db).countDocuments({ startTime: { $gt: now } }),
        sessionsOf(db).countDocuments({ endTime: { $lt: now } }),
      ]);
      return ok(request, { total, open, upcoming, past }, "Session statistics");
    })
    .get("/upcoming", async ({ query, request }) => {
      const limit = Math.min(Math.max(Number.parseInt(query.limit ?? "5", 10) || 5, 1), 100);
      const docs = await sessionsOf(db)
        .find({ isOpen: true, startTime: { $gt: new Date() } })
        .sort({ startTime: 1 })
        .limit(limit)
        .toArray();
      return ok(request, await withCounts(docs), "Upcoming sessions");
    })
    .get("/:id", async ({ params, request }) => {
      const session = await svc.requireSession(parseId(params.id));
      return ok(request, sessionJson(session, await svc.count(session._id)), "Session retrieved");
    })
    .post(
      "/",
      async ({ body, request, set }) => {
        const doc = await create(body);
        set.status = 201;
        return ok(request, sessionJson(doc, 0), "Session created");
      },
      { body: CreateSession },
    )
    .post(
      "/bulk",
      async ({ body, request, set }) => {
        const created: { _id: ObjectId; name: string }[] = [];
        const errors: { index: number; name: string; error: string }[] = [];
        for (const [index, item] of body.sessions.entries()) {
          try {
            const doc = await create(item);
            created.push({ _id: doc._id, name: doc.name });
          } catch (error) {
            const detail =
              error instanceof AppError
                ? (error.errors?.[0]?.message ?? error.message)
                : "could not be saved";
            errors.push({ index, name: item.name, error: detail });
          }
        }
        set.status = 201;
        return ok(
          request,
          { success: created.length, failed: errors.length, created, errors },
          "Sessions created",
        );
      },
      {
        body: t.Object(
          { sessions: t.Array(CreateSession, { minItems: 1, maxItems: 500 }) },
          { additionalProperties: false },
        ),
      },
    )
    .patch(
      "/:id",
      async ({ params, body, request }) => {
        const updated = await applyPatch(parseId(params.id), body);
        return ok(request, sessionJson(updated, await svc.count(updated._id)), "Session updated");
      },
      { body: PatchSession },
    )
    .patch(
      "/:id/toggle-open",
      async ({ params, query, request }) => {
        const updated = await applyPatch(parseId(params.id), { isOpen: query.isOpen });
        return ok(request, sessionJson(updated, await svc.count(updated._id)), "Session updated");
      },
      { query: t.Object({ isOpen: t.BooleanString() }) },
    )
    .delete("/:id", async ({ params, request }) => {
      const removed = await remove(parseId(params.id));
      return ok(request, removed, "Session deleted with its registrations and check-ins");
    })
    .get("/:id/participants", async ({ params, request }) => {
      const session = await svc.requireSession(parseId(params.id));
      const regs = await registrationsOf(db).find({ sessionId: session._id }).toArray();
      const people = await participantsOf(db)
        .find({ _id: { $in: regs.map((r) => r.participantId) } })
        .toArray();
      return ok(
        request,
        people.map((p) => participantFor(request, p)),
        "Session participants",
      );
    })
    .get("/:id/checkins", async ({ params, request }) => {
      const session = await svc.requireSession(parseId(params.id));
      const docs = await checkinsOf(db).find({ sessionId: session._id }).sort({ checkInTime: -1 }).toArray();
      const people = new Map(
        (
          await participantsOf(db)
            .find({ _id: { $in: docs.map((d) => d.participantId) } })
            .toArray()
        ).map((p) => [String(p._id), p]),
      );
      return ok(
        request,
        docs.map((d) => {
          const person = people.get(String(d.participantId));
          return { ...d, participantId: person ? participantFor(request, person) : null };
        }),
        "Session check-ins",
      );
    });
}
