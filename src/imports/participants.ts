import type { AnyBulkWriteOperation, Db } from "mongodb";
import type { Features } from "../features";
import { bulkWriteInSteps } from "../infra/mongo";
import { type ParticipantDoc, participantRecord, participantsOf } from "../participants/repo";
import { type ParticipantRow, parseParticipants } from "./csv";
import { type ImportSummary, type RowError, rowError } from "./summary";
import { importSummary, type Progress } from "./upload";

// The participants import: new people are created, known ones (by e-mail) get the
// columns the file has, and everyone imported is scannable at once on every instance.

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

export function participantImporter(db: Db, features: Features) {
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
    const errors: RowError[] = [];
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
        for (const index of failed) {
          const refused = batch[index]?.row;
          if (refused)
            errors.push(
              rowError(refused.row, "badge code {code} is already used", { code: refused.qrCode ?? "" }),
            );
        }
      }
      progress(i + batch.length, total);
    }
    await bulkWriteInSteps(participantsOf(db), updates);
    progress(total, total);
    // Everyone imported is scannable at once, on every instance.
    await features.directory.reloadEverywhere();
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

  return { importBytes };
}
