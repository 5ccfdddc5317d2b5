import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { BSON, type Db, type Document, type ObjectId } from "mongodb";
import { forgetCopies } from "../copies";
import { INDEXES } from "../indexes";
import { distinctIds, ensureIndexes } from "../infra/mongo";
import { writingRegistrations } from "../registrations/rosters";

// A backup that works where mongodump is not installed: every collection the product
// owns, as gzip-compressed JSON lines (extended JSON, so ObjectIds and dates survive).
// Line 1 is a header with the counts; then one {c: collection, d: document} per line.

export const ARCHIVED = [
  "sessions",
  "participants",
  "registrations",
  "checkins",
  "scanlog",
  "session_events",
  "settings",
] as const;

const FORMAT = "checkin-archive";

export interface ArchiveHeader {
  format: typeof FORMAT;
  version: 1;
  exportedAt: string;
  database: string;
  counts: Record<string, number>;
}

async function* lines(db: Db, header: ArchiveHeader): AsyncGenerator<string> {
  yield `${JSON.stringify(header)}\n`;
  for (const name of ARCHIVED) {
    for await (const doc of db.collection(name).find({})) {
      yield `${BSON.EJSON.stringify({ c: name, d: doc }, { relaxed: false })}\n`;
    }
  }
}

export async function exportArchive(db: Db, file: string): Promise<ArchiveHeader> {
  const counts: Record<string, number> = {};
  for (const name of ARCHIVED) counts[name] = await db.collection(name).countDocuments({});
  const header: ArchiveHeader = {
    format: FORMAT,
    version: 1,
    exportedAt: new Date().toISOString(),
    database: db.databaseName,
    counts,
  };
  await pipeline(Readable.from(lines(db, header)), createGzip(), createWriteStream(file));
  return header;
}

export class ArchiveError extends Error {}

async function* records(
  file: string,
): AsyncGenerator<{ header: ArchiveHeader } | { c: string; d: Document }> {
  const input = createInterface({
    input: createReadStream(file).pipe(createGunzip()),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let header: ArchiveHeader | null = null;
  let line = 0;
  for await (const text of input) {
    line++;
    if (text.trim() === "") continue;
    if (!header) {
      try {
        header = JSON.parse(text) as ArchiveHeader;
      } catch {
        throw new ArchiveError(`${file} is not a check-in archive (line 1 is not its header)`);
      }
      if (header.format !== FORMAT) throw new ArchiveError(`${file} is not a check-in archive`);
      yield { header };
      continue;
    }
    let record: { c: string; d: Document };
    try {
      record = BSON.EJSON.parse(text, { relaxed: false }) as { c: string; d: Document };
    } catch {
      throw new ArchiveError(`${file}, line ${line}: not a readable record (the archive is damaged)`);
    }
    if (!(ARCHIVED as readonly string[]).includes(record.c))
      throw new ArchiveError(`${file}, line ${line}: unknown collection "${record.c}"`);
    yield record;
  }
  if (!header) throw new ArchiveError(`${file} is empty`);
}

/** Reads the whole archive without writing anything: its header, if every line is sound and the counts agree. */
async function validate(file: string): Promise<ArchiveHeader> {
  let header: ArchiveHeader | null = null;
  const counts: Record<string, number> = {};
  try {
    for await (const record of records(file)) {
      if ("header" in record) header = record.header;
      else counts[record.c] = (counts[record.c] ?? 0) + 1;
    }
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    throw new ArchiveError(
      `${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const announced = (header as ArchiveHeader).counts;
  for (const name of new Set([...Object.keys(announced), ...Object.keys(counts)])) {
    if ((counts[name] ?? 0) !== (announced[name] ?? 0)) {
      throw new ArchiveError(
        `${name}: the archive announces ${announced[name] ?? 0} documents but holds ${counts[name] ?? 0}`,
      );
    }
  }
  return header as ArchiveHeader;
}

/**
 * Writes the archive into staging collections and checks the rules (unique emails, badge
 * codes, one check-in per person and session) on them; anything wrong drops them all.
 */
async function stage(
  db: Db,
  file: string,
  header: ArchiveHeader,
  staged: (name: string) => string,
): Promise<Record<string, number>> {
  const written: Record<string, number> = {};
  try {
    for (const name of ARCHIVED) await db.createCollection(staged(name));
    const batches = new Map<string, Document[]>();
    const flush = async (name: string) => {
      const batch = batches.get(name) ?? [];
      if (batch.length === 0) return;
      await db.collection(staged(name)).insertMany(batch, { ordered: false });
      written[name] = (written[name] ?? 0) + batch.length;
      batches.set(name, []);
    };
    for await (const record of records(file)) {
      if ("header" in record) continue;
      const batch = batches.get(record.c) ?? [];
      batch.push(record.d);
      batches.set(record.c, batch);
      if (batch.length >= 1000) await flush(record.c);
    }
    for (const name of ARCHIVED) await flush(name);
    for (const [name, expected] of Object.entries(header.counts)) {
      if ((written[name] ?? 0) !== expected)
        throw new ArchiveError(`${name}: ${written[name] ?? 0} of ${expected} documents could be written`);
    }
    // The rules (unique emails, badge codes, one check-in per person and session) hold on the
    // staged data before anything is swapped: an archive that breaks one changes nothing.
    for (const spec of INDEXES.filter((s) => (ARCHIVED as readonly string[]).includes(s.collection))) {
      await db
        .collection(staged(spec.collection))
        .createIndex(spec.key, spec.options ?? {})
        .catch((error: unknown) => {
          throw new ArchiveError(
            `${spec.collection}: the archive breaks the rule "${spec.options?.name ?? JSON.stringify(spec.key)}" (${error instanceof Error ? error.message : String(error)}); nothing was changed`,
          );
        });
    }
  } catch (error) {
    for (const name of ARCHIVED)
      await db
        .collection(staged(name))
        .drop()
        .catch(() => undefined);
    throw error;
  }
  return written;
}

/** Renames each staged collection into place; a failure on the way puts the previous ones back. */
async function swapIn(db: Db, staged: (name: string) => string, previous: (name: string) => string) {
  const existing = async () =>
    new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  const swapped: string[] = [];
  try {
    const before = await existing();
    for (const name of ARCHIVED) {
      if (before.has(name)) await db.collection(name).rename(previous(name));
      await db.collection(staged(name)).rename(name);
      swapped.push(name);
    }
  } catch (error) {
    const now = await existing();
    for (const name of [...ARCHIVED].reverse()) {
      if (swapped.includes(name))
        await db
          .collection(name)
          .rename(staged(name))
          .catch(() => undefined);
      if (now.has(previous(name)))
        await db
          .collection(previous(name))
          .rename(name)
          .catch(() => undefined);
    }
    for (const name of ARCHIVED)
      await db
        .collection(staged(name))
        .drop()
        .catch(() => undefined);
    throw new ArchiveError(
      `the restore could not swap the collections in; the previous data was put back (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/**
 * Restores an archive without a moment where the database is half old, half new: the
 * whole file is read and checked first, then written into staging collections, then
 * each collection is swapped in by rename (FerretDB has no transactions); a failure
 * before the swap leaves the database as it was, one during it puts the old ones back.
 * Refuses to mix data: target collections must be empty unless `replace`. Accounts and
 * API tokens are not in archives and are never touched.
 */
export async function importArchive(
  db: Db,
  file: string,
  options: { replace: boolean },
): Promise<Record<string, number>> {
  const header = await validate(file);
  if (!options.replace) {
    for (const name of ARCHIVED) {
      const present = await db.collection(name).countDocuments({});
      if (present > 0)
        throw new ArchiveError(
          `${name} already holds ${present} documents; restore with --replace to overwrite`,
        );
    }
  }
  const stamp = Date.now().toString(36);
  const staged = (name: string) => `restore_${stamp}_${name}`;
  const previous = (name: string) => `restore_${stamp}_previous_${name}`;
  const written = await stage(db, file, header, staged);
  // The swap rewrites every session's registrations at once: it is a registration write
  // like any other, marked on the sessions of both sides, so no packed copy read from the
  // data being replaced is trusted afterwards (registrations/rosters.ts).
  const sessionIds = await Promise.all(
    ["sessions", staged("sessions")].map((name) =>
      db
        .collection(name)
        .find({}, { projection: { _id: 1 } })
        .toArray(),
    ),
  );
  const marked = distinctIds(sessionIds.flat().map((s) => s._id as ObjectId));
  await writingRegistrations(db, marked, () => swapIn(db, staged, previous));
  await forgetCopies(db);
  for (const name of ARCHIVED)
    await db
      .collection(previous(name))
      .drop()
      .catch(() => undefined);
  await ensureIndexes(db, INDEXES);
  return written;
}
