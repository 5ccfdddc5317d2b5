import { Elysia, t } from "elysia";
import type { AnyBulkWriteOperation } from "mongodb";
import { ImportPage, ImportReport } from "../../views/import";
import { checkinsOf, scanlogOf } from "../checkin/repo";
import type { CheckinService } from "../checkin/service";
import { ok, parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import { type ParticipantDoc, participantRecord, participantsOf } from "../participants/repo";
import type { Runtime } from "../runtime";
import { sessionsOf } from "../sessions/repo";
import { csvResponse, html } from "../web/html";
import { type ParticipantRow, parseParticipants, TEMPLATE, toCsv } from "./csv";
import { IMPORT_PAGE } from "./paths";
import type { ImportSummary } from "./summary";
import { importFailed, importSummary, type Progress, streamedImport, uploadBytes } from "./upload";

/** The fields a row sets: its name, and organization and phone only where the file has those columns. */
const fieldsOf = (row: ParticipantRow) => ({
  name: row.name,
  ...(row.organization !== undefined ? { organization: row.organization } : {}),
  ...(row.phone !== undefined ? { phone: row.phone } : {}),
});

const changed = (row: ParticipantRow, doc: ParticipantDoc) =>
  Object.entries(fieldsOf(row)).some(
    ([key, value]) => value !== ((doc as unknown as Record<string, string | undefined>)[key] ?? ""),
  );

/** CSV import and exports for organisers. */
export function importRoutes(rt: Runtime, svc: CheckinService) {
  const db = rt.mongo.db;
  const maxBytes = rt.config.uploadMaxFileSize;

  async function importParticipants(rows: ParticipantRow[], progress: Progress) {
    const known = new Map(
      (
        await participantsOf(db)
          .find({}, { projection: { email: 1, name: 1, organization: 1, phone: 1 } })
          .toArray()
      ).map((p) => [p.email, p as ParticipantDoc]),
    );
    const fresh = rows.filter((row) => !known.has(row.email));
    const updates: AnyBulkWriteOperation<ParticipantDoc>[] = [];
    let unchanged = 0;
    for (const row of rows) {
      const doc = known.get(row.email);
      if (!doc) continue;
      // Email is the key; an existing badge code is never replaced by a re-import.
      if (!changed(row, doc)) unchanged++;
      else {
        updates.push({
          updateOne: {
            filter: { _id: doc._id },
            update: {
              $set: { ...fieldsOf(row), updatedAt: new Date() },
            },
          },
        });
      }
    }
    const errors: string[] = [];
    let created = 0;
    const total = fresh.length + updates.length;
    progress(0, total);
    for (let i = 0; i < fresh.length; i += 500) {
      const batch = fresh.slice(i, i + 500).map((row) => ({ row, doc: participantRecord(row) }));
      try {
        created += (
          await participantsOf(db).insertMany(
            batch.map((b) => b.doc),
            { ordered: false },
          )
        ).insertedCount;
      } catch (error) {
        const failed = new Set(
          ((error as { writeErrors?: { index: number }[] }).writeErrors ?? []).map((e) => e.index),
        );
        created += batch.length - failed.size;
        for (const index of failed)
          errors.push(`row ${batch[index]?.row}: badge code ${batch[index]?.row.qrCode} is already used`);
      }
      progress(i + batch.length, total);
    }
    if (updates.length > 0) await participantsOf(db).bulkWrite(updates, { ordered: false });
    progress(total, total);
    // Everyone imported is scannable at once, on every instance.
    await svc.reloadDirectory();
    return { created, updated: updates.length, unchanged, errors };
  }

  /** One file: parse, import, one report sorted by row. */
  async function importBytes(bytes: Uint8Array, progress: Progress = () => {}): Promise<ImportSummary> {
    const parsed = parseParticipants(bytes);
    const { errors, ...written } = await importParticipants(parsed.rows, progress);
    return importSummary(
      written,
      [...parsed.errors, ...errors],
      parsed.encoding,
      parsed.rows.length + parsed.errors.length,
    );
  }

  return new Elysia({ name: "imports" })
    .get("/api/v1/participants/import/template", () => csvResponse(TEMPLATE, "participants-template.csv"))
    .post(
      "/api/v1/participants/import",
      async ({ body, request }) => {
        const report = await importBytes(await uploadBytes(body.file, maxBytes));
        const message = report.failed > 0 ? `Imported with ${report.failed} rows refused` : "Imported";
        return ok(request, report, message);
      },
      { body: t.Object({ file: t.File() }) },
    )
    .get(IMPORT_PAGE.pattern, () => html(ImportPage()))
    .post(
      IMPORT_PAGE.pattern,
      async ({ body }) => {
        const bytes = await uploadBytes(body.file, maxBytes);
        return streamedImport(
          async (progress) => ImportReport({ report: await importBytes(bytes, progress) }) as string,
          importFailed(rt),
        );
      },
      { body: t.Object({ file: t.File() }) },
    )
    .get("/api/v1/participants/export.csv", async () => {
      const people = await participantsOf(db).find({}).sort({ name: 1 }).toArray();
      return csvResponse(
        toCsv(people, ["name", "email", "organization", "phone", "qrCode", "isActive"]),
        "participants.csv",
      );
    })
    .get("/api/v1/sessions/:id/attendance.csv", async ({ params }) => {
      const session = await sessionsOf(db).findOne({ _id: parseId(params.id) });
      if (!session) throw notFound(`Session with ID ${params.id} not found`);
      const checkins = await checkinsOf(db)
        .find({ sessionId: session._id })
        .sort({ checkInTime: 1 })
        .toArray();
      const people = new Map(
        (
          await participantsOf(db)
            .find({ _id: { $in: checkins.map((c) => c.participantId) } })
            .toArray()
        ).map((p) => [String(p._id), p]),
      );
      const rows = checkins.map((c) => {
        const p = people.get(String(c.participantId));
        return {
          name: p?.name,
          email: p?.email,
          organization: p?.organization,
          checkInTime: c.checkInTime,
          isLate: c.isLate,
          badge: c.badge,
          method: c.method,
          checkedOutAt: c.checkedOutAt,
        };
      });
      return csvResponse(
        toCsv(rows, [
          "name",
          "email",
          "organization",
          "checkInTime",
          "isLate",
          "badge",
          "method",
          "checkedOutAt",
        ]),
        `attendance-${session._id}.csv`,
      );
    })
    .get("/api/v1/checkin/scanlog.csv", async () => {
      const entries = await scanlogOf(db).find({}).sort({ at: 1 }).limit(200_000).toArray();
      return csvResponse(
        toCsv(entries, [
          "at",
          "action",
          "outcome",
          "reason",
          "sessionId",
          "participantId",
          "qrCode",
          "method",
          "by",
          "device",
          "instance",
        ]),
        "scanlog.csv",
      );
    });
}
