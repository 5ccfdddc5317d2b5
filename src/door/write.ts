import type Redis from "ioredis";
import { type Db, ObjectId } from "mongodb";
import { type CheckInDoc, checkinsOf, newCheckIn } from "../checkin/repo";
import { groupedInserts } from "../infra/grouped";
import { isDuplicateKey } from "../infra/mongo";
import type { Stamps } from "../infra/stamps";
import type { Person } from "../participants/directory";
import type { SessionDoc } from "../sessions/repo";
import type { Verdict, Written } from "./decide";
import { type ScanRequest, scanTime } from "./request";
import { enforced, type Facts } from "./room";
import { claimSeatFromDb } from "./seats";
import type { Door } from "./state";

// Step 4 of the scan path (scan.ts): the write. An admission inserts the check-in, a
// re-entry turns an exit back into an entry; MongoDB's unique indexes (one check-in per
// person, one holder per seat) settle every race the claim in Redis did not prevent.

const SEAT_ATTEMPTS = 8;

export interface WriterParts {
  db: Db;
  door: Door;
  redis: Redis;
  instanceId: string;
  stamps: Stamps;
}

export function createWriter(parts: WriterParts) {
  const { db, door } = parts;
  /** Sessions written while Redis was away: their door state is rebuilt when it is back. */
  const writtenWithoutRedis = new Set<string>();
  parts.redis.on("ready", () => {
    for (const id of writtenWithoutRedis) {
      writtenWithoutRedis.delete(id);
      void door.forget(new ObjectId(id)).catch(() => writtenWithoutRedis.add(id));
    }
  });

  /** Where a write's outcome is unknown (MongoDB failed mid-way), MongoDB decides: the state is rebuilt from it. */
  const unsure = (sessionId: ObjectId) =>
    door.forget(sessionId).catch(() => writtenWithoutRedis.add(String(sessionId)));

  // Admissions arriving together share one insertMany; each door hears only of its own document.
  const checkins = groupedInserts(() => checkinsOf(db));
  const ctx: WriteContext = {
    db,
    door,
    instanceId: parts.instanceId,
    stamps: parts.stamps,
    writtenWithoutRedis,
    unsure,
    insert: checkins.insert,
  };
  return {
    write: (request: ScanRequest, session: SessionDoc, participant: Person, verdict: Verdict, facts: Facts) =>
      write(ctx, request, session, participant, verdict, facts),
    writeReentry: (request: ScanRequest, session: SessionDoc, left: CheckInDoc, facts: Facts) =>
      writeReentry(ctx, request, session, left, facts),
    unsure,
  };
}

/** What both writes use: the database, the door state, and how to leave a session to MongoDB. */
interface WriteContext {
  db: Db;
  door: Door;
  instanceId: string;
  /** Every change is stamped (copies.ts finds it by its window). */
  stamps: Stamps;
  /** Sessions written while Redis was away (rebuilt when it is back). */
  writtenWithoutRedis: Set<string>;
  /** A write whose outcome is unknown: the session's door state is rebuilt from MongoDB. */
  unsure: (sessionId: ObjectId) => Promise<unknown>;
  /** Stores one check-in (grouped with others under way); rejects with its own error. */
  insert: (doc: CheckInDoc) => Promise<void>;
}

/**
 * A person who left comes back: the same check-in, inside again (with a seat again in
 * an occupancy room). Only one door can turn an exit back into an entry.
 */
async function writeReentry(
  ctx: WriteContext,
  request: ScanRequest,
  session: SessionDoc,
  left: CheckInDoc,
  facts: Facts,
): Promise<Written<CheckInDoc>> {
  const { db, door, unsure, writtenWithoutRedis } = ctx;
  const { viaRedis } = facts;
  const reentryFrom = facts.claim?.reentryFrom ?? "";
  const needsSeat = session.capacityMode === "occupancy" && enforced(session) > 0;
  let held = facts.claim ? { seat: facts.claim.seat, claim: facts.claim.entry } : null;
  let seat: number | null = !needsSeat
    ? null
    : viaRedis
      ? (held?.seat ?? null)
      : await claimSeatFromDb(db, session._id);
  if (needsSeat && seat === null) return { kind: "full" };
  const giveBack = async (existing: CheckInDoc | string) => {
    if (held)
      await door.rollback(session._id, left.participantId, held, existing).catch(() => unsure(session._id));
  };
  for (let attempt = 0; attempt < SEAT_ATTEMPTS; attempt++) {
    try {
      const doc = await ctx.stamps.during(({ at, changeWindow }) =>
        checkinsOf(db).findOneAndUpdate(
          { _id: left._id, checkedOutAt: { $ne: null } },
          {
            $set: {
              checkedOutAt: null,
              lastEntryAt: scanTime(request),
              updatedAt: at,
              changeWindow,
              ...(seat !== null ? { seat } : {}),
              ...(request.nonce ? { reentryNonce: request.nonce } : {}),
              ...(request.byId ? { lastEntryById: request.byId } : {}),
            },
            $inc: { reentries: 1, __v: 1 },
          },
          { returnDocument: "after" },
        ),
      );
      if (doc) {
        if (held) await door.settle(doc, true).catch(() => unsure(session._id));
        else writtenWithoutRedis.add(String(session._id));
        return { kind: "reentered", doc };
      }
      // Another door let them back in first (or the check-in was undone).
      const current = await checkinsOf(db).findOne({ _id: left._id });
      await giveBack(current ?? "");
      return current ? { kind: "duplicate", existing: current } : { kind: "none", existing: null };
    } catch (error) {
      if (!isDuplicateKey(error)) {
        await unsure(session._id);
        throw error;
      }
      if (viaRedis) {
        held = await door.reclaim(session._id, left.participantId, reentryFrom);
        seat = held?.seat ?? null;
      } else seat = await claimSeatFromDb(db, session._id);
      if (seat === null) return { kind: "full" };
    }
  }
  await giveBack(reentryFrom);
  return { kind: "full" };
}

/** Writes the admission; the unique indexes settle every race the claim did not prevent. */
async function write(
  ctx: WriteContext,
  request: ScanRequest,
  session: SessionDoc,
  participant: Person,
  verdict: Verdict,
  facts: Facts,
): Promise<Written<CheckInDoc>> {
  const { db, door, unsure, writtenWithoutRedis } = ctx;
  const { viaRedis } = facts;
  const capacity = enforced(session);
  let held = facts.claim ? { seat: facts.claim.seat, claim: facts.claim.entry } : null;
  let seat: number | null = viaRedis
    ? (held?.seat ?? null)
    : capacity > 0
      ? await claimSeatFromDb(db, session._id)
      : null;
  if (capacity > 0 && seat === null) return { kind: "full" };
  if (!viaRedis) writtenWithoutRedis.add(String(session._id));
  const giveBack = async (existing: CheckInDoc | null) => {
    if (held)
      await door.rollback(session._id, participant._id, held, existing).catch(() => unsure(session._id));
  };
  for (let attempt = 0; attempt < SEAT_ATTEMPTS; attempt++) {
    const fields = {
      ...request,
      sessionId: session._id,
      participantId: participant._id,
      verdict,
      seat: seat ?? `free:${participant._id}`,
      instance: ctx.instanceId,
      checkInTime: scanTime(request),
    };
    try {
      const doc = await ctx.stamps.during(async (stamp) => {
        const made = newCheckIn({ ...fields, stamp });
        await ctx.insert(made);
        return made;
      });
      if (held) await door.settle(doc, false).catch(() => unsure(session._id));
      return { kind: "admitted", doc };
    } catch (error) {
      if (!isDuplicateKey(error)) {
        await unsure(session._id);
        throw error;
      }
      const existing = await checkinsOf(db).findOne({
        sessionId: session._id,
        participantId: participant._id,
      });
      if (existing) {
        await giveBack(existing);
        return { kind: "duplicate", existing };
      }
      // The seat was taken after all (written while Redis was away): another one.
      if (viaRedis) {
        held = await door.reclaim(session._id, participant._id);
        seat = held?.seat ?? null;
      } else seat = await claimSeatFromDb(db, session._id);
      if (seat === null) return { kind: "full" };
    }
  }
  await giveBack(null);
  return { kind: "full" };
}
