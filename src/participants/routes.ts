import { Elysia, t } from "elysia";
import type { Filter } from "mongodb";
import QRCode from "qrcode";
import { participantFor } from "../auth/plugin";
import { checkinsOf, shownCheckIn } from "../checkin/repo";
import type { Features } from "../features";
import { containsPattern, ok, pageMeta, parseId } from "../http/envelope";
import { AppError, notFound } from "../http/errors";
import { pageQuery, pagination, sortFor } from "../http/query";
import { phrase } from "../i18n/locale";
import { registrationsOf } from "../registrations/repo";
import type { Runtime } from "../runtime";
import { findPage } from "../web/paging";
import { CreateParticipant, PatchParticipant, participantFields, Status } from "./fields";
import { generateQrCode } from "./qr";
import { normaliseEmail, type ParticipantDoc, participantsOf } from "./repo";
import { newParticipant, participantActions } from "./service";

/** Reading participants: the list, figures, one person, a badge look-up. */

/** A participant as answers show them: never the walk-in's retry key (a nonce is the door's). */
function shown<T extends { walkInNonce?: string }>(doc: T): Omit<T, "walkInNonce"> {
  const { walkInNonce: _key, ...rest } = doc;
  return rest;
}

/** The participant list's filters, as the contract names them. */
const ListQuery = t.Object(
  {
    ...pageQuery,
    status: t.Optional(Status),
    isActive: t.Optional(t.BooleanString()),
    travelGrantApplied: t.Optional(t.BooleanString()),
    travelGrantApproved: t.Optional(t.BooleanString()),
    organization: t.Optional(t.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** The filter for a list query: its fields as asked, its search matched literally. */
function listFilter(query: typeof ListQuery.static): Filter<ParticipantDoc> {
  const filter: Filter<ParticipantDoc> = {};
  if (query.status) filter.status = query.status;
  if (query.isActive !== undefined) filter.isActive = query.isActive;
  if (query.organization) filter.organization = query.organization;
  if (query.travelGrantApplied !== undefined) filter.travelGrantApplied = query.travelGrantApplied;
  if (query.travelGrantApproved !== undefined) filter.travelGrantApproved = query.travelGrantApproved;
  if (query.search) {
    const pattern = containsPattern(query.search);
    filter.$or = [{ name: pattern }, { email: pattern }, { organization: pattern }];
  }
  return filter;
}

function participantReads(rt: Runtime, { directory }: Features) {
  const db = rt.mongo.db;
  return new Elysia({ name: "participants-api-1", prefix: "/api/v1/participants" })
    .get(
      "/",
      async ({ query, request }) => {
        const filter = listFilter(query);
        const page = pagination(query);
        const { items: docs, total } = await findPage(
          participantsOf(db),
          filter,
          sortFor(query, ["name", "email", "organization"]),
          page,
        );
        return ok(request, docs.map(shown), "Participants retrieved", { meta: pageMeta(page, total) });
      },
      { query: ListQuery },
    )
    .get("/stats", async ({ request }) => {
      const [total, active, ambassadors, travelGrant] = await Promise.all([
        participantsOf(db).countDocuments({}),
        participantsOf(db).countDocuments({ isActive: true }),
        participantsOf(db).countDocuments({ status: "ambassador" }),
        participantsOf(db).countDocuments({ travelGrantApplied: true }),
      ]);
      return ok(request, { total, active, ambassadors, travelGrant }, "Participant statistics");
    })
    .get("/generate-qr", async ({ request }) => {
      const qrCode = generateQrCode();
      return ok(
        request,
        { qrCode, qrCodeDataUrl: await QRCode.toDataURL(qrCode, { margin: 1, width: 256 }) },
        "QR code generated",
      );
    })
    .get("/:id/details", async ({ params, request }) => {
      const id = parseId(params.id);
      const participant = await participantsOf(db).findOne({ _id: id });
      if (!participant) throw notFound(phrase("Participant with ID {id} not found", { id: String(id) }));
      const [registrations, checkIns] = await Promise.all([
        registrationsOf(db).find({ participantId: id }).toArray(),
        checkinsOf(db).find({ participantId: id }).sort({ checkInTime: -1 }).toArray(),
      ]);
      const qrDataUrl = await QRCode.toDataURL(participant.qrCode, { margin: 1, width: 256 });
      return ok(
        request,
        {
          ...shown(participant),
          qrDataUrl,
          participant: shown(participant),
          registrations,
          checkIns: checkIns.map(shownCheckIn),
        },
        "Participant details",
      );
    })
    .get(
      "/qr/:qrCode",
      async ({ params, request }) => {
        // The directory knows the code (exact, or upper-case); the whole document is in MongoDB.
        const person = await directory.find({ qrCode: params.qrCode });
        const found = person && (await participantsOf(db).findOne({ _id: person._id }));
        if (!found) throw notFound("Participant with this QR code not found");
        return ok(request, participantFor(request, shown(found)), "Participant retrieved");
      },
      // A badge code is at most 50 characters (fields.ts); anything longer is no one's.
      {
        params: t.Object({
          qrCode: t.String({
            minLength: 1,
            maxLength: 50,
            error: "must be a badge code (1 to 50 characters)",
          }),
        }),
      },
    )
    .get("/:id", async ({ params, request }) => {
      const found = await participantsOf(db).findOne({ _id: parseId(params.id) });
      if (!found) throw notFound(phrase("Participant with ID {id} not found", { id: String(params.id) }));
      return ok(request, shown(found), "Participant retrieved");
    });
}

/** Changing participants: create, bulk create, edit, delete. */
function participantChanges(rt: Runtime, features: Features) {
  const { directory } = features;
  const db = rt.mongo.db;
  const actions = participantActions(rt, features);
  return new Elysia({ name: "participants-api-2", prefix: "/api/v1/participants" })
    .post(
      "/",
      async ({ body, request, set }) => {
        const doc = await actions.create(body);
        set.status = 201;
        return ok(request, shown(doc), "Participant created");
      },
      { body: CreateParticipant },
    )
    .post(
      "/bulk",
      async ({ body, request, set }) => {
        // Email is the key: known people are updated (their badge code kept), new ones created.
        let created = 0;
        let updated = 0;
        const details: { email: string; result: "created" | "updated" | "error"; error?: string }[] = [];
        for (const item of body.participants) {
          const email = normaliseEmail(item.email);
          try {
            const existing = await participantsOf(db).findOne({ email });
            if (existing) {
              const patch = {
                name: item.name,
                organization: item.organization,
                phone: item.phone,
                updatedAt: new Date(),
              };
              const after = await participantsOf(db).findOneAndUpdate(
                { _id: existing._id },
                { $set: Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) },
                { returnDocument: "after" },
              );
              if (after) await directory.changed(after);
              updated++;
              details.push({ email, result: "updated" });
            } else {
              const doc = newParticipant({ ...item, email });
              await participantsOf(db).insertOne(doc);
              await directory.changed(doc);
              created++;
              details.push({ email, result: "created" });
            }
          } catch (error) {
            details.push({
              email,
              result: "error",
              error: error instanceof AppError ? error.message : "could not be saved",
            });
          }
        }
        const errors = details.filter((d) => d.result === "error").length;
        set.status = 201;
        return ok(request, { created, updated, errors, failed: errors, details }, "Participants imported");
      },
      {
        body: t.Object(
          {
            participants: t.Array(
              t.Object(
                {
                  name: participantFields.name,
                  email: participantFields.email,
                  organization: t.Optional(participantFields.organization),
                  phone: t.Optional(participantFields.phone),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: 1000 },
            ),
          },
          { additionalProperties: false },
        ),
      },
    )
    .patch(
      "/:id",
      async ({ params, body, request }) => {
        const updated = await actions.update(parseId(params.id), body);
        return ok(request, shown(updated), "Participant updated");
      },
      { body: PatchParticipant },
    )
    .post("/:id/erase", async ({ params, request }) => {
      const erased = await actions.erase(parseId(params.id));
      return ok(request, { _id: erased._id, erasedAt: erased.erasedAt }, "Personal data erased; counts kept");
    })
    .delete("/:id", async ({ params, request }) => {
      const removed = await actions.remove(parseId(params.id));
      return ok(request, shown(removed), "Participant deleted with their registrations and check-ins");
    });
}

export function participantRoutes(rt: Runtime, features: Features) {
  return new Elysia({ name: "participants-api" })
    .use(participantReads(rt, features))
    .use(participantChanges(rt, features));
}
