import { Elysia, t } from "elysia";
import type { Filter } from "mongodb";
import { assertMaySession, signedIn } from "../auth/plugin";
import { attemptJson } from "../door/present";
import type { CheckinService } from "../door/service";
import { ok, pageMeta, parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import { IdSchema, pageQuery, pagination, sortFor } from "../http/query";
import { phrase } from "../i18n/locale";
import type { Runtime } from "../runtime";
import { findPage } from "../web/paging";
import { withPopulation } from "./population";
import { type CheckInDoc, checkinsOf, type Method, type ScanLogDoc, scanlogOf, shownCheckIn } from "./repo";

const Id = IdSchema();
const strict = { additionalProperties: false } as const;

/** Routes that name a session (in the body, the path or the query): a scanner may be limited to some. */
function guardSessions({
  request,
  body,
  params,
  query,
}: {
  request: Request;
  body: unknown;
  params: unknown;
  query: unknown;
}) {
  // Destructured: Elysia reads a hook's parameter list to know what to parse for it.
  const sessionId = [body, params, query]
    .map((part) => (part as { sessionId?: unknown } | undefined)?.sessionId)
    .find((id) => id !== undefined);
  if (typeof sessionId === "string") assertMaySession(request, sessionId);
}

const guarded = (name: string) =>
  new Elysia({ name, prefix: "/api/v1" }).use(signedIn).onBeforeHandle(guardSessions);

/** The lists: check-ins and attempts, paged and filtered. */
function listRoutes(rt: Runtime) {
  const db = rt.mongo.db;
  return guarded("checkin-lists")
    .get(
      "/checkin",
      async ({ query, request }) => {
        const filter: Filter<CheckInDoc> = {};
        if (query.method) filter.method = query.method as Method;
        if (query.participantId) filter.participantId = parseId(query.participantId);
        if (query.sessionId) filter.sessionId = parseId(query.sessionId);
        if (query.checkInAfter || query.checkInBefore) {
          filter.checkInTime = {
            ...(query.checkInAfter ? { $gte: new Date(query.checkInAfter) } : {}),
            ...(query.checkInBefore ? { $lte: new Date(query.checkInBefore) } : {}),
          };
        }
        const page = pagination(query);
        const { items: docs, total } = await findPage(
          checkinsOf(db),
          filter,
          sortFor(query, ["checkInTime", "method", "isLate", "participantId", "sessionId"]),
          page,
        );
        return ok(request, await withPopulation(rt, request, docs, "brief"), "Check-ins retrieved", {
          meta: pageMeta(page, total),
        });
      },
      {
        query: t.Object(
          {
            ...pageQuery,
            method: t.Optional(t.Union([t.Literal("qr"), t.Literal("manual"), t.Literal("search")])),
            participantId: t.Optional(Id),
            sessionId: t.Optional(Id),
            checkInAfter: t.Optional(t.String({ format: "date-time" })),
            checkInBefore: t.Optional(t.String({ format: "date-time" })),
          },
          strict,
        ),
      },
    )
    .get(
      "/checkin/attempts",
      async ({ query, request }) => {
        const filter: Filter<ScanLogDoc> = { outcome: { $in: ["refuse", "declined", "decide"] } };
        if (query.sessionId) filter.sessionId = parseId(query.sessionId);
        if (query.participantId) filter.participantId = parseId(query.participantId);
        if (query.status === "declined") filter.outcome = "declined";
        if (query.status === "failed") filter.outcome = { $in: ["refuse", "decide"] };
        const page = pagination(query);
        const { items: docs, total } = await findPage(scanlogOf(db), filter, { at: -1 }, page);
        return ok(request, docs.map(attemptJson), "Check-in attempts", { meta: pageMeta(page, total) });
      },
      {
        query: t.Object(
          {
            ...pageQuery,
            sessionId: t.Optional(Id),
            participantId: t.Optional(Id),
            status: t.Optional(t.Union([t.Literal("declined"), t.Literal("failed")])),
          },
          strict,
        ),
      },
    );
}

/** One check-in (read, undo, exit), a person's state for a session, and the figures. */
function recordRoutes(rt: Runtime, svc: CheckinService) {
  const db = rt.mongo.db;
  return guarded("checkin-one")
    .get("/checkin/stats", async ({ query, request }) => {
      const filter = query.sessionId ? { sessionId: parseId(query.sessionId) } : {};
      const [total, qr, manual, search] = await Promise.all([
        checkinsOf(db).countDocuments(filter),
        checkinsOf(db).countDocuments({ ...filter, method: "qr" }),
        checkinsOf(db).countDocuments({ ...filter, method: "manual" }),
        checkinsOf(db).countDocuments({ ...filter, method: "search" }),
      ]);
      // "search" (found by name at the door) is reported apart, so total = qr + manual + search.
      return ok(request, { total, qr, manual, search }, "Check-in statistics");
    })
    .get("/checkin/recent", async ({ query, request }) => {
      const limit = Math.min(Math.max(Number.parseInt(query.limit ?? "10", 10) || 10, 1), 1000);
      const filter = query.sessionId ? { sessionId: parseId(query.sessionId) } : {};
      const docs = await checkinsOf(db).find(filter).sort({ checkInTime: -1 }).limit(limit).toArray();
      return ok(request, await withPopulation(rt, request, docs, "full"), "Recent check-ins");
    })
    .get("/checkin/attempts/stats", async ({ query, request }) => {
      const filter: Filter<ScanLogDoc> = query.sessionId ? { sessionId: parseId(query.sessionId) } : {};
      const [declined, failed] = await Promise.all([
        scanlogOf(db).countDocuments({ ...filter, outcome: "declined" }),
        scanlogOf(db).countDocuments({ ...filter, outcome: { $in: ["refuse", "decide"] } }),
      ]);
      return ok(request, { total: declined + failed, declined, failed }, "Check-in attempt statistics");
    })
    .get("/checkin/verify/:participantId/:sessionId", async ({ params, request }) => {
      const found = await checkinsOf(db).findOne({
        participantId: parseId(params.participantId),
        sessionId: parseId(params.sessionId),
      });
      // Checked out is not checked in: the same answer verify-qr gives (isAlreadyCheckedIn).
      return ok(request, { isCheckedIn: found !== null && !found.checkedOutAt }, "Check-in status");
    })
    .get("/checkin/:id", async ({ params, request }) => {
      const doc = await checkinsOf(db).findOne({ _id: parseId(params.id) });
      if (!doc) throw notFound(phrase("CheckIn with ID {id} not found", { id: String(params.id) }));
      const [populated] = await withPopulation(rt, request, [doc], "full");
      return ok(request, populated, "Check-in retrieved");
    })
    .delete("/checkin/:id", async ({ params, request, principal }) => {
      const id = parseId(params.id);
      if (principal?.role === "admin") {
        const removed = await svc.undo(id, principal.name);
        return ok(request, shownCheckIn(removed), "Check-in removed");
      }
      // The mobile scanner's undo: the door's rule (their own scan, within the undo window).
      const found = await checkinsOf(rt.mongo.db).findOne({ _id: id }, { projection: { sessionId: 1 } });
      if (!found || !principal)
        throw notFound(phrase("CheckIn with ID {id} not found", { id: String(params.id) }));
      assertMaySession(request, String(found.sessionId));
      const { checkIn } = await svc.undoAtDoor({
        sessionId: found.sessionId,
        checkInId: id,
        principal,
        windowMs: rt.config.undoWindowSeconds * 1000,
      });
      return ok(request, shownCheckIn(checkIn), "Check-in removed");
    })
    .post("/checkin/:id/checkout", async ({ params, request, principal }) => {
      const id = parseId(params.id);
      const found = await checkinsOf(rt.mongo.db).findOne({ _id: id }, { projection: { sessionId: 1 } });
      if (found) assertMaySession(request, String(found.sessionId));
      const updated = await svc.checkout(id, principal?.name);
      return ok(request, shownCheckIn(updated), "Check-out recorded");
    });
}

/** The check-in API of the contract, by concern. */
export function checkinRoutes(rt: Runtime, svc: CheckinService) {
  return new Elysia({ name: "checkin-api" }).use(listRoutes(rt)).use(recordRoutes(rt, svc));
}
