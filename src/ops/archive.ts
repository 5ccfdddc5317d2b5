import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { BSON, type Db, type Document } from "mongodb";
import { INDEXES } from "../indexes";
import { ensureIndexes } from "../infra/mongo";

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

/** Restores an archive. Refuses to mix data: target collections must be empty unless `replace`. */
export async function importArchive(
  db: Db,
  file: string,
  options: { replace: boolean },
): Promise<Record<string, number>> {
  const input = createInterface({
    input: createReadStream(file).pipe(createGunzip()),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let header: ArchiveHeader | null = null;
  const batches = new Map<string, Document[]>();
  const written: Record<string, number> = {};
  const flush = async (name: string) => {
    const batch = batches.get(name) ?? [];
    if (batch.length === 0) return;
    await db.collection(name).insertMany(batch, { ordered: false });
    written[name] = (written[name] ?? 0) + batch.length;
    batches.set(name, []);
  };
  for await (const line of input) {
    if (line.trim() === "") continue;
    if (!header) {
      header = JSON.parse(line) as ArchiveHeader;
      if (header.format !== FORMAT) throw new ArchiveError(`${file} is not a check-in archive`);
      for (const name of ARCHIVED) {
        const present = await db.collection(name).countDocuments({});
        if (present > 0 && !options.replace) {
          throw new ArchiveError(
            `${name} already holds ${present} documents; restore with --replace to overwrite`,
          );
        }
        if (options.replace) await db.collection(name).deleteMany({});
      }
      continue;
    }
    const { c, d } = BSON.EJSON.parse(line, { relaxed: false }) as { c: string; d: Document };
    if (!(ARCHIVED as readonly string[]).includes(c))
      throw new ArchiveError(`unknown collection "${c}" in ${file}`);
    const batch = batches.get(c) ?? [];
    batch.push(d);
    batches.set(c, batch);
    if (batch.length >= 1000) await flush(c);
  }
  if (!header) throw new ArchiveError(`${file} is empty`);
  for (const name of ARCHIVED) await flush(name);
  await ensureIndexes(db, INDEXES);
  for (const [name, expected] of Object.entries(header.counts)) {
    if ((written[name] ?? 0) !== expected) {
      throw new ArchiveError(
        `${name}: the archive announced ${expected} documents but held ${written[name] ?? 0}`,
      );
    }
  }
  return written;
}
