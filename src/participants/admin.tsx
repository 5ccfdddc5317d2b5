import { Elysia, t } from "elysia";
import type { Db, Filter, ObjectId } from "mongodb";
import {
  AdminParticipantsPage,
  CheckInTable,
  formValues,
  ParticipantCheckIns,
  ParticipantForm,
  ParticipantRow,
} from "../../views/admin-participants";
import { signedIn } from "../auth/plugin";
import { checkinsOf } from "../checkin/repo";
import type { Features } from "../features";
import { containsPattern, parseId } from "../http/envelope";
import { fieldError, formErrors, notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { Runtime } from "../runtime";
import { html } from "../web/html";
import { withPeopleAndSessions } from "../web/join";
import { pageOf } from "../web/paging";
import { withQuery } from "../web/paths";
import { PARTICIPANT_PAGES } from "./paths";
import { type ParticipantDoc, participantsOf } from "./repo";
import { participantActions } from "./service";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const Form = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 200 }),
    email: t.String({ minLength: 3, maxLength: 254 }),
    organization: t.Optional(t.String({ maxLength: 200 })),
    phone: t.Optional(t.String({ maxLength: 50 })),
    doorNote: t.Optional(t.String({ maxLength: 200 })),
    isActive: t.Optional(t.Literal("on")),
  },
  { additionalProperties: false },
);
type FormBody = typeof Form.static;

const fields = (body: FormBody) => ({
  name: body.name,
  email: body.email,
  organization: body.organization ?? "",
  phone: body.phone ?? "",
  doorNote: body.doorNote?.trim() ?? "",
});

/** A person's check-ins with their sessions' names, newest first. */
async function checkInRows(db: Db, participantId: ObjectId) {
  const docs = await checkinsOf(db).find({ participantId }).sort({ checkInTime: -1 }).toArray();
  return (await withPeopleAndSessions(db, docs)).map(({ doc, session }) => ({
    doc,
    session: session?.name ?? "(deleted session)",
  }));
}

/** The form's values as typed, to show them again next to an error. */
const values = (body: FormBody) => ({ ...fields(body), isActive: body.isActive ?? "" });
const badEmail = (body: FormBody) =>
  EMAIL.test(body.email.trim()) ? [] : [fieldError("email", "This is not an email address")];

/** The organisers' participant page: search, pages, create, edit in place, delete. */
export function participantAdmin(rt: Runtime, features: Features) {
  const db = rt.mongo.db;
  const actions = participantActions(rt, features);

  return new Elysia({ name: "participants-admin" })
    .use(signedIn)
    .get(
      PARTICIPANT_PAGES.list.pattern,
      async ({ query, request }) => {
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
        const list = await pageOf(participantsOf(db), filter, { name: 1, _id: 1 }, query.page);
        return html(request, () => <AdminParticipantsPage list={list} search={search} />);
      },
      {
        query: t.Object({
          search: t.Optional(t.String({ maxLength: 200 })),
          page: t.Optional(t.Integer({ minimum: 1 })),
        }),
      },
    )
    .post(
      PARTICIPANT_PAGES.list.pattern,
      async ({ body, request }) => {
        let errors = badEmail(body);
        if (errors.length === 0) {
          errors = await actions.create(fields(body)).then(
            () => [],
            (error) => formErrors(error, "email"),
          );
        }
        if (errors.length > 0)
          return html(request, () => <ParticipantForm values={values(body)} errors={errors} />, 422);
        return new Response(null, {
          status: 200,
          headers: { "HX-Redirect": withQuery(PARTICIPANT_PAGES.list(), { search: body.email }) },
        });
      },
      { body: Form },
    )
    .get(PARTICIPANT_PAGES.edit.pattern, async ({ params, request }) => {
      const p = await participantsOf(db).findOne({ _id: parseId(params.id) });
      if (!p)
        throw notFound(
          phrase("Participant with ID {id} not found; reload the page", { id: String(params.id) }),
        );
      return html(request, () => <ParticipantForm id={params.id} values={formValues(p)} />);
    })
    .post(
      PARTICIPANT_PAGES.one.pattern,
      async ({ params, body, request }) => {
        const id = parseId(params.id);
        const errors = badEmail(body);
        if (errors.length === 0) {
          try {
            const p = await actions.update(id, { ...fields(body), isActive: body.isActive === "on" });
            return html(request, () => <ParticipantRow p={p} />);
          } catch (error) {
            errors.push(...formErrors(error, "email"));
          }
        }
        return html(
          request,
          () => <ParticipantForm id={params.id} values={values(body)} errors={errors} />,
          422,
        );
      },
      { body: Form },
    )
    .get(PARTICIPANT_PAGES.checkIns.pattern, async ({ params, request }) => {
      const participantId = parseId(params.id);
      const p = await participantsOf(db).findOne({ _id: participantId });
      if (!p)
        throw notFound(
          phrase("Participant with ID {id} not found; reload the page", { id: String(params.id) }),
        );
      const rows = await checkInRows(db, participantId);
      return html(request, () => <ParticipantCheckIns participant={p} rows={rows} />);
    })
    .post(PARTICIPANT_PAGES.undoCheckIn.pattern, async ({ params, request, principal }) => {
      const participantId = parseId(params.id);
      await features.door.undo(parseId(params.checkInId), principal?.name);
      const rows = await checkInRows(db, participantId);
      return html(request, () => <CheckInTable participantId={params.id} rows={rows} />);
    })
    .use(participantRemovals(rt, features));
}

/** A person leaves the list: erased (counts kept, nobody named) or deleted with their records. */
function participantRemovals(rt: Runtime, features: Features) {
  const actions = participantActions(rt, features);
  return new Elysia({ name: "participants-admin-removals" })
    .use(signedIn)
    .post(PARTICIPANT_PAGES.erase.pattern, async ({ params, request }) => {
      const erased = await actions.erase(parseId(params.id));
      return html(request, () => <ParticipantRow p={erased} />);
    })
    .delete(PARTICIPANT_PAGES.one.pattern, async ({ params, request }) => {
      await actions.remove(parseId(params.id));
      return html(request, () => "");
    });
}
