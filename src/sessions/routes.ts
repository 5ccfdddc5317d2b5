import { Elysia, t } from "elysia";
import type { Filter, ObjectId } from "mongodb";
import { participantFor } from "../auth/plugin";
import { checkinsOf, shownCheckIn } from "../checkin/repo";
import { sessionJson } from "../door/present";
import type { Features } from "../features";
import { containsPattern, ok, pageMeta, parseId } from "../http/envelope";
import { AppError } from "../http/errors";
import { pageQuery, pagination, sortFor } from "../http/query";
import { say } from "../i18n/locale";
import { participantsOf } from "../participants/repo";
import { registrationsOf } from "../registrations/repo";
import type { Runtime } from "../runtime";
import { withPeopleAndSessions } from "../web/join";
import { findPage } from "../web/paging";
import { localeOf } from "../web/reader";
import { type SessionDoc, sessionsOf } from "./repo";
import { CreateSession, PatchSession, sessionActions } from "./service";

/** Reading sessions: the list, figures, upcoming ones, one session, its people and check-ins. */
function sessionReads(rt: Runtime, { door: svc, sessions: cache }: Features) {
  const db = rt.mongo.db;
  const withCounts = (sessions: SessionDoc[]) =>
    Promise.all(sessions.map(async (s) => sessionJson(s, await svc.count(s._id))));

  return new Elysia({ name: "sessions-api-1", prefix: "/api/v1/sessions" })
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
        const { items: docs, total } = await findPage(
          sessionsOf(db),
          filter,
          sortFor(query, ["startTime", "endTime", "name", "day"]),
          page,
        );
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
      const session = await cache.require(parseId(params.id));
      return ok(request, sessionJson(session, await svc.count(session._id)), "Session retrieved");
    })
    .get("/:id/participants", async ({ params, request }) => {
      const session = await cache.require(parseId(params.id));
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
      const session = await cache.require(parseId(params.id));
      const docs = await checkinsOf(db).find({ sessionId: session._id }).sort({ checkInTime: -1 }).toArray();
      return ok(
        request,
        (await withPeopleAndSessions(db, docs)).map(({ doc, participant }) => ({
          ...shownCheckIn(doc),
          participantId: participant ? participantFor(request, participant) : null,
        })),
        "Session check-ins",
      );
    });
}

/** Changing sessions: create, edit, open or close, delete. */
function sessionChanges(rt: Runtime, features: Features) {
  const svc = features.door;
  const { applyPatch, create, remove } = sessionActions(rt, features);

  return new Elysia({ name: "sessions-api-2", prefix: "/api/v1/sessions" })
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
                ? say(localeOf(request), error.errors?.[0]?.message ?? error.phrase)
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
    });
}

export function sessionRoutes(rt: Runtime, features: Features) {
  return new Elysia({ name: "sessions-api" })
    .use(sessionReads(rt, features))
    .use(sessionChanges(rt, features));
}
