import { Elysia, t } from "elysia";
import type { Filter } from "mongodb";
import { assertMaySession, participantFor, principalOf } from "../auth/plugin";
import { admittedResponse, checkInById, nonceOf, signedBy, withPopulation } from "../door/answers";
import { offlineScan } from "../door/offline";
import { attemptJson, capacityInfo, exitJson, scanJson, verification } from "../door/present";
import { EXIT_TEXT, REASONS, reasonText } from "../door/reasons";
import type { CheckinService } from "../door/service";
import { ok, pageMeta, parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import { IdSchema, pageQuery, pagination, sortFor } from "../http/query";
import { phrase } from "../i18n/locale";
import type { Runtime } from "../runtime";
import { findPage } from "../web/paging";
import { type CheckInDoc, checkinsOf, type Method, type ScanLogDoc, scanlogOf, shownCheckIn } from "./repo";

const Id = IdSchema();
const Name = t.String({ maxLength: 200 });
const Note = t.String({ maxLength: 500 });
const Code = t.String({ minLength: 1, maxLength: 64 });
const Nonce = t.String({ minLength: 8, maxLength: 128 });
const strict = { additionalProperties: false } as const;
const byIdFields = {
  participantId: Id,
  sessionId: Id,
  checkedInBy: t.Optional(Name),
  acceptedBy: t.Optional(Name),
  notes: t.Optional(Note),
  nonce: t.Optional(Nonce),
};

/** Door routes name their session (in the body, the path or the query): a scanner may be limited to some. */
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

const guarded = (name: string) => new Elysia({ name, prefix: "/api/v1" }).onBeforeHandle(guardSessions);

/** Check-ins by badge or by participant id: verify, accept anyway, check in. */
function admitRoutes(svc: CheckinService) {
  return guarded("checkin-admit")
    .post(
      "/checkin/verify-qr",
      async ({ body, request }) => {
        const result = await svc.preview({
          sessionId: parseId(body.sessionId),
          participant: { qrCode: body.qrCode },
          method: "qr",
          acceptUnregistered: false,
        });
        if (!result.participant) throw notFound("Participant with this QR code not found");
        const data = verification(result);
        return ok(
          request,
          { ...data, participant: data.participant && participantFor(request, data.participant) },
          "QR code verified",
        );
      },
      { body: t.Object({ qrCode: Code, sessionId: Id }, strict) },
    )
    .post(
      "/checkin/accept",
      ({ body, request, headers, set }) =>
        checkInById(svc, body, "qr", headers, request, set, "Participant accepted and checked in"),
      { body: t.Object(byIdFields, strict) },
    )
    .post(
      "/checkin/qr",
      async ({ body, request, headers, set }) => {
        const result = await svc.scan({
          sessionId: parseId(body.sessionId),
          participant: { qrCode: body.qrCode },
          method: "qr",
          acceptUnregistered: true,
          ...signedBy(request, body.checkedInBy ?? body.acceptedBy),
          device: body.device,
          nonce: nonceOf(body, headers),
        });
        const response = admittedResponse(request, result, "Check-in successful");
        set.status = 201;
        return response;
      },
      {
        body: t.Object(
          {
            qrCode: Code,
            sessionId: Id,
            checkedInBy: t.Optional(Name),
            acceptedBy: t.Optional(Name),
            device: t.Optional(Name),
            nonce: t.Optional(Nonce),
          },
          strict,
        ),
      },
    )
    .post(
      "/checkin",
      ({ body, request, headers, set }) =>
        checkInById(
          svc,
          body,
          (body.method ?? "manual") as Method,
          headers,
          request,
          set,
          "Check-in successful",
        ),
      {
        body: t.Object(
          {
            ...byIdFields,
            method: t.Optional(t.Union([t.Literal("qr"), t.Literal("manual"), t.Literal("search")])),
          },
          strict,
        ),
      },
    );
}

/** What a door decides: the one-call scan (entries and exits) and a decline. */
function doorRoutes(svc: CheckinService) {
  return guarded("checkin-door")
    .post(
      "/checkin/decline",
      async ({ body, request }) => {
        const { entry, session, participant } = await svc.decline({
          sessionId: parseId(body.sessionId),
          participantId: parseId(body.participantId),
          ...signedBy(request, body.declinedBy),
          reason: body.reason,
        });
        return ok(request, attemptJson(entry), "Check-in declined", {
          participant: participantFor(request, {
            _id: participant._id,
            name: participant.name,
            email: participant.email,
          }),
          session: { _id: session._id, name: session.name },
        });
      },
      {
        body: t.Object(
          { participantId: Id, sessionId: Id, declinedBy: t.Optional(Name), reason: t.Optional(Note) },
          strict,
        ),
      },
    )
    .post(
      "/scan",
      async ({ body, request, headers }) => {
        const staff = signedBy(request, body.by);
        const offline = offlineScan(body);
        if (body.direction === "exit") {
          const left = await svc.exit({
            sessionId: parseId(body.sessionId),
            participant: { qrCode: body.qrCode },
            ...staff,
            device: body.device,
            nonce: nonceOf(body, headers),
            scannedAt: offline?.scannedAt,
          });
          return ok(request, exitJson(request, left), EXIT_TEXT[left.outcome]);
        }
        const result = await svc.scan({
          sessionId: parseId(body.sessionId),
          participant: { qrCode: body.qrCode },
          method: "qr",
          acceptUnregistered: body.acceptUnregistered ?? false,
          ...staff,
          device: body.device,
          nonce: nonceOf(body, headers),
          offline,
        });
        return ok(request, scanJson(request, result), reasonText(result.verdict, result.session), {
          capacityInfo: capacityInfo(result.session, result.count),
        });
      },
      {
        body: t.Object(
          {
            qrCode: Code,
            sessionId: Id,
            acceptUnregistered: t.Optional(t.Boolean()),
            by: t.Optional(Name),
            device: t.Optional(Name),
            nonce: t.Optional(Nonce),
            direction: t.Optional(t.Union([t.Literal("entry"), t.Literal("exit")])),
            scannedAt: t.Optional(t.String({ format: "date-time" })),
            provisional: t.Optional(t.Union([...Object.keys(REASONS), "unknown"].map((r) => t.Literal(r)))),
          },
          strict,
        ),
      },
    );
}

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
      return ok(request, { isCheckedIn: found !== null }, "Check-in status");
    })
    .get("/checkin/:id", async ({ params, request }) => {
      const doc = await checkinsOf(db).findOne({ _id: parseId(params.id) });
      if (!doc) throw notFound(phrase("CheckIn with ID {id} not found", { id: String(params.id) }));
      const [populated] = await withPopulation(rt, request, [doc], "full");
      return ok(request, populated, "Check-in retrieved");
    })
    .delete("/checkin/:id", async ({ params, request }) => {
      const removed = await svc.undo(parseId(params.id), principalOf(request)?.name);
      return ok(request, shownCheckIn(removed), "Check-in removed");
    })
    .post("/checkin/:id/checkout", async ({ params, request }) => {
      const id = parseId(params.id);
      const found = await checkinsOf(rt.mongo.db).findOne({ _id: id }, { projection: { sessionId: 1 } });
      if (found) assertMaySession(request, String(found.sessionId));
      const updated = await svc.checkout(id, principalOf(request)?.name);
      return ok(request, shownCheckIn(updated), "Check-out recorded");
    });
}

/** The check-in API of the contract, by concern. */
export function checkinRoutes(rt: Runtime, svc: CheckinService) {
  return new Elysia({ name: "checkin-api" })
    .use(admitRoutes(svc))
    .use(doorRoutes(svc))
    .use(listRoutes(rt))
    .use(recordRoutes(rt, svc));
}
