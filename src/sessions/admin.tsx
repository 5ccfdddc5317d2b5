import { Elysia, t } from "elysia";
import type { Filter } from "mongodb";
import { AdminSessionsPage, NewSessionForm, SessionRow } from "../../views/admin-sessions";
import type { CheckinService } from "../checkin/service";
import { containsPattern, parseId } from "../http/envelope";
import { AppError } from "../http/errors";
import type { Runtime } from "../runtime";
import { html } from "../web/html";
import { type SessionDoc, sessionsOf } from "./repo";
import { sessionActions } from "./routes";

/** The organisers' session page: list, search, open or close by hand, create, delete. */
export function sessionAdmin(rt: Runtime, svc: CheckinService) {
  const db = rt.mongo.db;
  const actions = sessionActions(rt, svc);
  const row = async (session: SessionDoc) =>
    html(SessionRow({ session, count: await svc.count(session._id) }) as string);

  return new Elysia({ name: "sessions-admin" })
    .get(
      "/admin/sessions",
      async ({ query }) => {
        const search = query.search?.trim() ?? "";
        const filter: Filter<SessionDoc> = search
          ? { $or: [{ name: containsPattern(search) }, { location: containsPattern(search) }] }
          : {};
        const sessions = await sessionsOf(db).find(filter).sort({ startTime: 1 }).limit(500).toArray();
        const rows = await Promise.all(
          sessions.map(async (session) => ({ session, count: await svc.count(session._id) })),
        );
        return html(<AdminSessionsPage rows={rows} search={search} />);
      },
      { query: t.Object({ search: t.Optional(t.String({ maxLength: 200 })) }) },
    )
    .post(
      "/admin/sessions",
      async ({ body }) => {
        const values = { ...body, capacity: String(body.capacity ?? 0) };
        try {
          await actions.create({
            name: body.name,
            ...(body.location ? { location: body.location } : {}),
            startTime: new Date(`${body.startTime}Z`).toISOString(),
            endTime: new Date(`${body.endTime}Z`).toISOString(),
            capacity: body.capacity ?? 0,
          });
        } catch (error) {
          if (error instanceof AppError || error instanceof RangeError) {
            const errors =
              error instanceof AppError
                ? (error.errors ?? [{ field: "name", message: error.message }])
                : [{ field: "startTime", message: "startTime is not a date" }];
            return html(<NewSessionForm errors={errors} values={values} />, 422);
          }
          throw error;
        }
        return new Response(null, { status: 200, headers: { "HX-Redirect": "/admin/sessions" } });
      },
      {
        body: t.Object(
          {
            name: t.String({ minLength: 1, maxLength: 200 }),
            location: t.Optional(t.String({ maxLength: 200 })),
            startTime: t.String({ minLength: 16, maxLength: 25 }),
            endTime: t.String({ minLength: 16, maxLength: 25 }),
            capacity: t.Optional(t.Numeric({ minimum: 0, maximum: 1_000_000 })),
          },
          { additionalProperties: false },
        ),
      },
    )
    .post("/admin/sessions/:id/open", async ({ params }) =>
      row(await actions.applyPatch(parseId(params.id), { isOpen: true })),
    )
    .post("/admin/sessions/:id/close", async ({ params }) =>
      row(await actions.applyPatch(parseId(params.id), { isOpen: false })),
    )
    .delete("/admin/sessions/:id", async ({ params }) => {
      await actions.remove(parseId(params.id));
      return html("");
    });
}
