import { Elysia, t } from "elysia";
import type { Filter, ObjectId } from "mongodb";
import {
  AdminRegistrationsPage,
  RegistrationRow,
  type RegistrationView,
} from "../../views/admin-registrations";
import { ImportReport } from "../../views/import";
import { auditKnows } from "../audit/log";
import type { Features } from "../features";
import { containsPattern, parseId } from "../http/envelope";
import { IdSchema } from "../http/query";
import { importSummary, streamedImport, uploadBytes } from "../imports/upload";
import { participantsOf } from "../participants/repo";
import type { Runtime } from "../runtime";
import { sessionsInOrder } from "../sessions/repo";
import { html } from "../web/html";
import { withPeopleAndSessions } from "../web/join";
import { dropEmpty, pageOf } from "../web/paging";
import { assign, importRegistrationCsv, loadLookups } from "./assign";
import { REGISTRATION_PAGES } from "./paths";
import { type RegistrationDoc, registrationsOf } from "./repo";
import { Status } from "./routes";
import { listRecords, resolveRegistrations } from "./rows";
import { registrationActions } from "./service";

const SessionId = IdSchema("session (choose one)");

/** The registrations page: filters and pages, a status changed in place, a removal. */
function registrationListPage(rt: Runtime, features: Features) {
  const db = rt.mongo.db;
  const actions = registrationActions(rt, features);

  const views = (registrations: RegistrationDoc[]): Promise<RegistrationView[]> =>
    withPeopleAndSessions(db, registrations);

  return new Elysia({ name: "registrations-admin-1" })
    .get(
      REGISTRATION_PAGES.list.pattern,
      async ({ query, request }) => {
        const participant = query.participant?.trim() ?? "";
        const filter: Filter<RegistrationDoc> = {};
        if (query.session) filter.sessionId = parseId(query.session);
        if (query.status) filter.status = query.status;
        if (query.participantId) filter.participantId = parseId(query.participantId);
        else if (participant) {
          const pattern = containsPattern(participant);
          const ids = await participantsOf(db)
            .find(
              { $or: [{ name: pattern }, { email: pattern }, { qrCode: pattern }] },
              { projection: { _id: 1 } },
            )
            .toArray();
          filter.participantId = { $in: ids.map((p) => p._id) };
        }
        const [{ items, ...list }, sessions] = await Promise.all([
          pageOf(registrationsOf(db), filter, { registrationDate: -1, _id: 1 }, query.page),
          sessionsInOrder(db),
        ]);
        const rows = await views(items);
        return html(request, () => (
          <AdminRegistrationsPage
            list={list}
            rows={rows}
            sessions={sessions}
            filters={{
              participant,
              participantId: query.participantId,
              session: query.session,
              status: query.status,
            }}
          />
        ));
      },
      {
        query: t.Object({
          participant: t.Optional(t.String({ maxLength: 254 })),
          participantId: t.Optional(IdSchema("participant ID")),
          session: t.Optional(SessionId),
          status: t.Optional(Status),
          page: t.Optional(t.Integer({ minimum: 1 })),
        }),
        transform: dropEmpty(["session", "status", "page", "participantId"]),
      },
    )
    .post(
      REGISTRATION_PAGES.status.pattern,
      async ({ params, body, request }) => {
        const { before, after } = await actions.update(parseId(params.id), { status: body.status });
        auditKnows(request, before, after);
        const [view] = await views([after]);
        return html(request, () => <RegistrationRow {...(view as RegistrationView)} />);
      },
      { body: t.Object({ status: Status }, { additionalProperties: false }) },
    )
    .delete(REGISTRATION_PAGES.one.pattern, async ({ params, request }) => {
      auditKnows(request, await actions.remove(parseId(params.id)), null);
      return html(request, () => "");
    });
}

/** Registering many at once on the page: by selection, or from a CSV file. */
function bulkRegistrationPage(rt: Runtime, features: Features) {
  const { sessions } = features;
  const db = rt.mongo.db;
  return new Elysia({ name: "registrations-admin-2" })
    .post(
      REGISTRATION_PAGES.assign.pattern,
      async ({ body, request }) => {
        const sessionId: ObjectId = parseId(body.session);
        await sessions.require(sessionId);
        const records = listRecords(body.people).map(({ row, record }) => ({
          row,
          record: { ...record, status: body.status },
        }));
        const resolved = resolveRegistrations(records, await loadLookups(db), sessionId);
        const written = await assign(db, features, resolved.rows);
        return html(request, () => (
          <ImportReport report={importSummary(written, resolved.errors, "utf-8", records.length)} />
        ));
      },
      {
        body: t.Object(
          { session: SessionId, status: Status, people: t.String({ minLength: 1, maxLength: 200_000 }) },
          { additionalProperties: false },
        ),
      },
    )
    .post(
      REGISTRATION_PAGES.import.pattern,
      async ({ body, request }) => {
        const fixed = body.session ? parseId(body.session) : undefined;
        if (fixed) await sessions.require(fixed);
        const bytes = await uploadBytes(body.file, rt.config.uploadMaxFileSize);
        return streamedImport(rt, request, (progress) =>
          importRegistrationCsv(db, features, bytes, fixed, progress),
        );
      },
      {
        body: t.Object({ file: t.File(), session: t.Optional(t.Union([SessionId, t.Literal("")])) }),
      },
    );
}

/** The organisers' registrations page: filters, pages, status, removal, bulk registration, CSV import. */
export function registrationAdmin(rt: Runtime, features: Features) {
  return new Elysia({ name: "registrations-admin" })
    .use(registrationListPage(rt, features))
    .use(bulkRegistrationPage(rt, features));
}
