import { Elysia, t } from "elysia";
import { signedIn } from "../auth/plugin";
import { parseId } from "../http/envelope";
import { AppError, badRequest, fieldError, notFound } from "../http/errors";
import { IdSchema } from "../http/query";
import { type Phrase, phrase } from "../i18n/locale";
import { participantsOf } from "../participants/repo";
import type { Runtime } from "../runtime";
import { fromWallClock } from "../time/zone";
import { html } from "../web/html";
import { attendanceOf, correct, historyIn } from "./history";
import { ATTENDANCE_PAGE } from "./paths";
import { AttendanceBody, AttendancePage, type SessionHistory } from "./views-admin";

// The admin's page for one person's attendance: minutes and credits per session, the full
// history behind them, and corrections (an entry or exit added, one event voided), each
// appended and audited; the figures on the page are computed again from it.

const CorrectionForm = t.Object(
  {
    sessionId: IdSchema("session ID"),
    kind: t.Union([t.Literal("entry"), t.Literal("exit"), t.Literal("void")]),
    at: t.Optional(t.String({ maxLength: 25 })),
    eventId: t.Optional(IdSchema("event ID")),
    note: t.Optional(t.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export function attendancePage(rt: Runtime) {
  const db = rt.mongo.db;
  /** The whole page, or (after a correction) the part it re-renders. */
  const render = async (request: Request, id: string, part: "page" | "body", error?: Phrase) => {
    const participantId = parseId(id);
    const person = await participantsOf(db).findOne({ _id: participantId }, { projection: { name: 1 } });
    if (!person) throw notFound(phrase("Participant with ID {id} not found", { id }));
    const { sessions, totalCredits } = await attendanceOf(db, participantId, new Date(), true);
    const histories: SessionHistory[] = await Promise.all(
      sessions.map(async (s) => ({ ...s, events: await historyIn(db, participantId, parseId(s.sessionId)) })),
    );
    const props = { id, name: person.name, sessions: histories, totalCredits, error };
    return html(
      request,
      () => (part === "page" ? <AttendancePage {...props} /> : <AttendanceBody {...props} />),
      error ? 422 : 200,
    );
  };
  return new Elysia({ name: "attendance-page" })
    .use(signedIn)
    .get(ATTENDANCE_PAGE.pattern, ({ params, request }) => render(request, params.id, "page"))
    .post(
      ATTENDANCE_PAGE.pattern,
      async ({ params, body, request, principal }) => {
        try {
          const at = body.kind === "void" ? undefined : fromWallClock(body.at ?? "");
          if (body.kind !== "void" && !at)
            throw badRequest("Validation failed", [fieldError("at", "Say when the entry or exit happened")]);
          await correct(
            db,
            parseId(params.id),
            {
              sessionId: parseId(body.sessionId),
              kind: body.kind,
              ...(at ? { at } : {}),
              ...(body.eventId ? { eventId: parseId(body.eventId) } : {}),
              ...(body.note?.trim() ? { note: body.note.trim() } : {}),
            },
            {
              instance: rt.config.instanceId,
              ...(principal ? { by: principal.name, byId: `${principal.kind}:${principal.id}` } : {}),
            },
          );
        } catch (error) {
          if (!(error instanceof AppError) || error.status !== 400) throw error;
          return render(request, params.id, "body", error.errors?.[0]?.message ?? error.phrase);
        }
        return render(request, params.id, "body");
      },
      { body: CorrectionForm },
    );
}
