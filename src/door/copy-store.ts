import { deflateRawSync, inflateRawSync } from "node:zlib";
import { Binary, type Db, type FindCursor, ObjectId } from "mongodb";
import { type CheckInDoc, checkinsOf } from "../checkin/repo";
import { type IndexSpec, pacedRead } from "../infra/mongo";
import { readWindows } from "../infra/windows";
import { type CopyEntries, type Delta, emptyDelta, unpackCopy, unpackRemoved } from "./copy-entries";

// The documents of the door's copies (copies.ts): a head per session, its base and its delta,
// the removals, and the epoch.

export interface HeadDoc {
  /** The session id (hex). */
  _id: string;
  sessionId: ObjectId;
  /** The data it was packed from: a head of another epoch describes data since replaced. */
  epoch: string;
  /** Every change stamped in a window before this one is in the copy. */
  from: number;
  /** The base's version; "" no check-in at all; null too large to copy. */
  version: string | null;
  /** The delta's version; "" none. */
  delta: string;
  at: Date;
}

export interface BaseDoc {
  _id: string;
  sessionId: ObjectId;
  version: string;
  /** The packed lines, deflated: FerretDB spends its time on a base per byte (24 MB of lines on the 10× conference, 1.5 s to read). */
  deflated: Binary;
}

// Text encoders rather than Buffer: the same code runs a whole instance under Deno.
export const deflated = (packed: string) => new Binary(deflateRawSync(new TextEncoder().encode(packed)));
/** The lines of a base; null for one this code cannot read (another format): its session is read whole. */
function inflated(doc: BaseDoc): string | null {
  try {
    return new TextDecoder().decode(inflateRawSync(doc.deflated.buffer));
  } catch {
    return null;
  }
}

interface DeltaDoc {
  _id: string;
  sessionId: ObjectId;
  version: string;
  entries: string;
  removed: string;
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

interface EpochDoc {
  _id: "epoch";
  value: string;
}

export const headsOf = (db: Db) => db.collection<HeadDoc>("door_copy_heads");
// Kept among the heads (it has no `epoch` of its own, so no read of heads meets it).
const epochOf = (db: Db) => db.collection<EpochDoc>("door_copy_heads");
export const basesOf = (db: Db) => db.collection<BaseDoc>("door_copies");
export const deltasOf = (db: Db) => db.collection<DeltaDoc>("door_copy_deltas");
export const removalsOf = (db: Db) => db.collection<RemovalDoc>("checkin_removals");

/**
 * Created at start-up with the others: FerretDB 1.x creates a collection under a lock that,
 * taken while writes are under way, can stall every connection.
 */
export const COPY_INDEXES: IndexSpec[] = [
  { collection: "door_copy_heads", key: { epoch: 1 } },
  { collection: "door_copies", key: { sessionId: 1 } },
  { collection: "door_copy_deltas", key: { sessionId: 1 } },
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
  await basesOf(db).deleteMany({});
  await deltasOf(db).deleteMany({});
  await removalsOf(db).deleteMany({});
}

export const currentEpoch = async (db: Db) => (await epochOf(db).findOne({ _id: "epoch" }))?.value ?? "";

export async function readHeads(db: Db, epoch: string): Promise<Map<string, HeadDoc>> {
  const heads = await headsOf(db).find({ epoch }).toArray();
  return new Map(heads.map((h) => [h._id, h]));
}

/**
 * The leader's reads and writes go a little at a time with a pause, so FerretDB never spends a
 * burst on them while doors wait (the demo at 300 scans/s: p99 48–53 ms with the changes read
 * at once, 35–41 ms paced so, 22–25 ms without copies).
 */
export const PACE = { batch: 64, pauseMs: 40 };

/**
 * Check-ins changed and removed from window `from` on, in the order read (a later read is a
 * later version); `paced` for the leader's passes, at once for a start.
 */
export async function changesFrom(db: Db, from: number, paced = false) {
  const all = <T>(cursor: FindCursor<T>) =>
    paced ? pacedRead(cursor, PACE.batch, PACE.pauseMs) : cursor.toArray();
  // The removals after the changes, so a check-in removed meanwhile is taken out again.
  const changed = await readWindows(from, (w) => all(checkinsOf(db).find({ changeWindow: w })));
  const removed = await readWindows(from, (w) => all(removalsOf(db).find({ changeWindow: w })));
  return { changed: changed.found, removed: removed.found, windows: changed.windows };
}

export type Changes = Awaited<ReturnType<typeof changesFrom>>;

/**
 * The changes of each session since its head, grouped once: a pass or a start asks for every
 * session's, and filtering all the changes per session blocked the leader's event loop (and its
 * doors) for a tenth of a second on the demo, more on a larger conference.
 */
export function changesBySession(all: Changes) {
  const changed = new Map<string, CheckInDoc[]>();
  const removed = new Map<string, RemovalDoc[]>();
  const add = <T>(groups: Map<string, T[]>, key: string, item: T) => {
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  };
  for (const c of all.changed) add(changed, c.sessionId.toHexString(), c);
  for (const r of all.removed) add(removed, r.sessionId.toHexString(), r);
  return (head: HeadDoc): { changed: CheckInDoc[]; removed: Set<string> } => ({
    changed: (changed.get(head._id) ?? []).filter((c) => (c.changeWindow ?? 0) >= head.from),
    removed: new Set(
      (removed.get(head._id) ?? [])
        .filter((r) => r.changeWindow >= head.from)
        .map((r) => r._id.toHexString()),
    ),
  });
}

/** A session's copy as its head names it. */
export interface CopyState {
  version: string;
  base: CopyEntries;
  delta: string;
  changes: Delta;
}

/** Up to this many copies are read one by one; more, in one pass over their collections. */
const ONE_BY_ONE = 16;

/**
 * The copies these heads name, by session, taken from `known` when it holds the versions named;
 * a copy replaced meanwhile (another version stored) is left out.
 */
export async function readStates(
  db: Db,
  heads: HeadDoc[],
  known: Map<string, CopyState> = new Map(),
): Promise<Map<string, CopyState>> {
  const states = new Map<string, CopyState>();
  const missing: HeadDoc[] = [];
  for (const h of heads) {
    const held = known.get(h._id);
    if (h.version === "" && h.delta === "")
      states.set(h._id, { version: "", base: new Map(), delta: "", changes: emptyDelta() });
    else if (held && held.version === h.version && held.delta === h.delta) states.set(h._id, held);
    else if (h.version !== null) missing.push(h);
  }
  if (missing.length === 0) return states;
  const many = missing.length > ONE_BY_ONE;
  const ids = missing.map((h) => h._id);
  const [bases, deltas] = await Promise.all([
    many ? basesOf(db).find({}).toArray() : Promise.all(ids.map((_id) => basesOf(db).findOne({ _id }))),
    many ? deltasOf(db).find({}).toArray() : Promise.all(ids.map((_id) => deltasOf(db).findOne({ _id }))),
  ]);
  const baseOf = new Map(bases.flatMap((b) => (b ? [[b._id, b] as const] : [])));
  const deltaOf = new Map(deltas.flatMap((d) => (d ? [[d._id, d] as const] : [])));
  for (const h of missing) {
    const base = baseOf.get(h._id);
    const delta = deltaOf.get(h._id);
    if (h.version !== "" && base?.version !== h.version) continue;
    if (h.delta !== "" && delta?.version !== h.delta) continue;
    const lines = h.version === "" || !base ? "" : inflated(base);
    if (lines === null) continue;
    states.set(h._id, {
      version: h.version ?? "",
      base: unpackCopy(lines),
      delta: h.delta,
      changes:
        h.delta === "" || !delta
          ? emptyDelta()
          : { upserts: unpackCopy(delta.entries), removed: unpackRemoved(delta.removed) },
    });
  }
  return states;
}
