import { Elysia, t } from "elysia";
import { ObjectId } from "mongodb";
import { Declined, ScannerPage, SearchResults, SessionPicker, Verdict } from "../../views/scanner";
import { assertMaySession, principalOf } from "../auth/plugin";
import { reasonText } from "../checkin/decide";
import type { Method } from "../checkin/repo";
import type { CheckinService } from "../checkin/service";
import { containsPattern, parseId } from "../http/envelope";
import { badRequest } from "../http/errors";
import { IdSchema } from "../http/query";
import { participantsOf } from "../participants/repo";
import type { Runtime } from "../runtime";
import { sessionsInOrder } from "../sessions/repo";
import { html } from "../web/html";

const Id = IdSchema();

/** The door page: pick a session, scan, see the verdict, decide when asked. */
export function scannerRoutes(rt: Runtime, svc: CheckinService) {
  const db = rt.mongo.db;
  return new Elysia({ name: "scanner-pages" })
    .onBeforeHandle(({ request, params }) => {
      const sessionId = (params as { sessionId?: string } | undefined)?.sessionId;
      if (sessionId) assertMaySession(request, sessionId);
    })
    .get("/", ({ redirect }) => redirect("/scan", 302))
    .get("/scan", async ({ request }) => {
      const assigned = principalOf(request)?.sessions;
      const sessions = await sessionsInOrder(
        db,
        assigned?.map((id) => new ObjectId(id)),
      );
      const summaries = await Promise.all(
        sessions.map(async (session) => ({ session, count: await svc.count(session._id) })),
      );
      return html(<SessionPicker sessions={summaries} />);
    })
    .get(
      "/scan/:sessionId",
      async ({ params }) => {
        const session = await svc.requireSession(parseId(params.sessionId));
        return html(<ScannerPage session={session} count={await svc.count(session._id)} />);
      },
      { params: t.Object({ sessionId: Id }) },
    )
    .post(
      "/scan/:sessionId",
      async ({ params, body, headers, request }) => {
        const code = body.code?.trim() ?? "";
        if (!code && !body.participantId)
          throw badRequest("Scan a badge, or choose a person from the search");
        const result = await svc.scan({
          sessionId: parseId(params.sessionId),
          participant: body.participantId ? { participantId: parseId(body.participantId) } : { qrCode: code },
          method: (body.method ?? "qr") as Method,
          acceptUnregistered: body.acceptUnregistered === "1",
          // Who scanned: the signed-in account (or token) working the door.
          by: principalOf(request)?.name,
          device: headers["user-agent"]?.slice(0, 120),
          nonce: body.nonce ?? headers["idempotency-key"],
        });
        return html(
          <Verdict result={result} message={reasonText(result.verdict, result.session)} code={code} />,
        );
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
          },
          { additionalProperties: false },
        ),
      },
    )
    .post(
      "/scan/:sessionId/decline",
      async ({ params, body, request }) => {
        const reason = body.reason?.trim() || "Declined at the door";
        const { participant } = await svc.decline({
          sessionId: parseId(params.sessionId),
          participantId: parseId(body.participantId),
          reason,
          by: principalOf(request)?.name,
        });
        return html(<Declined participant={participant} reason={reason} />);
      },
      {
        params: t.Object({ sessionId: Id }),
        body: t.Object(
          {
            participantId: Id,
            reason: t.Optional(t.String({ maxLength: 500 })),
            nonce: t.Optional(t.String({ maxLength: 128 })),
          },
          { additionalProperties: false },
        ),
      },
    )
    .get(
      "/scan/:sessionId/search",
      async ({ params, query }) => {
        const q = (query.q ?? "").trim();
        const pattern = containsPattern(q);
        const people =
          q.length < 2
            ? []
            : await participantsOf(db)
                .find({ $or: [{ name: pattern }, { email: pattern }] })
                .limit(10)
                .toArray();
        return html(<SearchResults sessionId={params.sessionId} people={people} query={q} />);
      },
      {
        params: t.Object({ sessionId: Id }),
        query: t.Object({ q: t.Optional(t.String({ maxLength: 100 })) }),
      },
    );
}
