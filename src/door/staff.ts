import type Redis from "ioredis";
import { type Db, ObjectId } from "mongodb";
import { type CheckInDoc, checkinsOf, type ScanLogDoc } from "../checkin/repo";
import type { Config } from "../config";
import { AppError, notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import { KEYS } from "../infra/keys";
import { LockUnavailableError, withLock } from "../infra/lock";
import type { Stamp, Stamps } from "../infra/stamps";
import type { Activity } from "../live/activity";
import type { Directory, ParticipantRef } from "../participants/directory";
import { badgeKey } from "../participants/qr";
import { registrationsOf } from "../registrations/repo";
import type { SessionCache } from "../sessions/cache";
import type { DoorCopies } from "./copies";
import type { ExitOutcome } from "./decide";
import { movesFor } from "./move";
import { createNonces, type Nonces, once } from "./nonces";
import { assertInWindow, type WindowDefaults } from "./offline";
import type { ScanLog } from "./scanlog";
import type { Door } from "./state";

// What staff do at the door besides scanning in: exits, undo (by the scanner within the
// window, by an admin any time) and declines. Each is logged with who and which device,
// and every dashboard is told.

export interface StaffContext {
  db: Db;
  redis: Redis;
  config: Pick<Config, "instanceId" | "lock">;
  door: Door;
  sessions: SessionCache;
  directory: Directory;
  scanlog: ScanLog;
  activity: Activity;
  windowDefaults: () => WindowDefaults;
  /** Every change to a check-in is stamped, every removal recorded (copies.ts). */
  stamps: Stamps;
  copies: Pick<DoorCopies, "removing">;
}

interface StaffParts extends StaffContext {
  nonces: Nonces;
}

/** A staff action on a check-in (undo, exit): logged, and every dashboard told. */
const logDone = (
  ctx: StaffContext,
  action: "undo" | "checkout" | "move",
  doc: CheckInDoc,
  reason: string,
  by?: string,
  device?: string,
  byId?: string,
  /** When it happened, if not now (a queued offline exit, a move at the entry's time). */
  happenedAt?: Date,
) => {
  const { activity, scanlog, config } = ctx;
  if (action === "undo") activity.changed(doc.sessionId);
  else activity.left(doc.sessionId, happenedAt ?? new Date());
  return scanlog.write({
    _id: new ObjectId(),
    at: new Date(),
    instance: config.instanceId,
    action,
    sessionId: doc.sessionId,
    participantId: doc.participantId,
    outcome: "done",
    reason,
    checkInId: doc._id,
    ...(by ? { by } : {}),
    ...(byId ? { byId } : {}),
    ...(device ? { device } : {}),
    ...(happenedAt ? { scannedAt: happenedAt } : {}),
  });
};

/** Two doors recording the same exit write it once; without Redis the update alone decides. */
const underBadgeLock = <T>(ctx: StaffContext, doc: CheckInDoc, work: () => Promise<T>) =>
  withLock(
    ctx.redis,
    KEYS.lock(`checkin:${doc.sessionId}:${doc.participantId}`),
    ctx.config.lock,
    work,
  ).catch((error: unknown) => {
    if (error instanceof LockUnavailableError) return work();
    throw error;
  });

async function undo(
  ctx: StaffContext,
  checkInId: ObjectId,
  by?: string,
  device?: string,
): Promise<CheckInDoc> {
  const { db, door, activity } = ctx;
  const found = await checkinsOf(db).findOne({ _id: checkInId });
  if (!found) throw notFound(phrase("CheckIn with ID {id} not found", { id: String(checkInId) }));
  const { deletedCount } = await ctx.copies.removing(found, () =>
    checkinsOf(db).deleteOne({ _id: checkInId }),
  );
  if (deletedCount !== 1) throw notFound(phrase("CheckIn with ID {id} not found", { id: String(checkInId) }));
  await Promise.all([
    door.undo(found).catch(() => door.forget(found.sessionId).catch(() => undefined)),
    activity.uncounted(found.sessionId),
  ]);
  await logDone(ctx, "undo", found, "check-in undone", by, device);
  return found;
}

/**
 * Exit: the person left the room. The check-in stays (attendance counts it once); in an
 * occupancy room its seat is given back, so someone else may come in. `at`: when the
 * door scanned it (a queued offline exit), else now.
 */
async function checkout(
  ctx: StaffContext,
  checkInId: ObjectId,
  by?: string,
  device?: string,
  scan: { nonce?: string; at?: Date; byId?: string; movedTo?: ObjectId } = {},
): Promise<CheckInDoc> {
  const { db, door, sessions } = ctx;
  const found = await checkinsOf(db).findOne({ _id: checkInId });
  if (!found) throw notFound(phrase("CheckIn with ID {id} not found", { id: String(checkInId) }));
  const session = await sessions.require(found.sessionId);
  const occupancy = session.capacityMode === "occupancy";
  const changeAt = ({ at, changeWindow }: Stamp) => ({
    checkedOutAt: scan.at ?? at,
    updatedAt: at,
    changeWindow,
    ...(occupancy ? { seat: `free:${found.participantId}` } : {}),
    ...(scan.nonce ? { exitNonce: scan.nonce } : {}),
    ...(scan.movedTo ? { movedTo: scan.movedTo } : {}),
  });
  // The document as it was when the exit landed: its seat is the one given back.
  const landed = await underBadgeLock(ctx, found, () =>
    ctx.stamps.during(async (stamp) => {
      const change = changeAt(stamp);
      const before = await checkinsOf(db).findOneAndUpdate(
        { _id: checkInId, checkedOutAt: null },
        { $set: change },
        { returnDocument: "before" },
      );
      return before && { before, change };
    }),
  );
  if (!landed) throw new AppError(409, "This participant has already left the session");
  const { before, change } = landed;
  const updated: CheckInDoc = { ...before, ...change };
  const freed = occupancy && typeof before.seat === "number" ? before.seat : null;
  await door.leave(updated, freed).catch(() => door.forget(updated.sessionId).catch(() => undefined));
  await logDone(
    ctx,
    scan.movedTo ? "move" : "checkout",
    updated,
    scan.movedTo ? `moved to session ${scan.movedTo}` : "left the session",
    by,
    device,
    scan.byId,
    scan.at,
  );
  return updated;
}

/**
 * One room at a time: an entry just recorded closes the person's presence in every other
 * session (or itself, when the person was already seen entering elsewhere later).
 */
async function moveAfterEntry(
  ctx: StaffContext,
  entered: CheckInDoc,
  who: { by?: string; byId?: string; device?: string },
): Promise<CheckInDoc[]> {
  const open = await checkinsOf(ctx.db)
    .find({ participantId: entered.participantId, checkedOutAt: null })
    .toArray();
  const presence = (c: CheckInDoc) => ({
    checkInId: c._id,
    sessionId: c.sessionId,
    enteredAt: c.lastEntryAt ?? c.checkInTime,
  });
  const steps = movesFor(presence(entered), open.filter((c) => !c._id.equals(entered._id)).map(presence));
  const moved: CheckInDoc[] = [];
  for (const step of steps) {
    try {
      moved.push(
        await checkout(ctx, step.close, who.by, who.device, {
          at: step.at,
          byId: who.byId,
          movedTo: step.movedTo,
        }),
      );
    } catch (error) {
      // Left meanwhile (an exit at that door): nothing to move.
      if (!(error instanceof AppError && error.status === 409)) throw error;
    }
  }
  return moved;
}

/**
 * An exit scanned at a door: the person's check-in for the session, if they are inside.
 * A retried exit (its nonce) is answered as it was; a queued offline exit scanned before
 * the person's last entry records nothing (they came back in after it).
 */
async function exit(
  ctx: StaffParts,
  input: {
    sessionId: ObjectId;
    participant: ParticipantRef;
    by?: string;
    /** The account behind `by`, recorded in the scan log. */
    byId?: string;
    device?: string;
    nonce?: string;
    scannedAt?: Date;
  },
) {
  return once(
    ctx.nonces,
    input.nonce,
    `${input.sessionId}|${badgeKey(input.participant)}|exit`,
    () => exitOnce(ctx, input),
    (first) => first,
  );
}

async function exitOnce(ctx: StaffContext, input: Parameters<typeof exit>[1]) {
  const { db, sessions, directory } = ctx;
  const session = await sessions.require(input.sessionId);
  if (input.scannedAt) assertInWindow(input.scannedAt, session, ctx.windowDefaults());
  const participant = await directory.find(input.participant);
  const answer = (outcome: ExitOutcome, checkIn: CheckInDoc | null) => ({
    session,
    participant,
    checkIn,
    outcome,
  });
  if (!participant) return answer("unknown", null);
  const found = await checkinsOf(db).findOne({ sessionId: session._id, participantId: participant._id });
  if (!found) return answer("not_in", null);
  if (input.nonce && found.exitNonce === input.nonce) return answer("left", found);
  if (input.scannedAt && input.scannedAt < (found.lastEntryAt ?? found.checkInTime))
    return answer("superseded", found);
  if (found.checkedOutAt) return answer("already_out", found);
  try {
    return answer(
      "left",
      await checkout(ctx, found._id, input.by, input.device, {
        nonce: input.nonce,
        at: input.scannedAt,
        byId: input.byId,
      }),
    );
  } catch (error) {
    if (error instanceof AppError && error.status === 409) return answer("already_out", found);
    throw error;
  }
}

/**
 * Undo at the door: a scanner takes back their own admission (or re-entry) within the
 * window; an admin any. A re-entry undone leaves the person outside again.
 */
async function undoAtDoor(
  ctx: StaffContext,
  input: {
    sessionId: ObjectId;
    checkInId: ObjectId;
    principal: { id: string; kind: string; role: string; name: string };
    windowMs: number;
    device?: string;
  },
): Promise<{ checkIn: CheckInDoc; undid: "admission" | "reentry" }> {
  const { db } = ctx;
  const found = await checkinsOf(db).findOne({ _id: input.checkInId, sessionId: input.sessionId });
  if (!found) throw notFound("This check-in was already undone, or belongs to another session");
  const { principal } = input;
  // What the door last did to this person: a re-entry (undone, they are outside again) or the admission.
  const reentered = Boolean(found.reentries && found.lastEntryAt && !found.checkedOutAt);
  const last = (reentered ? found.lastEntryAt : found.checkInTime) ?? found.checkInTime;
  if (principal.role !== "admin") {
    if ((reentered ? found.lastEntryById : found.checkedInById) !== `${principal.kind}:${principal.id}`)
      throw new AppError(403, "Only the person who scanned this admission (or an admin) can undo it");
    if (Date.now() - last.getTime() > input.windowMs)
      throw new AppError(
        409,
        phrase("Undo is possible for {seconds} s after a scan; ask an admin to undo this one", {
          seconds: Math.round(input.windowMs / 1000),
        }),
      );
  }
  // An undone re-entry never happened: the person left again at its own time, so the minutes
  // since it count for nothing (attendance/minutes.ts).
  if (reentered)
    return {
      checkIn: await checkout(ctx, found._id, principal.name, input.device, { at: last }),
      undid: "reentry",
    };
  return { checkIn: await undo(ctx, found._id, principal.name, input.device), undid: "admission" };
}

async function decline(
  ctx: StaffContext,
  input: {
    sessionId: ObjectId;
    participantId: ObjectId;
    by?: string;
    byId?: string;
    device?: string;
    reason?: string;
  },
) {
  const { db, config, sessions, directory, scanlog, activity } = ctx;
  const session = await sessions.require(input.sessionId);
  const participant = await directory.find({ participantId: input.participantId });
  if (!participant)
    throw notFound(phrase("Participant with ID {id} not found", { id: String(input.participantId) }));
  const registration = await registrationsOf(db).findOne({
    participantId: participant._id,
    sessionId: session._id,
  });
  const entry: ScanLogDoc = {
    _id: new ObjectId(),
    at: new Date(),
    instance: config.instanceId,
    action: "decline",
    sessionId: session._id,
    participantId: participant._id,
    outcome: "declined",
    reason: input.reason ?? "Declined by staff",
    ...(input.by ? { by: input.by } : {}),
    ...(input.byId ? { byId: input.byId } : {}),
    ...(input.device ? { device: input.device } : {}),
    response: { wasRegistered: registration?.status === "confirmed" },
  };
  await scanlog.write(entry);
  activity.record(
    session._id,
    // Dashboards say "declined" in their reader's language, and the staff's own words if any.
    {
      name: participant.name,
      outcome: "declined",
      reason: input.reason ?? "declined",
      at: entry.at.toISOString(),
    },
    false,
  );
  return { entry, session, participant };
}

export function createStaffActions(context: StaffContext) {
  const ctx: StaffParts = {
    ...context,
    nonces: createNonces(context.redis, context.config.lock.mode === "strict"),
  };
  return {
    undo: (checkInId: ObjectId, by?: string, device?: string) => undo(ctx, checkInId, by, device),
    checkout: (
      checkInId: ObjectId,
      by?: string,
      device?: string,
      scan?: { nonce?: string; at?: Date; byId?: string },
    ) => checkout(ctx, checkInId, by, device, scan),
    exit: (input: Parameters<typeof exit>[1]) => exit(ctx, input),
    moveAfterEntry: (entered: CheckInDoc, who: Parameters<typeof moveAfterEntry>[2]) =>
      moveAfterEntry(ctx, entered, who),
    undoAtDoor: (input: Parameters<typeof undoAtDoor>[1]) => undoAtDoor(ctx, input),
    decline: (input: Parameters<typeof decline>[1]) => decline(ctx, input),
  };
}

export type StaffActions = ReturnType<typeof createStaffActions>;
