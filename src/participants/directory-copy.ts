import type Redis from "ioredis";
import { BSON, type Db, ObjectId } from "mongodb";
import type { IndexSpec } from "../infra/mongo";
import type { Stamps } from "../infra/stamps";
import { claimable, readWindows, recent } from "../infra/windows";
import { everyPerson, type Person, personOf, slim } from "./person";

// The badge directory packed into CHUNKS documents, so a starting instance reads a few
// documents instead of every participant (FerretDB returns about 10,000 documents a second:
// 20,000 participants took 1.7 s alone, 4.5 s with two instances starting at once).
//
// The scheduler's leader packs it, as it packs the door's copies (door/copies.ts): the copy
// holds every change noted in the windows before its head's `from`, and what changed since is
// read again, person by person. Every write to a participant already tells the directory
// (`changed`), after the write: that is where the change is noted, stamped, so a copy read
// before the write lands is brought up to date by it. A write of many at once (an import, the
// retention) forgets the copy instead, as does a restore.

/** More people changed since a copy than this, and everyone is read whole instead. */
const MAX_REREADS = 1000;

/** A person's documents are spread over this many chunks by the last digit of their id. */
const CHUNKS = 16;

/** One participant changed (written, erased, deleted) in a window. */
interface ChangeDoc {
  _id: ObjectId;
  participantId: ObjectId;
  changeWindow: number;
  at: Date;
}

type CopyDoc =
  /** What the copy holds: every change noted before window `from`; each chunk's version. */
  | { _id: "head"; epoch: string; from: number; versions: string[] }
  /** Changed to forget every copy packed before. */
  | { _id: "epoch"; value: string }
  /** One chunk: a person per line, as extended JSON. */
  | { _id: string; version: string; people: string };

const copyOf = (db: Db) => db.collection<CopyDoc>("directory_copy");
const changesOf = (db: Db) => db.collection<ChangeDoc>("participant_changes");

/** Created at start-up (FerretDB 1.x creates a collection under a lock that can stall writes under way). */
export const DIRECTORY_COPY_INDEXES: IndexSpec[] = [
  { collection: "participant_changes", key: { changeWindow: 1 } },
  { collection: "directory_copy", key: { version: 1 } },
];

const chunkOf = (id: ObjectId) => Number.parseInt(id.toHexString().slice(-1), 16) % CHUNKS;
const chunkId = (n: number) => `chunk:${n}`;
const newVersion = () => new ObjectId().toHexString();

/** Every copy packed before is never used again (a pass under way writes under the old epoch). */
export async function forgetDirectoryCopy(db: Db): Promise<void> {
  await copyOf(db).replaceOne({ _id: "epoch" }, { value: newVersion() }, { upsert: true });
  await copyOf(db).deleteOne({ _id: "head" });
}

const packPeople = (people: Iterable<Person>) =>
  [...people].map((p) => BSON.EJSON.stringify(p, { relaxed: false })).join("\n");
const unpackPeople = (packed: string): Person[] =>
  packed === "" ? [] : packed.split("\n").map((line) => BSON.EJSON.parse(line, { relaxed: false }) as Person);

/** Chunks as last packed or read here, with their versions: read again only when replaced. */
type Held = { version: string; people: Map<string, Person> }[];

/** The copy as stored: its head and each chunk's people by id, or no head when it cannot be used. */
async function readCopy(db: Db, now: number, held: Held) {
  const [epochDoc, headDoc] = await Promise.all([
    copyOf(db).findOne({ _id: "epoch" }),
    copyOf(db).findOne({ _id: "head" }),
  ]);
  const epoch = epochDoc && "value" in epochDoc ? epochDoc.value : "";
  const empty = () => Array.from({ length: CHUNKS }, () => new Map<string, Person>());
  const head =
    headDoc && "from" in headDoc && headDoc.epoch === epoch && recent(headDoc.from, now) ? headDoc : null;
  if (!head) return { epoch, head: null, chunks: empty() };
  const chunks = await Promise.all(
    Array.from({ length: CHUNKS }, async (_, n) => {
      const version = head.versions[n];
      if (held[n]?.version === version) return new Map(held[n]?.people);
      const doc = await copyOf(db).findOne({ _id: chunkId(n) });
      if (!doc || !("people" in doc) || doc.version !== version) return null;
      return new Map(unpackPeople(doc.people).map((p) => [p._id.toHexString(), p]));
    }),
  );
  if (chunks.some((c) => c === null)) return { epoch, head: null, chunks: empty() };
  return { epoch, head, chunks: chunks as Map<string, Person>[] };
}

/** The people noted as changed from window `from` on, each as MongoDB holds them now (null: gone). */
async function changedSince(db: Db, from: number): Promise<Map<string, Person | null> | null> {
  const { found } = await readWindows(from, (w) => changesOf(db).find({ changeWindow: w }).toArray());
  const ids = new Set(found.map((c) => c.participantId.toHexString()));
  // Many people changed (a long bulk call): one read of everyone costs less than one each.
  if (ids.size > MAX_REREADS) return null;
  const now = new Map<string, Person | null>();
  for (const id of ids) {
    const person = await personOf(db, { _id: new ObjectId(id) });
    now.set(id, person && slim(person));
  }
  return now;
}

/** Changes applied to the chunks; the chunks touched. */
function apply(chunks: Map<string, Person>[], changes: Map<string, Person | null>): Set<number> {
  const touched = new Set<number>();
  for (const [id, person] of changes) {
    const n = chunkOf(new ObjectId(id));
    touched.add(n);
    if (person) chunks[n]?.set(id, person);
    else chunks[n]?.delete(id);
  }
  return touched;
}

export function createDirectoryCopy(db: Db, redis: Redis, stamps: Stamps) {
  /** What this instance packed last, while it leads: the next pass reads only what changed. */
  let held: Held = [];
  /** One pass of the leader: the copy brought up to date (packed whole when there is none). */
  async function pass(): Promise<{ people: number; chunksWritten: number; changes: number | null }> {
    const now = Date.now();
    const from = await claimable(redis, now);
    const { epoch, head, chunks } = await readCopy(db, now, held);
    let touched: Set<number>;
    const changed = head && (await changedSince(db, head.from));
    if (changed) touched = apply(chunks, changed);
    else {
      for (const chunk of chunks) chunk.clear();
      for await (const p of everyPerson(db)) chunks[chunkOf(p._id)]?.set(p._id.toHexString(), slim(p));
      touched = new Set(chunks.keys());
    }
    const versions = chunks.map((_, n) => (touched.has(n) ? newVersion() : (head?.versions[n] ?? "")));
    for (const n of touched)
      await copyOf(db).replaceOne(
        { _id: chunkId(n) },
        { version: versions[n] as string, people: packPeople(chunks[n]?.values() ?? []) },
        { upsert: true },
      );
    await copyOf(db).replaceOne(
      { _id: "head" },
      { epoch, from: Math.max(from, head?.from ?? from), versions },
      { upsert: true },
    );
    held = chunks.map((people, n) => ({ version: versions[n] as string, people }));
    return {
      people: chunks.reduce((n, c) => n + c.size, 0),
      chunksWritten: touched.size,
      changes: changed?.size ?? null,
    };
  }

  return {
    pass,
    /** Everyone, from the copy and what changed since; null when there is no copy to use. */
    async load(): Promise<Person[] | null> {
      const { head, chunks } = await readCopy(db, Date.now(), []);
      const changed = head && (await changedSince(db, head.from));
      if (!changed) return null;
      apply(chunks, changed);
      return chunks.flatMap((c) => [...c.values()]);
    },
    /** A participant was written: noted, stamped, so the next pass and every start read them again. */
    noteChange(participantId: ObjectId): Promise<unknown> {
      return stamps.during(({ changeWindow, at }) =>
        changesOf(db).insertOne({ _id: new ObjectId(), participantId, changeWindow, at }),
      );
    },
    forget: () => forgetDirectoryCopy(db),
  };
}

export type DirectoryCopy = ReturnType<typeof createDirectoryCopy>;
