import { Elysia, t } from "elysia";
import { ObjectId } from "mongodb";
import { crossSite } from "../auth/plugin";
import type { Features } from "../features";
import { parseId } from "../http/envelope";
import { AppError, badRequest, notFound } from "../http/errors";
import { IdSchema } from "../http/query";
import { phrase } from "../i18n/locale";
import { registrationsOf } from "../registrations/repo";
import type { Runtime } from "../runtime";
import { type SessionDoc, sessionsInOrder, sessionsOf } from "../sessions/repo";
import { html } from "../web/html";
import { withQuery } from "../web/paths";
import { doorContext } from "./context";
import { handoverRoutes } from "./handover-routes";
import { LeaseId } from "./leases";
import type { OverflowChoice } from "./overflow";
import { DOOR } from "./paths";
import { pickerGroups, sessionOfRoom } from "./picker";
import { reasonText } from "./reasons";
import type { ScanResult } from "./scan";
import type { CheckinService } from "./service";
import { CountBadge, type Found, ScannerPage, SearchResults, SessionPicker } from "./views/page";
import { Declined, ExitVerdict, Undone, Verdict, WalkInBadge } from "./views/verdicts";
import { walkIns } from "./walkin";

const Id = IdSchema();
const Device = t.Optional(t.String({ maxLength: 120 }));
/** Matches looked at before the session's registrants are put first. */
const SEARCH_POOL = 200;
const SEARCH_SHOWN = 10;

const RoomQuery = t.Object({ room: t.Optional(t.String({ maxLength: 200 })) });
const RoomParams = t.Object({ room: t.String({ minLength: 1, maxLength: 200 }) });

/** A device set to a room: sent to the session there now, and told when it changes. */
function roomRoutes(rt: Runtime) {
  const db = rt.mongo.db;
  /** The session a device set to a room works now (among the sessions its account may scan). */
  const roomSession = async (room: string, assigned: string[] | undefined) => {
    const sessions = await sessionsInOrder(
      db,
      assigned?.map((id) => new ObjectId(id)),
    );
    const session = sessionOfRoom(sessions, room, new Date());
    if (!session) throw notFound(phrase("No session open or to come in room {room}", { room }));
    return session;
  };
  return new Elysia({ name: "door-rooms" })
    .use(doorContext)
    .get(
      DOOR.room.pattern,
      async ({ params, door, redirect }) => {
        const session = await roomSession(params.room, door.staff.principal.sessions);
        return redirect(withQuery(DOOR.page({ sessionId: String(session._id) }), { room: params.room }), 303);
      },
      { params: RoomParams, door: true },
    )
    .get(
      DOOR.roomNow.pattern,
      async ({ params, door, set }) => {
        set.headers["cache-control"] = "no-store";
        const session = await roomSession(params.room, door.staff.principal.sessions);
        return { sessionId: String(session._id), name: session.name, status: session.status };
      },
      { params: RoomParams, door: true },
    );
}

/** The pages: pick a session, the door page, its snapshot for offline work, the search. */
function doorPages(rt: Runtime, features: Features) {
  const svc = features.door;
  const db = rt.mongo.db;
  const undoSeconds = rt.config.undoWindowSeconds;
  return new Elysia({ name: "door-pages" })
    .use(doorContext)
    .get(
      DOOR.picker.pattern,
      async ({ request, query, door }) => {
        const assigned = door.staff.principal.sessions;
        const sessions = await sessionsInOrder(
          db,
          assigned?.map((id) => new ObjectId(id)),
        );
        const summaries = await Promise.all(
          sessions.map(async (session) => ({ session, count: await svc.count(session._id) })),
        );
        const room = query.room || undefined;
        const groups = pickerGroups(summaries, (summary) => summary.session, new Date(), room);
        return html(request, () => <SessionPicker groups={groups} room={room} />);
      },
      { query: RoomQuery, door: true },
    )
    .get(
      DOOR.page.pattern,
      async ({ params, query, request, door }) => {
        const session = await features.sessions.require(parseId(params.sessionId));
        const page = {
          staff: door.staff.principal.name,
          account: door.staff.byId,
          undoSeconds,
          room: query.room || undefined,
        };
        const count = await svc.count(session._id);
        return html(request, () => <ScannerPage session={session} count={count} door={page} />);
      },
      { params: t.Object({ sessionId: Id }), query: RoomQuery, door: true },
    )
    .get(
      DOOR.snapshot.pattern,
      async ({ params, query, request, set }) => {
        set.headers["cache-control"] = "no-store";
        const sessionId = parseId(params.sessionId);
        // Over for good: no device keeps this session's badges any longer (410 tells it to drop
        // them). Read from MongoDB, not the cache: a device must not keep a list a minute too long.
        const now = await sessionsOf(db).findOne({ _id: sessionId }, { projection: { status: 1 } });
        if (now?.status === "ended" || now?.status === "cancelled")
          throw new AppError(410, "This session is over; door devices no longer keep its list");
        const snapshot = await svc.doorSnapshot(sessionId);
        // The device's seat lease, renewed with each snapshot it asks for with its id (leases.ts);
        // never for a link followed from another site (its cookie would hold seats back for nobody).
        const lease = query.lease && !crossSite(request) && (await svc.grantLease(sessionId, query.lease));
        return lease ? { ...snapshot, lease } : snapshot;
      },
      { params: t.Object({ sessionId: Id }), query: t.Object({ lease: t.Optional(LeaseId) }), door: true },
    )
    .delete(
      DOOR.lease.pattern,
      async ({ params, query, set }) => {
        const seats = await svc.giveBackLease(parseId(params.sessionId), query.lease);
        set.headers["cache-control"] = "no-store";
        return { seats };
      },
      { params: t.Object({ sessionId: Id }), query: t.Object({ lease: LeaseId }), door: true },
    )
    .get(
      DOOR.search.pattern,
      async ({ params, query, request }) => {
        const q = (query.q ?? "").trim();
        const sessionId = parseId(params.sessionId);
        const matches = await svc.searchPeople(q, SEARCH_POOL);
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
        door: true,
      },
    );
}

const Nonce = t.String({ minLength: 8, maxLength: 128 });
const strict = { additionalProperties: false } as const;
const SessionParams = t.Object({ sessionId: Id });

/** A scan from the door page: a badge code, or a person chosen from the search. */
const PageScan = t.Object(
  {
    code: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
    participantId: t.Optional(Id),
    nonce: t.Optional(Nonce),
    acceptUnregistered: t.Optional(t.Literal("1")),
    method: t.Optional(t.Union([t.Literal("qr"), t.Literal("search")])),
    direction: t.Optional(t.Union([t.Literal("entry"), t.Literal("exit")])),
    device: Device,
    lease: t.Optional(LeaseId),
  },
  strict,
);

const WalkInForm = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 200 }),
    email: t.String({ format: "email", maxLength: 254 }),
    organization: t.Optional(t.String({ maxLength: 200 })),
    nonce: Nonce,
    device: Device,
    lease: t.Optional(LeaseId),
  },
  strict,
);

/** Scans at the door: entries and exits, and walk-ins registered on the spot. */
function doorScans(rt: Runtime, features: Features) {
  const svc = features.door;
  const undoSeconds = rt.config.undoWindowSeconds;
  const walkIn = walkIns(rt, features);
  // The overflow is read before rendering: the page's words are chosen inside html().
  const overflowFor = (result: ScanResult) =>
    result.verdict.reason === "session_full" ? svc.overflow(result.session) : Promise.resolve([]);
  const verdict = (result: ScanResult, code: string, overflow: OverflowChoice<SessionDoc>[]) => (
    <Verdict
      result={result}
      message={reasonText(result.verdict, result.session)}
      code={code}
      undoSeconds={undoSeconds}
      overflow={overflow}
    />
  );
  return new Elysia({ name: "door-scans" })
    .use(doorContext)
    .post(
      DOOR.page.pattern,
      ({ params, body, request, door }) =>
        svc.inTime(async () => {
          const code = body.code?.trim() ?? "";
          if (!code && !body.participantId)
            throw badRequest("Scan a badge, or choose a person from the search");
          const scan = {
            sessionId: parseId(params.sessionId),
            participant: body.participantId
              ? { participantId: parseId(body.participantId) }
              : { qrCode: code },
            by: door.staff.by,
            byId: door.staff.byId,
            device: door.device,
            nonce: door.nonce,
          };
          if (body.direction === "exit") {
            const left = await svc.exit(scan);
            return html(request, () => (
              <ExitVerdict outcome={left.outcome} participant={left.participant} code={code} />
            ));
          }
          const result = await svc.scan({
            ...scan,
            method: body.method ?? "qr",
            acceptUnregistered: body.acceptUnregistered === "1",
            lease: body.lease,
          });
          const overflow = await overflowFor(result);
          return html(request, () => verdict(result, code, overflow));
        }),
      { params: SessionParams, body: PageScan, door: true },
    )
    .post(
      DOOR.walkIn.pattern,
      async ({ params, body, request, door }) => {
        const { result, qrSvg } = await walkIn.register({
          sessionId: parseId(params.sessionId),
          name: body.name.trim(),
          email: body.email,
          organization: body.organization?.trim() || undefined,
          nonce: body.nonce,
          by: door.staff.by,
          byId: door.staff.byId,
          device: body.device,
          lease: body.lease,
        });
        const overflow = await overflowFor(result);
        return html(request, () => (
          <>
            {verdict(result, "", overflow)}
            <WalkInBadge qrSvg={qrSvg} />
          </>
        ));
      },
      { params: SessionParams, body: WalkInForm, door: true },
    );
}

/** Staff decisions after a verdict: undo within the window, decline with a reason. */
function doorDecisions(rt: Runtime, svc: CheckinService) {
  const undoSeconds = rt.config.undoWindowSeconds;
  return new Elysia({ name: "door-decisions" })
    .use(doorContext)
    .post(
      DOOR.undo.pattern,
      async ({ params, body, request, door }) => {
        const { checkIn, undid } = await svc.undoAtDoor({
          sessionId: parseId(params.sessionId),
          checkInId: parseId(body.checkInId),
          principal: door.staff.principal,
          windowMs: undoSeconds * 1000,
          device: body.device,
        });
        const [participant, session, stats] = await Promise.all([
          svc.getParticipant({ participantId: checkIn.participantId }),
          sessionsOf(rt.mongo.db).findOne({ _id: checkIn.sessionId }),
          svc.liveStats(checkIn.sessionId).catch(() => null),
        ]);
        return html(request, () => (
          <>
            <Undone participant={participant} undid={undid} />
            {/* The seat is free again: the door's count says so at once. */}
            {session && stats ? <CountBadge session={session} count={stats.count} oob /> : ""}
          </>
        ));
      },
      {
        params: SessionParams,
        body: t.Object(
          { checkInId: Id, device: Device, nonce: t.Optional(t.String({ maxLength: 128 })) },
          strict,
        ),
        door: true,
      },
    )
    .post(
      DOOR.decline.pattern,
      async ({ params, body, request, door }) => {
        const reason = body.reason?.trim() || "Declined at the door";
        const { participant } = await svc.decline({
          sessionId: parseId(params.sessionId),
          participantId: parseId(body.participantId),
          reason,
          by: door.staff.by,
          byId: door.staff.byId,
          device: body.device,
        });
        return html(request, () => <Declined participant={participant} reason={reason} />);
      },
      {
        params: SessionParams,
        body: t.Object(
          {
            participantId: Id,
            reason: t.Optional(t.String({ maxLength: 500 })),
            nonce: t.Optional(t.String({ maxLength: 128 })),
            device: Device,
          },
          strict,
        ),
        door: true,
      },
    );
}

/** The door page: pick a session, scan entries and exits, see the verdict, decide or undo. */
export function scannerRoutes(rt: Runtime, features: Features) {
  const svc = features.door;
  return new Elysia({ name: "scanner-pages" })
    .use(handoverRoutes(rt, svc))
    .use(roomRoutes(rt))
    .use(doorPages(rt, features))
    .use(doorScans(rt, features))
    .use(doorDecisions(rt, svc));
}
