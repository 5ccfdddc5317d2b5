import type Redis from "ioredis";
import { type Db, ObjectId } from "mongodb";
import { type CheckInDoc, checkinsOf } from "../checkin/repo";
import { bulkWriteInSteps, type IndexSpec, isDuplicateKey } from "../infra/mongo";
import type { Stamps } from "../infra/stamps";
import { claimable, lowWaterPublisher, readWindows, recent } from "../infra/windows";
import { sessionsOf } from "../sessions/repo";
import { applyChanges, type CopyEntries, entryFields, packCopy, unpackCopy } from "./copy-entries";

// Each session's check-ins packed into one document (its copy), so that an instance starting
// after Redis lost the door state reads a few hundred documents instead of every check-in
// (FerretDB returns about 10,000 documents a second: 65,000 check-ins take 6 s or more).
//
// The scheduler's leader packs the copies every COPY_EVERY_MS. A copy holds every change made
// in the windows before its head's `from` (stamps.ts): `from` is the window of the lowest low
// water the instances published, less the clock skew allowed between them. What changed since
// (a check-in written, left, re-entered or given another seat; a check-in removed) is found
// window by window, by index, and applied on top: by the next pass, and by a start.
//
// A head names its copy's version: a copy replaced by another pass meanwhile, a head too old,
// or no head at all, and the session is read whole, as before copies existed. No transaction
// is needed: each document is written whole, and a head is written after its copy.

/** Between two passes of the leader. */
export const COPY_EVERY_MS = 10_000;
/** Sessions without a copy packed from a whole read, per pass. */
const WHOLE_READS_PER_PASS = 50;
/** A copy larger than this is not written (a document holds 16 MB): the session is read whole. */
const MAX_PACKED = 8 * 1024 * 1024;
/** Up to this many copies are read one by one; more, in one pass over the collection. */
const ONE_BY_ONE = 16;

interface HeadDoc {
  /** The session id (hex). */
  _id: string;
  sessionId: ObjectId;
  /** The data it was packed from (EpochDoc): a head of another epoch describes data since replaced. */
  epoch: string;
  /** Every change stamped in a window before this one is in the copy. */
  from: number;
  /** The copy's version; "" no check-in at all; null too large to copy. */
  version: string | null;
  at: Date;
}

interface CopyDoc {
  _id: string;
  sessionId: ObjectId;
  version: string;
  entries: string;
}

/** A check-in removed (undone), written before it is deleted. */
export interface RemovalDoc {
  /** The check-in's id. */
  _id: ObjectId;
  sessionId: ObjectId;
  participantId: ObjectId;
  changeWindow: number;
  at: Date;
}

/** Changed by a restore, after it swaps the data in: heads packed before describe the old data. */
interface EpochDoc {
  _id: "epoch";
  value: string;
}

const headsOf = (db: Db) => db.collection<HeadDoc>("door_copy_heads");
// Kept among the heads (it has no `epoch` of its own, so no read of heads meets it).
const epochOf = (db: Db) => db.collection<EpochDoc>("door_copy_heads");
const copiesOf = (db: Db) => db.collection<CopyDoc>("door_copies");
export const removalsOf = (db: Db) => db.collection<RemovalDoc>("checkin_removals");

/**
 * Created at start-up with the others: FerretDB 1.x creates a collection under a lock that,
 * taken while writes are under way, can stall every connection.
 */
export const COPY_INDEXES: IndexSpec[] = [
  { collection: "door_copy_heads", key: { epoch: 1 } },
  { collection: "door_copies", key: { sessionId: 1 } },
  { collection: "checkin_removals", key: { changeWindow: 1 } },
];

/**
 * After a restore or a delete behind the product's back: every copy describes data replaced.
 * A pass under way may still write heads it packed from that data; they carry the old epoch
 * and are never used.
 */
export async function forgetDoorCopies(db: Db): Promise<void> {
  await epochOf(db).replaceOne({ _id: "epoch" }, { value: new ObjectId().toHexString() }, { upsert: true });
  await headsOf(db).deleteMany({ epoch: { $exists: true } });
  await copiesOf(db).deleteMany({});
  await removalsOf(db).deleteMany({});
}

const currentEpoch = async (db: Db) => (await epochOf(db).findOne({ _id: "epoch" }))?.value ?? "";

/** Check-ins changed and removed from window `from` on, in the order read (a later read is a later version). */
async function changesFrom(db: Db, from: number) {
  // The removals after the changes, so a check-in removed meanwhile is taken out again.
  const changed = await readWindows(from, (w) => checkinsOf(db).find({ changeWindow: w }).toArray());
  const removed = await readWindows(from, (w) => removalsOf(db).find({ changeWindow: w }).toArray());
  return { changed: changed.found, removed: removed.found, windows: changed.windows };
}

/** The changes of one session since its head. */
function changesOf(all: Awaited<ReturnType<typeof changesFrom>>, head: HeadDoc) {
  const changed = all.changed.filter(
    (c) => head.sessionId.equals(c.sessionId) && (c.changeWindow ?? 0) >= head.from,
  );
  const removed = new Set(
    all.removed
      .filter((r) => head.sessionId.equals(r.sessionId) && r.changeWindow >= head.from)
      .map((r) => r._id.toHexString()),
  );
  return { changed, removed };
}

const usable = (head: HeadDoc | undefined, now: number): head is HeadDoc =>
  head !== undefined && recent(head.from, now);

async function readHeads(db: Db, epoch: string): Promise<Map<string, HeadDoc>> {
  const heads = await headsOf(db).find({ epoch }).toArray();
  return new Map(heads.map((h) => [h._id, h]));
}

/** The copies these heads name, by session; a copy of another version is left out. */
async function readCopies(db: Db, heads: HeadDoc[]): Promise<Map<string, CopyEntries>> {
  const named = heads.filter((h) => h.version);
  const docs =
    named.length > ONE_BY_ONE
      ? await copiesOf(db).find({}).toArray()
      : (await Promise.all(named.map((h) => copiesOf(db).findOne({ _id: h._id })))).filter(
          (c): c is CopyDoc => c !== null,
        );
  const versions = new Map(named.map((h) => [h._id, h.version]));
  const copies = new Map<string, CopyEntries>();
  for (const h of heads) if (h.version === "") copies.set(h._id, new Map());
  for (const c of docs) if (versions.get(c._id) === c.version) copies.set(c._id, unpackCopy(c.entries));
  return copies;
}

/** One pass of the leader: every session's copy brought up to date. */
async function pass(
  db: Db,
  redis: Redis,
): Promise<{ sessions: number; repacked: number; changes: number; windows: number }> {
  const now = Date.now();
  const epoch = await currentEpoch(db);
  const from = await claimable(redis, now);
  const [sessions, heads] = await Promise.all([
    sessionsOf(db)
      .find({}, { projection: { _id: 1 } })
      .toArray(),
    readHeads(db, epoch),
  ]);
  const known = sessions.map((s) => heads.get(s._id.toHexString())).filter((h) => usable(h, now));
  const copies = await readCopies(db, known);
  const all = await changesFrom(db, Math.min(from, ...known.map((h) => h.from)));
  const written: { head: HeadDoc; copy?: CopyDoc }[] = [];
  const pack = (sessionId: ObjectId, entries: CopyEntries) => {
    const packed = packCopy(entries);
    const version = entries.size === 0 ? "" : `${from}.${Math.random().toString(36).slice(2, 10)}`;
    const head: HeadDoc = {
      _id: sessionId.toHexString(),
      sessionId,
      epoch,
      from,
      version,
      at: new Date(now),
    };
    if (packed.length > MAX_PACKED) written.push({ head: { ...head, version: null } });
    else
      written.push({
        head,
        ...(version ? { copy: { _id: head._id, sessionId, version, entries: packed } } : {}),
      });
  };
  let repacked = 0;
  for (const head of known) {
    const base = copies.get(head._id);
    const { changed, removed } = changesOf(all, head);
    if (base === undefined) continue;
    if (changed.length === 0 && removed.size === 0) {
      written.push({ head: { ...head, from: Math.max(head.from, from), at: new Date(now) } });
      continue;
    }
    repacked++;
    pack(head.sessionId, applyChanges(base, changed, removed));
  }
  // Sessions without a copy (new, too large, or one replaced meanwhile): read whole, a few per pass.
  const covered = new Set(written.map((w) => w.head._id));
  const whole = sessions.filter((s) => !covered.has(s._id.toHexString())).slice(0, WHOLE_READS_PER_PASS);
  for (const { _id } of whole) {
    const docs = await checkinsOf(db).find({ sessionId: _id }).toArray();
    repacked++;
    pack(_id, applyChanges(new Map(), docs, new Set()));
  }
  const copyWrites = written.flatMap((w) => (w.copy ? [w.copy] : []));
  if (copyWrites.length > 0)
    await bulkWriteInSteps(
      copiesOf(db),
      copyWrites.map((c) => ({ replaceOne: { filter: { _id: c._id }, replacement: c, upsert: true } })),
    );
  if (written.length > 0)
    await bulkWriteInSteps(
      headsOf(db),
      written.map(({ head }) => ({
        replaceOne: { filter: { _id: head._id }, replacement: head, upsert: true },
      })),
    );
  return {
    sessions: written.length,
    repacked,
    changes: all.changed.length + all.removed.length,
    windows: all.windows,
  };
}

export function createDoorCopies(parts: { db: Db; redis: Redis; stamps: Stamps; instanceId: string }) {
  const { db, redis, stamps, instanceId } = parts;

  /**
   * The door state's check-in fields of these sessions, from their copies and what changed
   * since; a session left out is read whole by the caller.
   */
  async function forBuild(sessionIds: ObjectId[]): Promise<Map<string, string[]>> {
    const now = Date.now();
    const heads = await readHeads(db, await currentEpoch(db));
    const wanted = sessionIds.map((id) => heads.get(id.toHexString())).filter((h) => usable(h, now));
    const built = new Map<string, string[]>();
    if (wanted.length === 0) return built;
    const copies = await readCopies(db, wanted);
    const all = await changesFrom(db, Math.min(...wanted.map((h) => h.from)));
    for (const head of wanted) {
      const base = copies.get(head._id);
      if (base === undefined) continue;
      const { changed, removed } = changesOf(all, head);
      built.set(head._id, entryFields(applyChanges(base, changed, removed)));
    }
    return built;
  }

  /** Deletes a check-in, its removal written first (under the same stamp) so copies drop it too. */
  function removing<T>(
    doc: Pick<CheckInDoc, "_id" | "sessionId" | "participantId">,
    remove: () => Promise<T>,
  ) {
    return stamps.during(async ({ at, changeWindow }) => {
      await removalsOf(db)
        .insertOne({
          _id: doc._id,
          sessionId: doc.sessionId,
          participantId: doc.participantId,
          changeWindow,
          at,
        })
        .catch((error: unknown) => {
          // Removed once already (a retry): the first record stands.
          if (!isDuplicateKey(error)) throw error;
        });
      return remove();
    });
  }

  const lowWater = lowWaterPublisher(redis, stamps, instanceId);

  return {
    pass: () => pass(db, redis),
    forBuild,
    removing,
    /** A session deleted: its copy goes with it. */
    async dropSession(sessionId: ObjectId): Promise<void> {
      await headsOf(db).deleteOne({ _id: sessionId.toHexString() });
      await copiesOf(db).deleteOne({ _id: sessionId.toHexString() });
    },
    /** This instance's low water, published every second (infra/windows.ts) until stopped. */
    start: lowWater.start,
    stop: lowWater.stop,
  };
}

export type DoorCopies = ReturnType<typeof createDoorCopies>;
