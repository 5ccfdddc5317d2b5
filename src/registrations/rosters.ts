import { type Db, type Filter, ObjectId } from "mongodb";
import { isDuplicateKey } from "../infra/mongo";
import { REGISTRATION_STATUSES, type RegistrationStatus, registrationsOf } from "./repo";

// Each session's registrations packed into one document, so that a starting instance reads
// the conference in a few hundred documents instead of every registration: FerretDB spends
// about 40 µs of CPU on each document it returns (80,000 registrations: 3.4 s; their 300
// packed copies: 50 ms). With no multi-document transactions, a copy is trusted only when
// it provably holds every write. Each writer enters itself in `writers` (and bumps `began`)
// before it writes and leaves after; a copy is rewritten from the registrations only while
// nobody is in, and kept only if nobody came in meanwhile (`built` = the `began` it was read
// at). No copy, a writer in, or one who died there: the registrations are read instead.

export interface RosterDoc {
  /** The session. */
  _id: ObjectId;
  /** Writers that ever came in. */
  began: number;
  built: number;
  /** Writers in now, as "<ms since epoch>:<random>" (absent when none ever was: FerretDB drops an empty array on upsert). */
  writers?: string[];
  /** Participant ids (24 hex digits each, end to end) by registration status. */
  ids: Partial<Record<RegistrationStatus, string>>;
}

export type Packed = RosterDoc["ids"];

/** A writer still counted in after this long died there: its copy may be rewritten. */
export const WRITER_DEAD_MS = 10 * 60_000;

/** Up to this many sessions without a trusted copy are read one by one; more, in one pass. */
const ONE_BY_ONE = 16;

const ID_LENGTH = 24;

const rostersOf = (db: Db) => db.collection<RosterDoc>("registration_rosters");

export function pack(regs: { participantId: ObjectId; status: RegistrationStatus }[]): Packed {
  const ids: Packed = {};
  for (const r of regs) ids[r.status] = (ids[r.status] ?? "") + r.participantId.toHexString();
  return ids;
}

/** Every [participant id, status] of a packed copy. */
export function* unpack(ids: Packed): Generator<[string, RegistrationStatus]> {
  for (const status of REGISTRATION_STATUSES) {
    const all = ids[status] ?? "";
    for (let at = 0; at < all.length; at += ID_LENGTH) yield [all.slice(at, at + ID_LENGTH), status];
  }
}

/** Whether a copy holds every registration of its session. */
export const trusted = (doc: RosterDoc | null): doc is RosterDoc =>
  doc !== null && (doc.writers ?? []).length === 0 && doc.built === doc.began;

const enteredAt = (writer: string) => Number(writer.slice(0, writer.indexOf(":")));

/**
 * Whether a copy may be rewritten now: nobody in ("write"), only writers in long enough to
 * be dead ("revive": take them out first), or not ("wait").
 */
export function rewriteRule(doc: RosterDoc | null, now: number): "write" | "revive" | "wait" {
  const writers = doc?.writers ?? [];
  if (writers.length === 0) return "write";
  return writers.every((w) => now - enteredAt(w) > WRITER_DEAD_MS) ? "revive" : "wait";
}

/** Writes the copy read after `seen`, unless someone came in meanwhile (then theirs follows). */
async function rewrite(db: Db, sessionId: ObjectId, seen: RosterDoc | null, ids: Packed): Promise<void> {
  const filter: Filter<RosterDoc> =
    seen === null ? { _id: sessionId, began: { $exists: false } } : { _id: sessionId, began: seen.began };
  await rostersOf(db)
    .updateOne(
      filter,
      { $set: { ids, built: seen?.began ?? 0 }, $setOnInsert: { began: 0 } },
      { upsert: seen === null },
    )
    .catch((error: unknown) => {
      // Created meanwhile by a writer coming in: this copy is already out of date.
      if ((error as { code?: number }).code !== 11000) throw error;
    });
}

/** May the registrations read after `seen` be written as its copy (taking dead writers out)? */
async function mayRewrite(db: Db, sessionId: ObjectId, seen: RosterDoc | null): Promise<boolean> {
  const rule = rewriteRule(seen, Date.now());
  if (rule === "revive" && seen) {
    for (const writer of seen.writers ?? [])
      await rostersOf(db).updateOne({ _id: sessionId }, { $pull: { writers: writer } });
  }
  return rule !== "wait";
}

/**
 * Runs a write to the registrations of these sessions with its writer entered in their
 * copies before and taken out after (whether it succeeded or not), so no copy read
 * meanwhile is taken as complete.
 */
export async function writingRegistrations<T>(
  db: Db,
  sessionIds: ObjectId[],
  write: () => Promise<T>,
): Promise<T> {
  const writer = `${Date.now()}:${crypto.randomUUID()}`;
  const enter = (ids: ObjectId[]) =>
    rostersOf(db).bulkWrite(
      ids.map((_id) => ({
        updateOne: {
          filter: { _id },
          update: { $inc: { began: 1 }, $push: { writers: writer }, $setOnInsert: { built: -1, ids: {} } },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  if (sessionIds.length > 0)
    await enter(sessionIds).catch((error: unknown) => {
      if (!isDuplicateKey(error)) throw error;
      // Two writers created one copy at once and FerretDB does not retry the loser's upsert: now it updates.
      const lost = (error as { writeErrors?: { index: number }[] }).writeErrors ?? [];
      return enter(lost.map((e) => sessionIds[e.index] as ObjectId));
    });
  try {
    return await write();
  } finally {
    if (sessionIds.length > 0)
      await rostersOf(db).bulkWrite(
        sessionIds.map((_id) => ({ updateOne: { filter: { _id }, update: { $pull: { writers: writer } } } })),
        { ordered: false },
      );
  }
}

/** A session's registrations as MongoDB holds them now; its copy is rewritten from them when it may be. */
export async function refreshRoster(db: Db, sessionId: ObjectId): Promise<Packed> {
  const seen = await rostersOf(db).findOne({ _id: sessionId });
  const may = await mayRewrite(db, sessionId, seen);
  const ids = pack(
    await registrationsOf(db)
      .find({ sessionId }, { projection: { participantId: 1, status: 1, _id: 0 } })
      .toArray(),
  );
  if (may) await rewrite(db, sessionId, seen, ids);
  return ids;
}

/** Registrations of `sessionIds`, streamed sorted by session: one pass, or one query each when few. */
async function* readRegistrations(db: Db, sessionIds: ObjectId[], everything: boolean) {
  const projection = { participantId: 1, sessionId: 1, status: 1, _id: 0 };
  if (sessionIds.length > ONE_BY_ONE) {
    const wanted = new Set(sessionIds.map(String));
    const filter = everything ? {} : { sessionId: { $in: sessionIds } };
    for await (const r of registrationsOf(db)
      .find(filter, { projection })
      .sort({ sessionId: 1 })
      .batchSize(5000))
      if (wanted.has(String(r.sessionId))) yield r;
    return;
  }
  for (const sessionId of sessionIds) yield* registrationsOf(db).find({ sessionId }, { projection });
}

/**
 * Every session's registrations, one session at a time (`visit` is awaited, so memory holds
 * one session): from its copy where that is trusted, else from the registrations, and then
 * the copy is rewritten. `everything`: these are all the sessions there are.
 */
export async function eachRoster(
  db: Db,
  sessionIds: ObjectId[],
  visit: (sessionId: ObjectId, ids: Packed) => Promise<void>,
  everything = false,
): Promise<void> {
  const wanted = new Set(sessionIds.map(String));
  const copies = new Map<string, RosterDoc>();
  // FerretDB answers equality from its index but `$in` by reading every copy.
  const [only] = sessionIds;
  const filter = everything
    ? {}
    : sessionIds.length === 1 && only
      ? { _id: only }
      : { _id: { $in: sessionIds } };
  for await (const doc of rostersOf(db).find(filter))
    if (wanted.has(String(doc._id))) copies.set(String(doc._id), doc);
  const unread: ObjectId[] = [];
  for (const sessionId of sessionIds) {
    const copy = copies.get(String(sessionId)) ?? null;
    if (trusted(copy)) await visit(sessionId, copy.ids);
    else unread.push(sessionId);
  }
  const rewrites: Promise<void>[] = [];
  const settle = async (key: string, regs: { participantId: ObjectId; status: RegistrationStatus }[]) => {
    const sessionId = new ObjectId(key);
    const ids = pack(regs);
    const seen = copies.get(key) ?? null;
    rewrites.push(
      mayRewrite(db, sessionId, seen).then(async (may) => {
        if (may) await rewrite(db, sessionId, seen, ids);
      }),
    );
    await visit(sessionId, ids);
  };
  const done = new Set<string>();
  let current: string | null = null;
  let regs: { participantId: ObjectId; status: RegistrationStatus }[] = [];
  for await (const r of readRegistrations(db, unread, everything && unread.length === sessionIds.length)) {
    const key = String(r.sessionId);
    if (current !== null && key !== current) {
      await settle(current, regs);
      done.add(current);
      regs = [];
    }
    current = key;
    regs.push(r);
  }
  if (current !== null) {
    await settle(current, regs);
    done.add(current);
  }
  for (const sessionId of unread) if (!done.has(String(sessionId))) await settle(String(sessionId), []);
  await Promise.all(rewrites);
}

/** Every copy forgotten (a restore replaced the registrations underneath them). */
export async function forgetRosters(db: Db, sessionId?: ObjectId): Promise<void> {
  await rostersOf(db).deleteMany(sessionId ? { _id: sessionId } : {});
}
