import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import { type CheckInDoc, checkinsOf } from "../checkin/repo";
import { bulkWriteInSteps, isDuplicateKey, pacedRead } from "../infra/mongo";
import type { Stamps } from "../infra/stamps";
import { claimable, lowWaterPublisher, recent } from "../infra/windows";
import { sessionsOf } from "../sessions/repo";
import {
  addChanges,
  applyLines,
  type CopyEntries,
  type Delta,
  deltaSize,
  emptyDelta,
  entryFields,
  linesOf,
  packCopy,
  packRemoved,
} from "./copy-entries";
import {
  type BaseDoc,
  basesOf,
  type CopyState,
  changesBySession,
  changesFrom,
  currentEpoch,
  deflated,
  deltasOf,
  type HeadDoc,
  headsOf,
  PACE,
  readHeads,
  readStates,
  removalsOf,
} from "./copy-store";

// Each session's check-ins packed into a base and a delta (its copy), so that an instance
// starting after Redis lost the door state reads a few hundred documents instead of every
// check-in (FerretDB returns about 10,000 documents a second: 52,200 check-ins took 5 s).
//
// The scheduler's leader packs the copies every COPY_INTERVAL_MS (10 s). A copy holds every change made
// in the windows before its head's `from` (infra/stamps.ts): `from` is the window of the lowest
// low water the instances published, less the clock skew allowed between them. What changed
// since (a check-in written, left, re-entered or given another seat; a check-in removed) is
// found window by window, by index, and applied on top: by the next pass, and by a start.
//
// A head names its copy's versions: a copy replaced by another pass meanwhile, a head too old,
// or no head at all, and the session is read whole, as before copies existed. No transaction
// is needed: each document is written whole, and a head is written after its copy. The leader
// keeps what it packed, so a pass reads only what changed.

/** Sessions without a copy packed from a whole read, per pass. */
const WHOLE_READS_PER_PASS = 50;
/** A base larger than this is not written (a document holds 16 MB): the session is read whole. */
const MAX_PACKED = 8 * 1024 * 1024;
/** A delta is folded into its base once it holds this many changes, or a quarter of the base. */
const MIN_DELTA = 32;

export { COPY_INDEXES, forgetDoorCopies } from "./copy-store";

/** A head lagging the newest by more than this many windows is left out (its session read whole). */
const LAGGING = 4;

/**
 * The heads worth their changes: recent, and close to the newest (one lagging head would make
 * a pass or a start read every change since it, for every session).
 */
export function current(heads: (HeadDoc | undefined)[], now: number): HeadDoc[] {
  const recentOnes = heads.filter((h): h is HeadDoc => h !== undefined && recent(h.from, now));
  const newest = Math.max(...recentOnes.map((h) => h.from));
  return recentOnes.filter((h) => h.from >= newest - LAGGING);
}

/**
 * One turn of the event loop between sessions of a pass: packing a session's copy takes a few
 * milliseconds, and the leader's doors are answered in between rather than after all of them.
 * A start does not yield: its doors wait for the state it builds anyway (with doors scanning,
 * starts from the copies that yielded took 7.0–9.1 s against 6.0–6.9 s without).
 */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const newVersion = (from: number) => `${from}.${Math.random().toString(36).slice(2, 10)}`;

/** What one pass writes: bases, deltas, then the heads that name them. */
function passWrites(epoch: string, from: number, at: Date) {
  const bases: BaseDoc[] = [];
  const deltas: { _id: string; sessionId: ObjectId; version: string; entries: string; removed: string }[] =
    [];
  const heads: HeadDoc[] = [];
  const states = new Map<string, CopyState>();
  const head = (sessionId: ObjectId, version: string | null, delta: string): HeadDoc => ({
    _id: sessionId.toHexString(),
    sessionId,
    epoch,
    from,
    version,
    delta,
    at,
  });
  return {
    bases,
    deltas,
    heads,
    states,
    /** A base packed again (its delta folded in). */
    base(sessionId: ObjectId, entries: CopyEntries): void {
      const packed = packCopy(entries);
      const version = entries.size === 0 ? "" : packed.length > MAX_PACKED ? null : newVersion(from);
      if (version)
        bases.push({ _id: sessionId.toHexString(), sessionId, version, deflated: deflated(packed) });
      heads.push(head(sessionId, version, ""));
      if (version !== null)
        states.set(sessionId.toHexString(), { version, base: entries, delta: "", changes: emptyDelta() });
    },
    /** Changes kept beside an unchanged base. */
    delta(sessionId: ObjectId, state: CopyState, changes: Delta): void {
      const version = newVersion(from);
      deltas.push({
        _id: sessionId.toHexString(),
        sessionId,
        version,
        entries: packCopy(changes.upserts),
        removed: packRemoved(changes.removed),
      });
      heads.push(head(sessionId, state.version, version));
      states.set(sessionId.toHexString(), { ...state, delta: version, changes });
    },
    /** Nothing changed: the head claims more. */
    same(known: HeadDoc, state: CopyState | undefined): void {
      heads.push({ ...known, from: Math.max(known.from, from), at });
      if (state) states.set(known._id, state);
    },
  };
}

async function store(db: Db, writes: ReturnType<typeof passWrites>): Promise<void> {
  const replace = <T extends { _id: string }>(doc: T) => ({
    replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true },
  });
  const { pauseMs } = PACE;
  if (writes.bases.length > 0) await bulkWriteInSteps(basesOf(db), writes.bases.map(replace), pauseMs);
  if (writes.deltas.length > 0) await bulkWriteInSteps(deltasOf(db), writes.deltas.map(replace), pauseMs);
  if (writes.heads.length > 0) await bulkWriteInSteps(headsOf(db), writes.heads.map(replace), pauseMs);
}

/**
 * The door state's check-in fields of these sessions, from their copies and what changed
 * since; a session left out is read whole by the caller.
 */
async function fieldsFromCopies(db: Db, sessionIds: ObjectId[]): Promise<Map<string, string[]>> {
  const now = Date.now();
  const heads = await readHeads(db, await currentEpoch(db));
  const wanted = current(
    sessionIds.map((id) => heads.get(id.toHexString())),
    now,
  ).filter((h) => h.version !== null);
  const built = new Map<string, string[]>();
  if (wanted.length === 0) return built;
  const states = await readStates(db, wanted);
  const changesOf = changesBySession(await changesFrom(db, Math.min(...wanted.map((h) => h.from))));
  for (const head of wanted) {
    const state = states.get(head._id);
    if (state === undefined) continue;
    const { changed, removed } = changesOf(head);
    const copied = applyLines(state.base, state.changes.upserts, state.changes.removed);
    built.set(head._id, entryFields(applyLines(copied, linesOf(changed), removed)));
  }
  return built;
}

export function createDoorCopies(parts: { db: Db; redis: Redis; stamps: Stamps; instanceId: string }) {
  const { db, redis, stamps, instanceId } = parts;
  /** What this instance packed last, while it leads: the next pass reads only what changed. */
  let packed = new Map<string, CopyState>();

  /** One pass of the leader: every session's copy brought up to date. */
  async function pass() {
    const now = Date.now();
    const epoch = await currentEpoch(db);
    const from = await claimable(redis, now);
    const [sessions, heads] = await Promise.all([
      sessionsOf(db)
        .find({}, { projection: { _id: 1 } })
        .toArray(),
      readHeads(db, epoch),
    ]);
    const known = current(
      sessions.map((s) => heads.get(s._id.toHexString())),
      now,
    );
    const states = await readStates(db, known, packed);
    const all = await changesFrom(db, Math.min(from, ...known.map((h) => h.from)), true);
    const changesOf = changesBySession(all);
    const writes = passWrites(epoch, from, new Date(now));
    for (const head of known) {
      const state = states.get(head._id);
      // Too large to copy: left to be read whole, not read again every pass.
      if (head.version === null) writes.same(head, undefined);
      if (head.version === null || !state) continue;
      await nextTurn();
      const { changed, removed } = changesOf(head);
      if (changed.length === 0 && removed.size === 0) {
        writes.same(head, state);
        continue;
      }
      const changes = addChanges(state.changes, linesOf(changed), removed);
      if (deltaSize(changes) > Math.max(MIN_DELTA, state.base.size / 4))
        writes.base(head.sessionId, applyLines(state.base, changes.upserts, changes.removed));
      else writes.delta(head.sessionId, state, changes);
    }
    // Sessions without a copy (new, or one replaced meanwhile): read whole, a few per pass.
    const covered = new Set(writes.heads.map((h) => h._id));
    const whole = sessions.filter((s) => !covered.has(s._id.toHexString())).slice(0, WHOLE_READS_PER_PASS);
    for (const { _id } of whole)
      writes.base(
        _id,
        linesOf(await pacedRead(checkinsOf(db).find({ sessionId: _id }), PACE.batch, PACE.pauseMs)),
      );
    await store(db, writes);
    packed = writes.states;
    return {
      sessions: writes.heads.length,
      bases: writes.bases.length,
      deltas: writes.deltas.length,
      changes: all.changed.length + all.removed.length,
      windows: all.windows,
    };
  }

  /** Deletes a check-in, its removal written first (under the same stamp) so copies drop it too. */
  function removing<T>(
    doc: Pick<CheckInDoc, "_id" | "sessionId" | "participantId">,
    remove: () => Promise<T>,
  ) {
    return stamps.during(async ({ at, changeWindow }) => {
      const { _id, sessionId, participantId } = doc;
      await removalsOf(db)
        .insertOne({ _id, sessionId, participantId, changeWindow, at })
        .catch((error: unknown) => {
          // Removed once already (a retry): the first record stands.
          if (!isDuplicateKey(error)) throw error;
        });
      return remove();
    });
  }

  const lowWater = lowWaterPublisher(redis, stamps, instanceId);

  return {
    pass,
    forBuild: (sessionIds: ObjectId[]) => fieldsFromCopies(db, sessionIds),
    removing,
    /** A session deleted: its copy goes with it. */
    async dropSession(sessionId: ObjectId): Promise<void> {
      const _id = sessionId.toHexString();
      await Promise.all([
        headsOf(db).deleteOne({ _id }),
        basesOf(db).deleteOne({ _id }),
        deltasOf(db).deleteOne({ _id }),
      ]);
    },
    /** This instance's low water, published every second (infra/windows.ts) until stopped. */
    start: lowWater.start,
    stop: lowWater.stop,
  };
}

export type DoorCopies = ReturnType<typeof createDoorCopies>;
