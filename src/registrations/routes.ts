import { Elysia, t } from "elysia";
import { type Filter, ObjectId } from "mongodb";
import { auditKnows } from "../audit/log";
import type { Features } from "../features";
import { ok, pageMeta, parseId } from "../http/envelope";
import { AppError, notFound } from "../http/errors";
import { IdSchema, pageQuery, pagination, sortFor } from "../http/query";
import { phrase } from "../i18n/locale";
import { importedWords, refuseUnreadableFile, reportJson } from "../imports/summary";
import { uploadBytes } from "../imports/upload";
import { isDuplicateKey } from "../infra/mongo";
import type { Runtime } from "../runtime";
import { startOfEventDay } from "../time/zone";
import { csvResponse } from "../web/html";
import { withPeopleAndSessions } from "../web/join";
import { findPage } from "../web/paging";
import { localeOf } from "../web/reader";
import { importRegistrationCsv } from "./assign";
import { type RegistrationDoc, registrationsOf } from "./repo";
import { REGISTRATION_TEMPLATE } from "./rows";
import { registrationActions } from "./service";
import { REGISTRATION_STATUSES } from "./statuses";

const Id = IdSchema();
export const Status = t.Union(REGISTRATION_STATUSES.map((s) => t.Literal(s)));

/** Reading registrations: the list, the overview figures, one registration. */
function registrationReads(rt: Runtime) {
  const db = rt.mongo.db;
  return new Elysia({ name: "registrations-api-1", prefix: "/api/v1/registrations" })
    .get(
      "/",
      async ({ query, request }) => {
        const filter: Filter<RegistrationDoc> = {};
        if (query.status) filter.status = query.status;
        if (query.participantId) filter.participantId = parseId(query.participantId);
        if (query.sessionId) filter.sessionId = parseId(query.sessionId);
        const page = pagination(query);
        const { items: docs, total } = await findPage(
          registrationsOf(db),
          filter,
          sortFor(query, ["status", "registrationDate", "participantId", "sessionId"]),
          page,
        );
        const data = (await withPeopleAndSessions(db, docs)).map((d) => ({
          ...d.doc,
          participantId: d.participant ?? null,
          sessionId: d.session ?? null,
        }));
        return ok(request, data, "Registrations retrieved", { meta: pageMeta(page, total) });
      },
      {
        query: t.Object(
          {
            ...pageQuery,
            status: t.Optional(Status),
            participantId: t.Optional(Id),
            sessionId: t.Optional(Id),
          },
          { additionalProperties: false },
        ),
      },
    )
    .get("/stats/overview", async ({ request }) => {
      const startOfDay = startOfEventDay(new Date());
      const [total, confirmed, pending, cancelled, todayRegistrations] = await Promise.all([
        registrationsOf(db).countDocuments({}),
        registrationsOf(db).countDocuments({ status: "confirmed" }),
        registrationsOf(db).countDocuments({ status: "pending" }),
        registrationsOf(db).countDocuments({ status: "cancelled" }),
        registrationsOf(db).countDocuments({ registrationDate: { $gte: startOfDay } }),
      ]);
      return ok(
        request,
        { total, confirmed, pending, cancelled, todayRegistrations },
        "Registration statistics",
      );
    })
    .get("/:id", async ({ params, request }) => {
      const found = await registrationsOf(db).findOne({ _id: parseId(params.id) });
      if (!found) throw notFound(phrase("Registration with ID {id} not found", { id: String(params.id) }));
      return ok(request, found, "Registration retrieved");
    });
}

/** Changing registrations: the CSV template and import, register, change a status, remove. */
function registrationChanges(rt: Runtime, features: Features) {
  const { sessions } = features;
  const db = rt.mongo.db;
  const actions = registrationActions(rt, features);
  return new Elysia({ name: "registrations-api-2", prefix: "/api/v1/registrations" })
    .get("/import/template", () => csvResponse(REGISTRATION_TEMPLATE, "registrations-template.csv"))
    .post(
      "/import",
      async ({ body, request }) => {
        const fixed = body.sessionId ? parseId(body.sessionId) : undefined;
        if (fixed) await sessions.require(fixed);
        const bytes = await uploadBytes(body.file, rt.config.uploadMaxFileSize);
        const report = await importRegistrationCsv(db, features, bytes, fixed);
        refuseUnreadableFile(report);
        return ok(request, reportJson(localeOf(request), report), importedWords(report));
      },
      { body: t.Object({ file: t.File(), sessionId: t.Optional(Id) }) },
    )
    .post(
      "/",
      async ({ body, request, set }) => {
        const participantId = parseId(body.participantId);
        const sessionId = parseId(body.sessionId);
        // From this instance's memory (MongoDB when it does not know them): no read per call.
        const [participant, session] = await Promise.all([
          features.directory.find({ participantId }),
          sessions.get(sessionId),
        ]);
        if (!participant)
          throw notFound(phrase("Participant with ID {id} not found", { id: String(participantId) }));
        if (!session) throw notFound(phrase("Session with ID {id} not found", { id: String(sessionId) }));
        const now = new Date();
        const doc: RegistrationDoc = {
          _id: new ObjectId(),
          participantId,
          sessionId,
          registrationDate: now,
          status: body.status ?? "pending",
          ...(body.notes ? { notes: body.notes } : {}),
          createdAt: now,
          updatedAt: now,
          __v: 0,
        };
        await actions.create(doc).catch((error) => {
          if (isDuplicateKey(error)) {
            throw new AppError(
              409,
              phrase('Registration with participantId "{id}" already exists for this session', {
                id: String(participantId),
              }),
            );
          }
          throw error;
        });
        set.status = 201;
        return ok(request, doc, "Registration created");
      },
      {
        body: t.Object(
          {
            participantId: Id,
            sessionId: Id,
            status: t.Optional(Status),
            notes: t.Optional(t.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
      },
    )
    .patch(
      "/:id",
      async ({ params, body, request }) => {
        const { before, after } = await actions.update(parseId(params.id), body);
        auditKnows(request, before, after);
        return ok(request, after, "Registration updated");
      },
      {
        body: t.Object(
          { status: t.Optional(Status), notes: t.Optional(t.String({ maxLength: 500 })) },
          { additionalProperties: false },
        ),
      },
    )
    .delete("/:id", async ({ params, request }) => {
      const removed = await actions.remove(parseId(params.id));
      auditKnows(request, removed, null);
      return ok(request, removed, "Registration deleted");
    });
}

export function registrationRoutes(rt: Runtime, features: Features) {
  return new Elysia({ name: "registrations-api" })
    .use(registrationReads(rt))
    .use(registrationChanges(rt, features));
}
