import { type AnyBulkWriteOperation, type Db, ObjectId } from "mongodb";
import type { Features } from "../features";
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
): Promise<{ created: RegistrationDoc[]; existed: number }> {
  const total = fresh.length + changes.length;
  const created: RegistrationDoc[] = [];
  let existed = 0;
  for (let i = 0; i < fresh.length; i += 500) {
    const batch = fresh.slice(i, i + 500);
    try {
      await registrationsOf(db).insertMany(batch, { ordered: false });
      created.push(...batch);
    } catch (error) {
      // Registered meanwhile by someone else: it exists, which is what was asked.
      if (!isDuplicateKey(error)) throw error;
      const errors = (error as { writeErrors?: { index: number }[] }).writeErrors ?? [];
      const failed = new Set(errors.map((w) => w.index));
      created.push(...batch.filter((_, index) => !failed.has(index)));
      existed += failed.size;
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
  features: Pick<Features, "door" | "webhooks">,
  rows: Assignment[],
  progress: Progress = () => {},
): Promise<AssignResult> {
  const { door: svc, webhooks } = features;
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
  const changed: Pick<RegistrationDoc, "_id" | "participantId" | "sessionId" | "status">[] = [];
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
      changed.push({ ...known, status: row.status });
    } else unchanged++;
  }
  const total = fresh.length + changes.length;
  progress(0, total);
  const written = await writingRegistrations(db, sessionIds, () => store(db, fresh, changes, progress));
  unchanged += written.existed;
  progress(total, total);
  for (const sessionId of sessionIds) await svc.registrationsChanged(sessionId);
  // Endpoints that asked hear of each one, as of a single call (nothing is queued when nobody listens).
  for (const r of [...written.created, ...changed])
    await webhooks
      .emit({
        type: "registration.changed",
        stream: String(r.sessionId),
        participantId: r.participantId,
        data: {
          registrationId: String(r._id),
          sessionId: String(r.sessionId),
          participantId: String(r.participantId),
          status: r.status,
        },
      })
      .catch(() => undefined);
  return { created: written.created.length, updated: changes.length, unchanged };
}

/** A registrations CSV (with a session column, or all for `fixedSession`): a report like the participants import's. */
export async function importRegistrationCsv(
  db: Db,
  features: Pick<Features, "door" | "webhooks">,
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
    await assign(db, features, resolved.rows, progress),
    [...csv.errors, ...resolved.errors],
    csv.encoding,
    csv.records.length + csv.errors.length,
  );
}
