import { type AnyBulkWriteOperation, type Db, ObjectId } from "mongodb";
import type { CheckinService } from "../door/service";
import { missingColumn, readCsv } from "../imports/csv";
import type { ImportSummary } from "../imports/summary";
import { importSummary, type Progress } from "../imports/upload";
import { bulkWriteInSteps, distinctIds, isDuplicateKey } from "../infra/mongo";
import { participantsOf } from "../participants/repo";
import { sessionsOf } from "../sessions/repo";
import { type RegistrationDoc, registrationsOf } from "./repo";
import { writingRegistrations } from "./rosters";
import { type Assignment, type Lookups, resolveRegistrations } from "./rows";

export interface AssignResult {
  created: number;
  updated: number;
  unchanged: number;
}

/** Every participant by email and badge code, every session by ID and name. */
export async function loadLookups(db: Db): Promise<Lookups> {
  const [people, sessions] = await Promise.all([
    participantsOf(db)
      .find({}, { projection: { email: 1, qrCode: 1 } })
      .toArray(),
    sessionsOf(db)
      .find({}, { projection: { name: 1 } })
      .toArray(),
  ]);
  const emails = new Map(people.map((p) => [p.email.toLowerCase(), p._id]));
  const codes = new Map(people.map((p) => [p.qrCode, p._id]));
  const byKey = new Map<string, ObjectId[]>();
  const add = (key: string, id: ObjectId) => byKey.set(key, [...(byKey.get(key) ?? []), id]);
  for (const s of sessions) {
    add(String(s._id), s._id);
    add(s.name.trim().toLowerCase(), s._id);
  }
  return { emails, codes, sessions: byKey };
}

/** New registrations in batches, then the status changes; `existed`: registered meanwhile by someone else. */
async function store(
  db: Db,
  fresh: RegistrationDoc[],
  changes: AnyBulkWriteOperation<RegistrationDoc>[],
  progress: Progress,
): Promise<{ created: number; existed: number }> {
  const total = fresh.length + changes.length;
  let created = 0;
  let existed = 0;
  for (let i = 0; i < fresh.length; i += 500) {
    const batch = fresh.slice(i, i + 500);
    try {
      created += (await registrationsOf(db).insertMany(batch, { ordered: false })).insertedCount;
    } catch (error) {
      // Registered meanwhile by someone else: it exists, which is what was asked.
      if (!isDuplicateKey(error)) throw error;
      const failed = (error as { writeErrors?: unknown[] }).writeErrors?.length ?? 0;
      created += batch.length - failed;
      existed += failed;
    }
    progress(i + batch.length, total);
  }
  await bulkWriteInSteps(registrationsOf(db), changes);
  return { created, existed };
}

/**
 * Registers people in bulk. Idempotent: an existing registration keeps its date and only
 * takes the new status; each touched session's roster is rebuilt once, on every instance.
 */
export async function assign(
  db: Db,
  svc: CheckinService,
  rows: Assignment[],
  progress: Progress = () => {},
): Promise<AssignResult> {
  const sessionIds = distinctIds(rows.map((r) => r.sessionId));
  const existing = new Map(
    (
      await registrationsOf(db)
        .find(
          { sessionId: { $in: sessionIds } },
          { projection: { participantId: 1, sessionId: 1, status: 1 } },
        )
        .toArray()
    ).map((r) => [`${r.participantId}:${r.sessionId}`, r]),
  );
  const now = new Date();
  const fresh: RegistrationDoc[] = [];
  const changes: AnyBulkWriteOperation<RegistrationDoc>[] = [];
  let unchanged = 0;
  for (const row of rows) {
    const known = existing.get(`${row.participantId}:${row.sessionId}`);
    if (!known) {
      fresh.push({
        _id: new ObjectId(),
        participantId: row.participantId,
        sessionId: row.sessionId,
        registrationDate: now,
        status: row.status ?? "confirmed",
        createdAt: now,
        updatedAt: now,
        __v: 0,
      });
    } else if (row.status !== undefined && known.status !== row.status) {
      changes.push({
        updateOne: { filter: { _id: known._id }, update: { $set: { status: row.status, updatedAt: now } } },
      });
    } else unchanged++;
  }
  const total = fresh.length + changes.length;
  progress(0, total);
  const written = await writingRegistrations(db, sessionIds, () => store(db, fresh, changes, progress));
  unchanged += written.existed;
  progress(total, total);
  for (const sessionId of sessionIds) await svc.registrationsChanged(sessionId);
  return { created: written.created, updated: changes.length, unchanged };
}

/** A registrations CSV (with a session column, or all for `fixedSession`): a report like the participants import's. */
export async function importRegistrationCsv(
  db: Db,
  svc: CheckinService,
  bytes: Uint8Array,
  fixedSession?: ObjectId,
  progress: Progress = () => {},
): Promise<ImportSummary> {
  const csv = readCsv(bytes);
  const required = fixedSession
    ? [["email", "qrcode"]]
    : [
        ["email", "qrcode"],
        ["session", "sessionid"],
      ];
  const missing = missingColumn(csv.fields, required, "email,session,status");
  const resolved = missing
    ? { rows: [], errors: [missing] }
    : resolveRegistrations(csv.records, await loadLookups(db), fixedSession);
  return importSummary(
    await assign(db, svc, resolved.rows, progress),
    [...csv.errors, ...resolved.errors],
    csv.encoding,
    csv.records.length + csv.errors.length,
  );
}
