import { Elysia, t } from "elysia";
import type { Filter } from "mongodb";
import { AdminParticipantsPage, NewParticipantForm } from "../../views/admin-participants";
import type { CheckinService } from "../checkin/service";
import { containsPattern, parseId } from "../http/envelope";
import { AppError } from "../http/errors";
import type { Runtime } from "../runtime";
import { html } from "../web/html";
import { type ParticipantDoc, participantsOf } from "./repo";
import { participantActions } from "./routes";

const PAGE_SIZE = 25;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The organisers' participant page: search, pages, create, delete. */
export function participantAdmin(rt: Runtime, svc: CheckinService) {
  const db = rt.mongo.db;
  const actions = participantActions(rt, svc);
  return new Elysia({ name: "participants-admin" })
    .get(
      "/admin/participants",
      async ({ query }) => {
        const search = query.search?.trim() ?? "";
        const filter: Filter<ParticipantDoc> = search
          ? {
              $or: [
                { name: containsPattern(search) },
                { email: containsPattern(search) },
                { organization: containsPattern(search) },
              ],
            }
          : {};
        const total = await participantsOf(db).countDocuments(filter);
        const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
        const page = Math.min(query.page ?? 1, pages);
        const people = await participantsOf(db)
          .find(filter)
          .sort({ name: 1, _id: 1 })
          .skip((page - 1) * PAGE_SIZE)
          .limit(PAGE_SIZE)
          .toArray();
        return html(
          <AdminParticipantsPage people={people} search={search} page={page} pages={pages} total={total} />,
        );
      },
      {
        query: t.Object({
          search: t.Optional(t.String({ maxLength: 200 })),
          page: t.Optional(t.Integer({ minimum: 1 })),
        }),
      },
    )
    .post(
      "/admin/participants",
      async ({ body }) => {
        const values = { name: body.name, email: body.email, organization: body.organization ?? "" };
        if (!EMAIL.test(body.email.trim())) {
          return html(
            <NewParticipantForm
              values={values}
              errors={[{ field: "email", message: "This is not an email address" }]}
            />,
            422,
          );
        }
        try {
          await actions.create({
            name: body.name,
            email: body.email,
            ...(body.organization ? { organization: body.organization } : {}),
          });
        } catch (error) {
          if (error instanceof AppError && error.status === 409) {
            return html(
              <NewParticipantForm values={values} errors={[{ field: "email", message: error.message }]} />,
              422,
            );
          }
          throw error;
        }
        return new Response(null, {
          status: 200,
          headers: { "HX-Redirect": `/admin/participants?search=${encodeURIComponent(body.email)}` },
        });
      },
      {
        body: t.Object(
          {
            name: t.String({ minLength: 1, maxLength: 200 }),
            email: t.String({ minLength: 3, maxLength: 254 }),
            organization: t.Optional(t.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
      },
    )
    .delete("/admin/participants/:id", async ({ params }) => {
      await actions.remove(parseId(params.id));
      return html("");
    });
}
