import { Elysia, t } from "elysia";
import type { Db } from "mongodb";
import { ImportPage } from "../../views/import";
import { attendanceBySession } from "../attendance/history";
import { recordExport } from "../audit/log";
import { checkinsOf, scanlogOf } from "../checkin/repo";
import type { Features } from "../features";
import { ok, parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import type { Text } from "../i18n/locale";
import { phrase } from "../i18n/locale";
import { participantsOf } from "../participants/repo";
import type { Runtime } from "../runtime";
import { sessionsOf } from "../sessions/repo";
import { csvResponse, html } from "../web/html";
import { localeOf } from "../web/reader";
import { TEMPLATE, toCsv } from "./csv";
import { participantImporter } from "./participants";
import { IMPORT_PAGE } from "./paths";
import { importedWords, refuseUnreadableFile, reportJson } from "./summary";
import { streamedImport, uploadBytes } from "./upload";

/** CSV import and exports for organisers. */
export function importRoutes(rt: Runtime, features: Features) {
  const db = rt.mongo.db;
  const maxBytes = rt.config.uploadMaxFileSize;

  const { importBytes } = participantImporter(db, features);

  return new Elysia({ name: "imports" })
    .get("/api/v1/participants/import/template", () => csvResponse(TEMPLATE, "participants-template.csv"))
    .post(
      "/api/v1/participants/import",
      async ({ body, request }) => {
        const report = await importBytes(await uploadBytes(body.file, maxBytes));
        refuseUnreadableFile(report);
        return ok(request, reportJson(localeOf(request), report), importedWords(report));
      },
      { body: t.Object({ file: t.File() }) },
    )
    .get(IMPORT_PAGE.pattern, ({ request }) => html(request, () => ImportPage()))
    .post(
      IMPORT_PAGE.pattern,
      async ({ body, request }) => {
        const bytes = await uploadBytes(body.file, maxBytes);
        return streamedImport(rt, request, (progress) => importBytes(bytes, progress));
      },
      { body: t.Object({ file: t.File() }) },
    )
    .use(exportRoutes(db));
}

/** The exports: people (the import's own columns, to edit and import again), attendance, the scan log. */
function exportRoutes(db: Db) {
  return new Elysia({ name: "exports" })
    .get("/api/v1/participants/export.csv", async ({ request }) => {
      const people = await participantsOf(db).find({}).sort({ name: 1 }).toArray();
      await recordExport(db, request, "participants", people.length);
      return csvResponse(
        toCsv(people, ["name", "email", "organization", "phone", "qrCode", "isActive"]),
        "participants.csv",
      );
    })
    .get("/api/v1/sessions/:id/attendance.csv", async ({ params, request }) => {
      const session = await sessionsOf(db).findOne({ _id: parseId(params.id) });
      if (!session) throw notFound(phrase("Session with ID {id} not found", { id: String(params.id) }));
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
      await recordExport(db, request, `attendance of session ${session._id}`, checkins.length);
      const minutes = (await attendanceBySession(db, [session])).get(String(session._id));
      const rows = checkins.map((c) => {
        const p = people.get(String(c.participantId));
        const figures = minutes?.get(String(c.participantId));
        return {
          name: p?.name,
          email: p?.email,
          organization: p?.organization,
          checkInTime: c.checkInTime,
          isLate: c.isLate,
          badge: c.badge,
          method: c.method,
          checkedOutAt: c.checkedOutAt,
          minutes: figures?.minutes ?? 0,
          percent: figures?.percent ?? 0,
          credited: figures?.credited ?? false,
          credits: figures?.credits ?? 0,
        };
      });
      return csvResponse(
        toCsv(
          rows,
          [
            "name",
            "email",
            "organization",
            "checkInTime",
            "isLate",
            "badge",
            "method",
            "checkedOutAt",
            "minutes",
            "percent",
            "credited",
            "credits",
          ] satisfies Text[],
          localeOf(request),
        ),
        `attendance-${session._id}.csv`,
      );
    })
    .get("/api/v1/checkin/scanlog.csv", async ({ request }) => {
      const entries = await scanlogOf(db).find({}).sort({ at: 1 }).limit(200_000).toArray();
      await recordExport(db, request, "scan log", entries.length);
      return csvResponse(
        toCsv(
          entries,
          [
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
          ] satisfies Text[],
          localeOf(request),
        ),
        "scanlog.csv",
      );
    });
}
