import { ObjectId } from "mongodb";
import { AppError, notFound } from "../http/errors";
import { KEYS } from "../infra/keys";
import { LockBusyError, LockUnavailableError, withLock } from "../infra/lock";
import type { Activity } from "../live/activity";
import type { Bus } from "../live/bus";
import { createDirectory, type ParticipantRef } from "../participants/directory";
import type { ParticipantDoc } from "../participants/repo";
import { registrationsOf } from "../registrations/repo";
import type { Runtime } from "../runtime";
import { createSessionCache } from "../sessions/cache";
import { type SessionDoc, sessionsOf } from "../sessions/repo";
import type { ExitOutcome } from "./decide";
import { createDoor } from "./door";
import { createCheckinMetrics } from "./metrics";
import { type CheckInDoc, checkinsOf, type ScanLogDoc } from "./repo";
import { createScanner } from "./scan";
import { createScanLog } from "./scanlog";
import { reseat } from "./seats";
import { doorSnapshot } from "./snapshot";

/** Start-up waits up to a minute for another instance building the door state. */
const WARM_LOCK = { ttlMs: 60_000, retries: 600, retryDelayMs: 100 };

/** Where the write path reports what dashboards show. */
export interface LiveSink {
  activity: Activity;
  bus: Bus;
  /** The late threshold in force (settings, changeable at run time). */
  lateThresholdMinutes: () => number;
}

/**
 * The check-in feature as the rest of the product uses it: the scan path (scan.ts),
 * the staff actions at the door (decline, undo, exit) and the door state's upkeep.
 */
export function createCheckinService(rt: Runtime, live: LiveSink) {
  const { config, redis, mongo } = rt;
  const db = mongo.db;
  const metrics = createCheckinMetrics(rt.metrics.registry);
  const sessions = createSessionCache(db, live.bus, config.ttl.sessionMs);
  const directory = createDirectory(db, live.bus, (hit) =>
    metrics.cache.inc({ cache: "directory", result: hit ? "hit" : "miss" }),
  );
  const door = createDoor(redis.cmd, db);
  const scanlog = createScanLog(db);
  const scanner = createScanner({
    db,
    redis: redis.cmd,
    instanceId: config.instanceId,
    lockMode: config.lock.mode,
    log: rt.log,
    sessions,
    directory,
    door,
    scanlog,
    activity: live.activity,
    metrics,
    lateThresholdMinutes: live.lateThresholdMinutes,
  });
  const { activity } = live;

  /**
   * Every session's door state, read from MongoDB once for the cluster: one instance reads,
   * the others wait for it and find it built.
   */
  async function warmDoors(): Promise<void> {
    const all = await sessionsOf(db)
      .find({}, { projection: { _id: 1 } })
      .toArray();
    const buildDoors = () =>
      door.warm(
        all.map((s) => s._id),
        true,
      );
    await door.warmingAll(() =>
      withLock(redis.cmd, KEYS.lock("warm-doors"), WARM_LOCK, buildDoors).catch((error: unknown) => {
        if (error instanceof LockBusyError || error instanceof LockUnavailableError) return buildDoors();
        throw error;
      }),
    );
  }

  /**
   * Start-up: the badge directory and every session's door state, both before the instance
   * reports ready. Not later, on demand: FerretDB reads a session's registrations by
   * scanning them all, so a burst of first scans building their sessions one by one
   * would ask it for the whole conference once per session.
   */
  async function warmUp(): Promise<void> {
    await Promise.all([directory.reload(), warmDoors()]);
  }

  // Messages may have been missed, or a restore replaced the data: build what is not built.
  void live.bus.listen((event) => {
    if (event.kind === "resync" || event.kind === "restored")
      void warmUp().catch((err) => rt.log.warn({ err: String(err) }, "rebuild after resync failed"));
  });

  /** A staff action on a check-in (undo, exit): logged, and every dashboard told. */
  const logDone = (
    action: "undo" | "checkout",
    doc: CheckInDoc,
    reason: string,
    by?: string,
    device?: string,
  ) => {
    activity.changed(doc.sessionId);
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
      ...(device ? { device } : {}),
    });
  };

  /** Two doors recording the same exit write it once; without Redis the update alone decides. */
  const underBadgeLock = <T>(doc: CheckInDoc, work: () => Promise<T>) =>
    withLock(redis.cmd, KEYS.lock(`checkin:${doc.sessionId}:${doc.participantId}`), config.lock, work).catch(
      (error: unknown) => {
        if (error instanceof LockUnavailableError) return work();
        throw error;
      },
    );

  const fromMongo = async <T>(read: () => Promise<T>, fallback: () => Promise<T>) => {
    try {
      return await read();
    } catch {
      return fallback();
    }
  };

  async function undo(checkInId: ObjectId, by?: string, device?: string): Promise<CheckInDoc> {
    const found = await checkinsOf(db).findOne({ _id: checkInId });
    if (!found) throw notFound(`CheckIn with ID ${checkInId} not found`);
    const { deletedCount } = await checkinsOf(db).deleteOne({ _id: checkInId });
    if (deletedCount !== 1) throw notFound(`CheckIn with ID ${checkInId} not found`);
    await Promise.all([
      door.undo(found).catch(() => door.forget(found.sessionId).catch(() => undefined)),
      activity.uncounted(found.sessionId),
    ]);
    await logDone("undo", found, "check-in undone", by, device);
    return found;
  }

  /**
   * Exit: the person left the room. The check-in stays (attendance counts it once); in an
   * occupancy room its seat is given back, so someone else may come in. `at`: when the
   * door scanned it (a queued offline exit), else now.
   */
  async function checkout(
    checkInId: ObjectId,
    by?: string,
    device?: string,
    scan: { nonce?: string; at?: Date } = {},
  ): Promise<CheckInDoc> {
    const found = await checkinsOf(db).findOne({ _id: checkInId });
    if (!found) throw notFound(`CheckIn with ID ${checkInId} not found`);
    const session = await sessions.require(found.sessionId);
    const occupancy = session.capacityMode === "occupancy";
    const now = new Date();
    const change = {
      checkedOutAt: scan.at ?? now,
      updatedAt: now,
      ...(occupancy ? { seat: `free:${found.participantId}` } : {}),
      ...(scan.nonce ? { exitNonce: scan.nonce } : {}),
    };
    // The document as it was when the exit landed: its seat is the one given back.
    const before = await underBadgeLock(found, () =>
      checkinsOf(db).findOneAndUpdate(
        { _id: checkInId, checkedOutAt: null },
        { $set: change },
        { returnDocument: "before" },
      ),
    );
    if (!before) throw new AppError(409, "This participant has already left the session");
    const updated: CheckInDoc = { ...before, ...change };
    const freed = occupancy && typeof before.seat === "number" ? before.seat : null;
    await door.leave(updated, freed).catch(() => door.forget(updated.sessionId).catch(() => undefined));
    await logDone("checkout", updated, "left the session", by, device);
    return updated;
  }

  /**
   * An exit scanned at a door: the person's check-in for the session, if they are inside.
   * A retried exit (its nonce) is answered as it was; a queued offline exit scanned before
   * the person's last entry records nothing (they came back in after it).
   */
  async function exit(input: {
    sessionId: ObjectId;
    participant: ParticipantRef;
    by?: string;
    device?: string;
    nonce?: string;
    scannedAt?: Date;
  }) {
    const session = await sessions.require(input.sessionId);
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
        await checkout(found._id, input.by, input.device, { nonce: input.nonce, at: input.scannedAt }),
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
  async function undoAtDoor(input: {
    sessionId: ObjectId;
    checkInId: ObjectId;
    principal: { id: string; kind: string; role: string; name: string };
    windowMs: number;
    device?: string;
  }): Promise<{ checkIn: CheckInDoc; undid: "admission" | "reentry" }> {
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
          `Undo is possible for ${Math.round(input.windowMs / 1000)} s after a scan; ask an admin to undo this one`,
        );
    }
    if (reentered)
      return { checkIn: await checkout(found._id, principal.name, input.device), undid: "reentry" };
    return { checkIn: await undo(found._id, principal.name, input.device), undid: "admission" };
  }

  return {
    undoAtDoor,
    searchPeople: (query: string, limit: number) => directory.search(query, limit),
    /** What a door device keeps to decide on its own while offline (see snapshot.ts). */
    async doorSnapshot(sessionId: ObjectId) {
      const session = await sessions.require(sessionId);
      const [regs, ins] = await Promise.all([
        registrationsOf(db)
          .find({ sessionId }, { projection: { participantId: 1, status: 1, _id: 0 } })
          .toArray(),
        checkinsOf(db)
          .find({ sessionId }, { projection: { participantId: 1, checkedOutAt: 1, checkInTime: 1, _id: 0 } })
          .toArray(),
      ]);
      return doorSnapshot(session, directory.people(), regs, ins);
    },
    scan: scanner.scan,
    preview: scanner.preview,
    undo,
    requireSession: sessions.require,
    getParticipant: (ref: ParticipantRef) => directory.find(ref),

    async decline(input: {
      sessionId: ObjectId;
      participantId: ObjectId;
      by?: string;
      device?: string;
      reason?: string;
    }) {
      const session = await sessions.require(input.sessionId);
      const participant = await directory.find({ participantId: input.participantId });
      if (!participant) throw notFound(`Participant with ID ${input.participantId} not found`);
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
        ...(input.device ? { device: input.device } : {}),
        response: { wasRegistered: registration?.status === "confirmed" },
      };
      await scanlog.write(entry);
      activity.record(
        session._id,
        { name: participant.name, outcome: "declined", reason: entry.reason, at: entry.at.toISOString() },
        false,
      );
      return { entry, session, participant };
    },

    checkout,
    exit,
    count: (sessionId: ObjectId) =>
      fromMongo(
        () => door.count(sessionId),
        () => checkinsOf(db).countDocuments({ sessionId }),
      ),
    /** Checked in, inside now, late and registered, for dashboards. */
    liveStats: (sessionId: ObjectId) =>
      fromMongo(
        () => door.stats(sessionId),
        async () => {
          const [docs, registered] = await Promise.all([
            checkinsOf(db)
              .find({ sessionId }, { projection: { isLate: 1, checkedOutAt: 1, _id: 0 } })
              .toArray(),
            registrationsOf(db).countDocuments({ sessionId, status: "confirmed" }),
          ]);
          return {
            count: docs.length,
            inside: docs.filter((d) => !d.checkedOutAt).length,
            late: docs.filter((d) => d.isLate).length,
            registered,
          };
        },
      ),

    /** After a session was created, changed or deleted: caches and dashboards, on every instance. */
    sessionChanged: (id: ObjectId, doc: SessionDoc | null) => sessions.changed(id, doc),
    /** Capacity or enforcement changed: every check-in gets a seat under the new rule. */
    reseat: <T>(sessionId: ObjectId, change: () => Promise<T>) => reseat(door, db, sessionId, change),
    async registrationsChanged(sessionId: ObjectId): Promise<void> {
      await door.registrationsChanged(sessionId).catch(() => door.forget(sessionId).catch(() => undefined));
      activity.changed(sessionId);
    },
    warmUp,
    warmSession: (sessionId: ObjectId) => door.build(sessionId),
    /** A deleted participant leaves nothing behind: check-ins undone (seats and counts freed), registrations gone. */
    async removeParticipantRecords(participantId: ObjectId): Promise<void> {
      for (const checkIn of await checkinsOf(db).find({ participantId }).toArray()) {
        await undo(checkIn._id, "participant deleted").catch(() => undefined);
      }
      const regs = await registrationsOf(db).find({ participantId }).toArray();
      await registrationsOf(db).deleteMany({ participantId });
      for (const sessionId of new Set(regs.map((r) => String(r.sessionId)))) {
        await door.registrationsChanged(new ObjectId(sessionId)).catch(() => undefined);
      }
    },
    /** A deleted session takes its check-ins and registrations with it (the scan log stays: it is the audit). */
    async removeSessionRecords(sessionId: ObjectId): Promise<void> {
      await Promise.all([
        checkinsOf(db).deleteMany({ sessionId }),
        registrationsOf(db).deleteMany({ sessionId }),
      ]);
      await door.forget(sessionId).catch(() => undefined);
    },
    /** After writes behind the API (import, restore): every badge resolves at once, everywhere. */
    reloadDirectory: () => directory.reloadEverywhere(),
    /** After a participant was created, changed or deleted (`removed`), on every instance at once. */
    participantChanged: (p: ParticipantDoc, change: { removed?: boolean } = {}) =>
      directory.changed(p, change),
  };
}

export type CheckinService = ReturnType<typeof createCheckinService>;
export type { ScanRequest, ScanResult } from "./scan";
