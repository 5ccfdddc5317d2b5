import { Elysia, t } from "elysia";
import { ObjectId } from "mongodb";
import { assertMaySession, principalOf } from "../auth/plugin";
import type { Method } from "../checkin/repo";
import { parseId } from "../http/envelope";
import { AppError, badRequest } from "../http/errors";
import { IdSchema } from "../http/query";
import { registrationsOf } from "../registrations/repo";
import type { Runtime } from "../runtime";
import { sessionsInOrder } from "../sessions/repo";
import { html } from "../web/html";
import { handoverRoutes } from "./handover-routes";
import { DOOR } from "./paths";
import { reasonText } from "./reasons";
import type { CheckinService } from "./service";
import { type Found, ScannerPage, SearchResults, SessionPicker } from "./views/page";
import { Declined, ExitVerdict, Undone, Verdict, WalkInBadge } from "./views/verdicts";
import { walkIns } from "./walkin";

const Id = IdSchema();
const Device = t.Optional(t.String({ maxLength: 120 }));
/** Matches looked at before the session's registrants are put first. */
const SEARCH_POOL = 200;
const SEARCH_SHOWN = 10;

/** The person working the door, as the request proves it. */
function staffOf(request: Request) {
  const principal = principalOf(request);
  if (!principal) throw new AppError(401, "Sign in, or send an API token as Authorization: Bearer <token>");
  return principal;
}

/** Every door route names its session: a scanner may be assigned to others. */
function guardSession({ request, params }: { request: Request; params: unknown }) {
  const sessionId = (params as { sessionId?: string } | undefined)?.sessionId;
  if (sessionId) assertMaySession(request, sessionId);
}

/** The pages: pick a session, the door page, its snapshot for offline work, the search. */
function doorPages(rt: Runtime, svc: CheckinService) {
  const db = rt.mongo.db;
  const undoSeconds = rt.config.undoWindowSeconds;
  return new Elysia({ name: "door-pages" })
    .onBeforeHandle(guardSession)
    .get(DOOR.picker.pattern, async ({ request }) => {
      const assigned = principalOf(request)?.sessions;
      const sessions = await sessionsInOrder(
        db,
        assigned?.map((id) => new ObjectId(id)),
      );
      const summaries = await Promise.all(
        sessions.map(async (session) => ({ session, count: await svc.count(session._id) })),
      );
      return html(request, () => <SessionPicker sessions={summaries} />);
    })
    .get(
      DOOR.page.pattern,
      async ({ params, request }) => {
        const session = await svc.requireSession(parseId(params.sessionId));
        const staff = staffOf(request);
        const door = { staff: staff.name, account: `${staff.kind}:${staff.id}`, undoSeconds };
        const count = await svc.count(session._id);
        return html(request, () => <ScannerPage session={session} count={count} door={door} />);
      },
      { params: t.Object({ sessionId: Id }) },
    )
    .get(
      DOOR.snapshot.pattern,
      async ({ params, set }) => {
        set.headers["cache-control"] = "no-store";
        return svc.doorSnapshot(parseId(params.sessionId));
      },
      { params: t.Object({ sessionId: Id }) },
    )
    .get(
      DOOR.search.pattern,
      async ({ params, query, request }) => {
        const q = (query.q ?? "").trim();
        const sessionId = parseId(params.sessionId);
        const matches = svc.searchPeople(q, SEARCH_POOL);
        const regs = await registrationsOf(db)
          .find(
            { sessionId, participantId: { $in: matches.map((p) => p._id) } },
            { projection: { participantId: 1, status: 1, _id: 0 } },
          )
          .toArray();
        const status = new Map(regs.map((r) => [String(r.participantId), r.status]));
        const rank = (f: Found) => (f.registration === "confirmed" ? 0 : f.registration ? 1 : 2);
        const people = matches
          .map((person) => ({ person, registration: status.get(String(person._id)) ?? null }))
          .sort((a, b) => rank(a) - rank(b) || a.person.name.localeCompare(b.person.name))
          .slice(0, SEARCH_SHOWN);
        return html(request, () => <SearchResults sessionId={params.sessionId} people={people} query={q} />);
      },
      {
        params: t.Object({ sessionId: Id }),
        query: t.Object({ q: t.Optional(t.String({ maxLength: 100 })) }),
      },
    );
}

/** Scans at the door: entries and exits, and walk-ins registered on the spot. */
function doorScans(rt: Runtime, svc: CheckinService) {
  const undoSeconds = rt.config.undoWindowSeconds;
  const walkIn = walkIns(rt, svc);
  return new Elysia({ name: "door-scans" })
    .onBeforeHandle(guardSession)
    .post(
      DOOR.page.pattern,
      async ({ params, body, headers, request }) => {
        const code = body.code?.trim() ?? "";
        if (!code && !body.participantId)
          throw badRequest("Scan a badge, or choose a person from the search");
        const staff = staffOf(request);
        const sessionId = parseId(params.sessionId);
        const participant = body.participantId
          ? { participantId: parseId(body.participantId) }
          : { qrCode: code };
        const device = body.device || headers["user-agent"]?.slice(0, 120);
        if (body.direction === "exit") {
          const left = await svc.exit({
            sessionId,
            participant,
            by: staff.name,
            byId: `${staff.kind}:${staff.id}`,
            device,
            nonce: body.nonce ?? headers["idempotency-key"],
          });
          return html(request, () => (
            <ExitVerdict outcome={left.outcome} participant={left.participant} code={code} />
          ));
        }
        const result = await svc.scan({
          sessionId,
          participant,
          method: (body.method ?? "qr") as Method,
          acceptUnregistered: body.acceptUnregistered === "1",
          by: staff.name,
          byId: `${staff.kind}:${staff.id}`,
          device,
          nonce: body.nonce ?? headers["idempotency-key"],
        });
        return html(request, () => (
          <Verdict
            result={result}
            message={reasonText(result.verdict, result.session)}
            code={code}
            undoSeconds={undoSeconds}
          />
        ));
      },
      {
        params: t.Object({ sessionId: Id }),
        body: t.Object(
          {
            code: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
            participantId: t.Optional(Id),
            nonce: t.Optional(t.String({ minLength: 8, maxLength: 128 })),
            acceptUnregistered: t.Optional(t.Literal("1")),
            method: t.Optional(t.Union([t.Literal("qr"), t.Literal("search")])),
            direction: t.Optional(t.Union([t.Literal("entry"), t.Literal("exit")])),
            device: Device,
          },
          { additionalProperties: false },
        ),
      },
    )
    .post(
      DOOR.walkIn.pattern,
      async ({ params, body, request }) => {
        const staff = staffOf(request);
        const { result, qrSvg } = await walkIn.register({
          sessionId: parseId(params.sessionId),
          name: body.name.trim(),
          email: body.email,
          organization: body.organization?.trim() || undefined,
          nonce: body.nonce,
          by: staff.name,
          byId: `${staff.kind}:${staff.id}`,
          device: body.device,
        });
        return html(request, () => (
          <>
            <Verdict
              result={result}
              message={reasonText(result.verdict, result.session)}
              code=""
              undoSeconds={undoSeconds}
            />
            <WalkInBadge qrSvg={qrSvg} />
          </>
        ));
      },
      {
        params: t.Object({ sessionId: Id }),
        body: t.Object(
          {
            name: t.String({ minLength: 1, maxLength: 200 }),
            email: t.String({ format: "email", maxLength: 254 }),
            organization: t.Optional(t.String({ maxLength: 200 })),
            nonce: t.String({ minLength: 8, maxLength: 128 }),
            device: Device,
          },
          { additionalProperties: false },
        ),
      },
    );
}

/** Staff decisions after a verdict: undo within the window, decline with a reason. */
function doorDecisions(rt: Runtime, svc: CheckinService) {
  const undoSeconds = rt.config.undoWindowSeconds;
  return new Elysia({ name: "door-decisions" })
    .onBeforeHandle(guardSession)
    .post(
      DOOR.undo.pattern,
      async ({ params, body, request }) => {
        const staff = staffOf(request);
        const { checkIn, undid } = await svc.undoAtDoor({
          sessionId: parseId(params.sessionId),
          checkInId: parseId(body.checkInId),
          principal: staff,
          windowMs: undoSeconds * 1000,
          device: body.device,
        });
        const participant = await svc.getParticipant({ participantId: checkIn.participantId });
        return html(request, () => <Undone participant={participant} undid={undid} />);
      },
      {
        params: t.Object({ sessionId: Id }),
        body: t.Object(
          { checkInId: Id, device: Device, nonce: t.Optional(t.String({ maxLength: 128 })) },
          {
            additionalProperties: false,
          },
        ),
      },
    )
    .post(
      DOOR.decline.pattern,
      async ({ params, body, request }) => {
        const reason = body.reason?.trim() || "Declined at the door";
        const staff = staffOf(request);
        const { participant } = await svc.decline({
          sessionId: parseId(params.sessionId),
          participantId: parseId(body.participantId),
          reason,
          by: staff.name,
          byId: `${staff.kind}:${staff.id}`,
          device: body.device,
        });
        return html(request, () => <Declined participant={participant} reason={reason} />);
      },
      {
        params: t.Object({ sessionId: Id }),
        body: t.Object(
          {
            participantId: Id,
            reason: t.Optional(t.String({ maxLength: 500 })),
            nonce: t.Optional(t.String({ maxLength: 128 })),
            device: Device,
          },
          { additionalProperties: false },
        ),
      },
    );
}

/** The door page: pick a session, scan entries and exits, see the verdict, decide or undo. */
export function scannerRoutes(rt: Runtime, svc: CheckinService) {
  return new Elysia({ name: "scanner-pages" })
    .use(handoverRoutes(rt, svc))
    .use(doorPages(rt, svc))
    .use(doorScans(rt, svc))
    .use(doorDecisions(rt, svc));
}
