import { type Db, ObjectId } from "mongodb";
import { bulkWriteInSteps, isDuplicateKey } from "../infra/mongo";
import { registrationsOf } from "./repo";
import { REGISTRATION_STATUSES, type RegistrationStatus } from "./statuses";

// Each session's registrations packed into one document, so that a starting instance reads
// the conference in a few hundred documents instead of every registration: FerretDB spends
// about 40 µs of CPU on each document it returns (80,000 registrations: 3.4 s; their 300
// packed copies: 50 ms).
//
// A copy is trusted only when it provably holds every write, without transactions and
// without atomic updates (FerretDB 1.x runs an update as read, change, write back, so two at
// once may lose one). It rests on what is atomic there: inserting a unique `_id`.
// - Every writer inserts a mark for the session before it writes, and sets it done after
//   (only its owner ever changes a mark).
// - A copy is version n+1 of the session, inserted only if that version is free, by someone
//   who read version n, then the marks (all done), then the registrations. It then deletes
//   exactly the marks it read, unless a newer version appeared meanwhile (then it withdraws).
// - A start trusts the newest version when no mark is left for the session; otherwise it reads
//   the registrations (and packs them again as above).
// A mark not done after WRITER_DEAD_MS is taken as its writer's death, not as a write to come.

export type Packed = Partial<Record<RegistrationStatus, string>>;

export interface CopyDoc {
  /** "<session>:<version>": the unique index that lets only one writer make each version. */
  _id: string;
  sessionId: ObjectId;
  version: number;
  /** Participant ids (24 hex digits each, end to end) by registration status. */
  ids: Packed;
  /** The marks it holds the writes of: they may still be there, being deleted, when it is read. */
  covered?: ObjectId[];
}

export interface MarkDoc {
  _id: ObjectId;
  sessionId: ObjectId;
  at: Date;
  done: boolean;
  /**
   * Set with `done` by a writer of single registrations: the state it left each participant
   * in (a status, "" removed, "?" not known). Absent: the write is not listed (an import), and
   * packing reads the session's registrations.
   */
  wrote?: Record<string, string>;
}

/** A writer whose mark is not done after this long died there. */
export const WRITER_DEAD_MS = 10 * 60_000;

/** Up to this many sessions without a trusted copy are read one by one; more, in one pass. */
const ONE_BY_ONE = 16;

const ID_LENGTH = 24;

/** What a copy needs of a registration. */
const PROJECTION = { participantId: 1, sessionId: 1, status: 1, _id: 0 };

const copiesOf = (db: Db) => db.collection<CopyDoc>("registration_copies");
export const marksOf = (db: Db) => db.collection<MarkDoc>("registration_marks");

type Registration = { participantId: ObjectId; status: RegistrationStatus };

export function pack(regs: readonly Registration[]): Packed {
  return packEntries(regs.map((r) => [r.participantId.toHexString(), r.status]));
}

/** Packs [participant id (hex), status] pairs. */
export function packEntries(entries: Iterable<readonly [string, RegistrationStatus]>): Packed {
  const ids: Packed = {};
  for (const [id, status] of entries) ids[status] = (ids[status] ?? "") + id;
  return ids;
}

const isStatus = (state: string): state is RegistrationStatus =>
  (REGISTRATION_STATUSES as readonly string[]).includes(state);

/**
 * A copy with the writes its marks list applied on top: `unsure` are the participants whose
 * state the marks cannot tell (written under two marks, whose order is unknown, or with an
 * outcome their writer never heard) and must be read from MongoDB. Null when a mark does not
 * list its writes.
 */
export function applyWrites(
  ids: Packed,
  marks: readonly MarkDoc[],
): { entries: Map<string, RegistrationStatus>; unsure: string[] } | null {
  if (marks.some((m) => !m.wrote)) return null;
  const entries = new Map(unpack(ids));
  const times = new Map<string, number>();
  for (const m of marks) for (const id of Object.keys(m.wrote ?? {})) times.set(id, (times.get(id) ?? 0) + 1);
  const unsure = new Set<string>();
  for (const m of marks)
    for (const [id, state] of Object.entries(m.wrote ?? {})) {
      // Not a participant id: nothing any registration could be (a list is only ever ours).
      if (!/^[0-9a-f]{24}$/.test(id)) continue;
      if (times.get(id) !== 1 || !(state === "" || isStatus(state))) unsure.add(id);
      else if (state === "") entries.delete(id);
      else entries.set(id, state);
    }
  return { entries, unsure: [...unsure] };
}

/** The participant ids of one status in a packed copy. */
export function idsWith(ids: Packed, status: RegistrationStatus): string[] {
  const all = ids[status] ?? "";
  return Array.from({ length: all.length / ID_LENGTH }, (_, i) =>
    all.slice(i * ID_LENGTH, (i + 1) * ID_LENGTH),
  );
}

/** Every [participant id, status] of a packed copy. */
export function* unpack(ids: Packed): Generator<[string, RegistrationStatus]> {
  for (const status of REGISTRATION_STATUSES) for (const id of idsWith(ids, status)) yield [id, status];
}

/** The newest version among a session's copies (null when there is none). */
export const newest = (copies: CopyDoc[]): CopyDoc | null =>
  copies.reduce<CopyDoc | null>((best, c) => (best === null || c.version > best.version ? c : best), null);

/** Whether packing now would hold every write these marks stand for: all done, or their writers dead. */
export const coverable = (marks: MarkDoc[], now: number): boolean =>
  marks.every((m) => m.done || now - m.at.getTime() > WRITER_DEAD_MS);

/** What was read, before the registrations, that a new copy must be checked against. */
export interface Seen {
  version: number;
  marks: MarkDoc[];
}

/**
 * Inserts version `seen.version + 1` of the session's copy, then deletes the marks it covers
 * and the older versions; withdraws when that version was taken or a newer one exists.
 */
export async function packAgain(db: Db, sessionId: ObjectId, seen: Seen, ids: Packed): Promise<boolean> {
  if (!coverable(seen.marks, Date.now())) return false;
  const version = seen.version + 1;
  const _id = `${sessionId.toHexString()}:${version}`;
  try {
    await copiesOf(db).insertOne({ _id, sessionId, version, ids, covered: seen.marks.map((m) => m._id) });
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
  const latest = newest(
    await copiesOf(db)
      .find({ sessionId }, { projection: { ids: 0 } })
      .toArray(),
  );
  if ((latest?.version ?? 0) > version) {
    await copiesOf(db).deleteOne({ _id });
    return false;
  }
  if (seen.marks.length > 0)
    await marksOf(db).bulkWrite(seen.marks.map((m) => ({ deleteOne: { filter: { _id: m._id } } })));
  await copiesOf(db).deleteMany({ sessionId, version: { $lt: version } });
  return true;
}

/** More participants than this to read one by one, and the session is read whole instead. */
const UNSURE_AT_MOST = 64;

/**
 * After a burst of single writes: version n+1 is version n with the writes its marks list
 * applied, so the cost follows the burst, not the session's size. The copy is read before the
 * marks, and every mark a copy covers is named in it: a mark read and not named there was made
 * after that copy's packer read the marks, so its write came after every write the copy holds;
 * a mark made after these were read stays, and the new copy is not trusted until its own
 * writer packs. "read": the marks cannot tell (no copy yet, a mark that lists
 * nothing, a dead writer, too many to read one by one): the caller reads the session whole.
 * "waiting": a write is still running; its writer packs when it is done.
 */
export async function packFromMarks(db: Db, sessionId: ObjectId): Promise<"packed" | "waiting" | "read"> {
  // Twice more when another packer took the version: its copy may not cover these marks.
  for (let attempt = 0; attempt < 3; attempt++) {
    const copy = newest(await copiesOf(db).find({ sessionId }).toArray());
    const marks = await marksOf(db).find({ sessionId }).toArray();
    if (marks.length === 0 && copy) return "packed";
    if (!coverable(marks, Date.now())) return "waiting";
    // Marks the copy holds already are skipped: one may be read while its packer deletes them
    // one by one, and applying it again could undo a later write whose mark is already gone.
    const held = new Set((copy?.covered ?? []).map(String));
    const applied = copy
      ? applyWrites(
          copy.ids,
          marks.filter((m) => !held.has(String(m._id))),
        )
      : null;
    if (!copy || !applied || applied.unsure.length > UNSURE_AT_MOST) return "read";
    for (const id of applied.unsure) {
      const found = await registrationsOf(db).findOne(
        { sessionId, participantId: new ObjectId(id) },
        { projection: PROJECTION },
      );
      if (found) applied.entries.set(id, found.status);
      else applied.entries.delete(id);
    }
    if (await packAgain(db, sessionId, { version: copy.version, marks }, packEntries(applied.entries)))
      return "packed";
  }
  return "read";
}

/** A write still running marks its sessions again this often, so it never looks dead (WRITER_DEAD_MS). */
const MARK_AGAIN_MS = 2 * 60_000;

/**
 * Runs a write to the registrations of these sessions between its marks: inserted before,
 * done after (whether it succeeded or not), so no copy packed meanwhile is trusted.
 */
export async function writingRegistrations<T>(
  db: Db,
  sessionIds: ObjectId[],
  write: () => Promise<T>,
): Promise<T> {
  if (sessionIds.length === 0) return write();
  const marks: MarkDoc[] = [];
  const mark = async () => {
    const fresh = sessionIds.map((sessionId) => ({
      _id: new ObjectId(),
      sessionId,
      at: new Date(),
      done: false,
    }));
    marks.push(...fresh);
    await marksOf(db).insertMany(fresh);
  };
  await mark();
  let again = Promise.resolve();
  // A failed re-mark only shortens the time before the write looks dead: the first marks stand.
  const timer = setInterval(() => {
    again = mark().catch(() => undefined);
  }, MARK_AGAIN_MS);
  try {
    return await write();
  } finally {
    clearInterval(timer);
    await again;
    // A mark left not done is safe (its copy is not trusted until the writer looks dead, and
    // by then the write is over): the write's own outcome is what the caller must hear.
    await bulkWriteInSteps(
      marksOf(db),
      marks.map((m) => ({ updateOne: { filter: { _id: m._id }, update: { $set: { done: true } } } })),
    ).catch(() => undefined);
  }
}

/** A session's registrations as MongoDB holds them now; its copy is packed again from them. */
export async function refreshRoster(db: Db, sessionId: ObjectId): Promise<Packed> {
  const marks = await marksOf(db).find({ sessionId }).toArray();
  const copies = await copiesOf(db)
    .find({ sessionId }, { projection: { ids: 0 } })
    .toArray();
  const seen = { version: newest(copies)?.version ?? 0, marks };
  const ids = pack(await registrationsOf(db).find({ sessionId }, { projection: PROJECTION }).toArray());
  await packAgain(db, sessionId, seen, ids);
  return ids;
}

/** Registrations of `sessionIds`, sorted by session: one pass, or one query each when few. */
async function* readRegistrations(db: Db, sessionIds: ObjectId[], everything: boolean) {
  if (sessionIds.length > ONE_BY_ONE) {
    const wanted = new Set(sessionIds.map(String));
    const filter = ofSessions(sessionIds, everything);
    const all = registrationsOf(db).find(filter, { projection: PROJECTION }).sort({ sessionId: 1 });
    for await (const r of all.batchSize(5000)) if (wanted.has(String(r.sessionId))) yield r;
    return;
  }
  for (const sessionId of sessionIds)
    yield* registrationsOf(db).find({ sessionId }, { projection: PROJECTION });
}

/** Each session's registrations grouped as they stream by (sorted by session), then the ones with none. */
async function* bySession(db: Db, sessionIds: ObjectId[], everything: boolean) {
  const done = new Set<string>();
  let current: ObjectId | null = null;
  let regs: Registration[] = [];
  for await (const r of readRegistrations(db, sessionIds, everything)) {
    if (current !== null && !r.sessionId.equals(current)) {
      yield [current, regs] as const;
      done.add(String(current));
      regs = [];
    }
    current = r.sessionId;
    regs.push(r);
  }
  if (current !== null) {
    yield [current, regs] as const;
    done.add(String(current));
  }
  for (const sessionId of sessionIds) if (!done.has(String(sessionId))) yield [sessionId, []] as const;
}

/**
 * The filter for documents of these sessions (`everything`: all there are). One session by
 * equality, which FerretDB answers by index; `$in` it answers by reading every document.
 */
export function ofSessions(
  sessionIds: ObjectId[],
  everything: boolean,
): { sessionId?: ObjectId | { $in: ObjectId[] } } {
  const [only] = sessionIds;
  if (everything) return {};
  return sessionIds.length === 1 && only ? { sessionId: only } : { sessionId: { $in: sessionIds } };
}

const bySessionId = <T extends { sessionId: ObjectId }>(docs: T[]) => {
  const by = new Map<string, T[]>();
  for (const d of docs) {
    const list = by.get(String(d.sessionId));
    if (list) list.push(d);
    else by.set(String(d.sessionId), [d]);
  }
  return by;
};

/**
 * The marks, then the copies, of these sessions, by session. In that order: a copy read
 * first could be superseded, and its marks deleted, before the marks are read.
 */
async function marksThenCopies(db: Db, sessionIds: ObjectId[], everything: boolean) {
  const marks = await marksOf(db).find(ofSessions(sessionIds, everything)).toArray();
  const copies = await copiesOf(db).find(ofSessions(sessionIds, everything)).toArray();
  return { copies: bySessionId(copies), marks: bySessionId(marks) };
}

/**
 * Every session's registrations, one session at a time (`visit` is awaited, so memory holds
 * one session): from its copy where that is trusted, else from the registrations, which are
 * then packed again. `everything`: these are all the sessions there are.
 */
export async function eachRoster(
  db: Db,
  sessionIds: ObjectId[],
  visit: (sessionId: ObjectId, ids: Packed) => Promise<void>,
  everything = false,
): Promise<void> {
  const known = await marksThenCopies(db, sessionIds, everything);
  const unread: ObjectId[] = [];
  const seen = new Map<string, Seen>();
  for (const sessionId of sessionIds) {
    const key = String(sessionId);
    const copy = newest(known.copies.get(key) ?? []);
    const marks = known.marks.get(key) ?? [];
    if (copy && marks.length === 0) await visit(sessionId, copy.ids);
    else {
      unread.push(sessionId);
      seen.set(key, { version: copy?.version ?? 0, marks });
    }
  }
  // One packing at a time, behind the reads: each is a handful of small writes, and hundreds
  // at once would queue every connection FerretDB has (its update holds one, then asks for another).
  let packing = Promise.resolve();
  for await (const [sessionId, regs] of bySession(
    db,
    unread,
    everything && unread.length === sessionIds.length,
  )) {
    const ids = pack(regs);
    // Packing only saves the next start a read: one that fails leaves the marks, which is safe.
    const saved = seen.get(String(sessionId)) ?? { version: 0, marks: [] };
    packing = packing.then(() =>
      packAgain(db, sessionId, saved, ids).then(
        () => undefined,
        () => undefined,
      ),
    );
    await visit(sessionId, ids);
  }
  await packing;
}
