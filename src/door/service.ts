import { type Db, ObjectId } from "mongodb";
import { checkinsOf, type ScanLogDoc } from "../checkin/repo";
import type { LockMode } from "../config";
import { unavailable } from "../http/errors";
import { distinctIds } from "../infra/mongo";
import type { Stamps } from "../infra/stamps";
import type { Activity } from "../live/activity";
import type { Bus } from "../live/bus";
import type { Directory, ParticipantRef } from "../participants/directory";
import { registrationsOf } from "../registrations/repo";
import { writingRegistrations } from "../registrations/rosters";
import type { RegistrationStatus } from "../registrations/statuses";
import type { Runtime } from "../runtime";
import type { SessionCache } from "../sessions/cache";
import { type SessionDoc, sessionsOf } from "../sessions/repo";
import { createDoorCopies } from "./copies";
import type { Lease } from "./leases";
import { createCheckinMetrics } from "./metrics";
import type { WindowDefaults } from "./offline";
import { type OverflowChoice, overflowChoices, overlaps, seatsLeft } from "./overflow";
import type { ScanRequest } from "./request";
import { createScanner, type ScanResult } from "./scan";
import { createScanLog } from "./scanlog";
import { reseat } from "./seats";
import { createSnapshots } from "./snapshot";
import { createStaffActions, type StaffActions } from "./staff";
import { createDoor, type Door } from "./state";

/** Open sessions looked at for an overflow: a time slot rarely holds more. */
const OVERFLOW_CANDIDATES = 50;

/** Where the write path reports what dashboards show. */
export interface LiveSink {
  activity: Activity;
  bus: Bus;
  /** The late threshold in force (settings, changeable at run time). */
  lateThresholdMinutes: () => number;
  /** Sessions' default opening margin and grace (settings), which bound a queued scan's time. */
  windowDefaults: () => WindowDefaults;
  /** One room at a time: an entry closes the person's presence elsewhere (settings). */
  moveOnEntry: () => boolean;
  /** Each scan-log entry once stored (the webhooks' queue takes the events in it). */
  recorded?: (entry: ScanLogDoc) => Promise<void>;
}

/**
 * Every session's door state, built from MongoDB where Redis does not hold it. Every instance
 * builds at once, each in its own order, skipping what another has built, so they meet rather
 * than read twice; a scan meanwhile has its own session built next (door/state-build.ts).
 */
async function warmDoors(db: Db, door: Door): Promise<void> {
  const all = await sessionsOf(db)
    .find({}, { projection: { _id: 1 } })
    .toArray();
  await door.warm(
    all.map((s) => s._id),
    true,
  );
}

/**
 * The door state and the badge directory, both read from MongoDB. Once doors have admitted
 * anyone (a restart mid-event), the directory is read after the door state, so doors waiting
 * for their session get it sooner (a badge the directory does not hold yet is looked up by
 * its code, one indexed query); before that, both at once, for a shorter start. (Read at
 * once mid-event too, the start was no shorter: 5.6–5.8 s against 5.5 s on the 10× conference.)
 */
async function warmUpAll(db: Db, door: Door, directory: Directory, log: Runtime["log"]): Promise<void> {
  const started = Date.now();
  const timed = (what: string, work: Promise<unknown>) =>
    work.then(() => log.info({ ms: Date.now() - started }, `warm-up: ${what} ready`));
  const midEvent = (await checkinsOf(db).findOne({}, { projection: { _id: 1 } })) !== null;
  if (!midEvent) {
    await Promise.all([
      timed("door state", warmDoors(db, door)),
      timed("badge directory", directory.reload()),
    ]);
    return;
  }
  try {
    await timed("door state", warmDoors(db, door));
  } finally {
    await timed("badge directory", directory.reload());
  }
}

/** Redis first; MongoDB when Redis cannot answer. */
const fromMongo = async <T>(read: () => Promise<T>, fallback: () => Promise<T>) => {
  try {
    return await read();
  } catch {
    return fallback();
  }
};

/**
 * The door follows registration writes: one at a time (its field), or many (the session read
 * again). When Redis takes neither the change nor the order to forget the session, `untold`
 * decides: rebuild it once Redis is back, or refuse the answer (see createCheckinService).
 */
const registrationFollowers = (door: Door, activity: Activity, untold: (sessionId: ObjectId) => void) => ({
  /** One registration was written (null: deleted): the door knows at once, at a cost that does not grow with the session. */
  async registrationWritten(
    sessionId: ObjectId,
    participantId: ObjectId,
    status: RegistrationStatus | null,
  ): Promise<void> {
    await door
      .registrationSet(sessionId, participantId, status)
      .catch(() => door.forget(sessionId))
      .catch(() => untold(sessionId));
    activity.changed(sessionId);
  },
  async registrationsChanged(sessionId: ObjectId): Promise<void> {
    await door
      .registrationsChanged(sessionId)
      .catch(() => door.forget(sessionId))
      .catch(() => untold(sessionId));
    activity.changed(sessionId);
  },
});

/** Door devices' seat leases (leases.ts); a change of the seats leased in all makes the other doors renew theirs. */
const leaseActions = (sessions: SessionCache, door: Door, activity: Activity) => ({
  /** The device's seat lease, granted or renewed (null where capacity is not enforced, or being changed). */
  async grantLease(sessionId: ObjectId, lease: string): Promise<Lease | null> {
    const session = await sessions.require(sessionId);
    if (!session.capacityEnforced || session.capacity <= 0) return null;
    const granted = await door.leases.grant(sessionId, lease);
    if (granted?.changed) activity.changed(sessionId);
    return granted;
  },
  /** A device left the session (a room-bound door moved on): its seats go back to the pool now. */
  async giveBackLease(sessionId: ObjectId, lease: string): Promise<number> {
    const seats = Number(await door.leases.giveBack(sessionId, lease));
    if (seats > 0) activity.changed(sessionId);
    return seats;
  },
});

/** Dashboard figures from MongoDB alone (Redis away). */
async function statsFromMongo(db: Db, sessionId: ObjectId) {
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
    // Leases live in Redis: without it no seat is held for anyone.
    held: 0,
    holders: 0,
  };
}

/** A deleted participant leaves nothing behind: check-ins undone (seats and counts freed), registrations gone. */
async function removeParticipantRecords(
  db: Db,
  door: Door,
  undo: (checkInId: ObjectId, by?: string) => Promise<unknown>,
  participantId: ObjectId,
): Promise<void> {
  for (const checkIn of await checkinsOf(db).find({ participantId }).toArray()) {
    await undo(checkIn._id, "participant deleted").catch(() => undefined);
  }
  const regs = await registrationsOf(db).find({ participantId }).toArray();
  const sessionIds = distinctIds(regs.map((r) => r.sessionId));
  // Session by session: a registration made elsewhere meanwhile is not removed unmarked.
  await writingRegistrations(db, sessionIds, () =>
    Promise.all(sessionIds.map((sessionId) => registrationsOf(db).deleteMany({ participantId, sessionId }))),
  );
  for (const sessionId of sessionIds) await door.registrationsChanged(sessionId).catch(() => undefined);
}

/**
 * The check-in feature as the rest of the product uses it: the scan path (scan.ts),
 * the staff actions at the door (decline, undo, exit) and the door state's upkeep.
 */
/**
 * Other sessions open now in the same time slot with room, for a refusal at a full door.
 * Only read on refusals; with Redis away it names none rather than guess.
 */
async function findOverflow(db: Db, door: Door, full: SessionDoc): Promise<OverflowChoice<SessionDoc>[]> {
  try {
    const open = await sessionsOf(db)
      .find({ status: "open", _id: { $ne: full._id } })
      .limit(OVERFLOW_CANDIDATES)
      .toArray();
    // Counts are read only for limited sessions of the same slot, and the whole roster only
    // where who is inside matters (occupancy): a refusal at a full room is when doors are busiest.
    const counted = await Promise.all(
      open
        .filter((session) => overlaps(session, full))
        .map(async (session) => {
          if (seatsLeft(session, { admitted: 0, inside: 0 }) === null)
            return { session, admitted: 0, inside: 0 };
          if (session.capacityMode !== "occupancy")
            return { session, admitted: await door.count(session._id), inside: 0 };
          const figures = await door.stats(session._id);
          return { session, admitted: figures.count, inside: figures.inside };
        }),
    );
    return overflowChoices(full, counted);
  } catch {
    return [];
  }
}

/**
 * A scan at the door. With one room at a time on, an entry then closes the person's presence
 * elsewhere; the entry stands whatever happens to the move (a failed move is logged).
 */
function scanningWithMoves(
  scan: (request: ScanRequest) => Promise<ScanResult>,
  moveAfterEntry: StaffActions["moveAfterEntry"],
  moveOnEntry: () => boolean,
  log: Runtime["log"],
) {
  return async (request: ScanRequest): Promise<ScanResult> => {
    const result = await scan(request);
    const entered = result.checkIn;
    if (moveOnEntry() && result.verdict.outcome === "accept" && entered && !result.replayed)
      await moveAfterEntry(entered, request).catch((err) =>
        log.warn({ err: String(err), checkIn: String(entered._id) }, "move on entry failed"),
      );
    return result;
  };
}

/**
 * A scan route's work not done within `deadlineMs` is answered 503 in words, before Nginx's own
 * limit for scans (10 s) answers a bare 502 or 504 and takes the instance out of its rotation
 * (seen in degraded mode on a slow night). The work itself goes on: its retry under the same
 * nonce is answered as it was decided, and a door treats any 5xx as unanswered (it decides,
 * then replays). Only the scan routes use it: staff actions that scan then do more (a handover's
 * replay, a walk-in) wait for the scan's real outcome.
 */
function withinDeadline<T>(work: () => Promise<T>, deadlineMs: number, log: Runtime["log"]): Promise<T> {
  const done = work();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // What it comes to is logged, not lost: the door's retry reads it.
      done.catch((err: unknown) => log.warn({ err: String(err) }, "scan past its deadline failed"));
      reject(
        unavailable(
          "The server is taking too long to answer this scan; it may still be recorded. Retry in a few seconds: the retry says what happened.",
        ),
      );
    }, deadlineMs);
  });
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

/**
 * Sessions whose registrations changed while Redis could take neither the change nor the
 * order to forget them: in degraded mode, forgotten (rebuilt from MongoDB on demand) once
 * Redis is back; in strict mode the caller gets a 503 in words. An
 * instance whose Redis is closed for good is stopping: its caller gets a 503, not "done", and
 * the retry on another instance tells the door.
 */
function doorsToForget(redis: Runtime["redis"], door: Door, lockMode: LockMode) {
  const sessions = new Set<string>();
  redis.cmd.on("ready", () => {
    for (const id of sessions) {
      sessions.delete(id);
      void door.forget(new ObjectId(id)).catch(() => sessions.add(id));
    }
  });
  return (sessionId: ObjectId): void => {
    if (redis.cmd.status === "end") throw unavailable("This instance is stopping: send the request again.");
    // Strict mode: doors pause while Redis is away, and what they would learn late is not
    // answered as done (its retry, a 409, tells the door once Redis is back).
    if (lockMode === "strict")
      throw unavailable(
        "The registration is saved, but the doors could not hear of it (Redis is unavailable): send it again once Redis is back.",
      );
    sessions.add(String(sessionId));
  };
}

/** The door state is built again after another Redis primary, a missed message or a restore. */
function rebuildWhenNeeded(rt: Runtime, bus: LiveSink["bus"], warmUp: () => Promise<void>): void {
  const rebuild = (why: string) => () =>
    void warmUp().catch((err) => rt.log.warn({ err: String(err) }, `rebuild ${why} failed`));
  // Another primary (a failover, a restart): its door state was dropped.
  rt.redis.onPrimaryChange(rebuild("on a new Redis primary"));
  // Messages may have been missed, or a restore replaced the data: build what is not built.
  void bus.listen((event) => {
    if (event.kind === "resync" || event.kind === "restored") rebuild("after resync")();
  });
}

export function createCheckinService(
  rt: Runtime,
  live: LiveSink,
  { sessions, directory, stamps }: { sessions: SessionCache; directory: Directory; stamps: Stamps },
) {
  const { config, redis, mongo } = rt;
  const db = mongo.db;
  const metrics = createCheckinMetrics(rt.metrics.registry);
  const copies = createDoorCopies({ db, redis: redis.cmd, stamps, instanceId: config.instanceId });
  // Published from the start: doors may write while the instance warms up.
  copies.start();
  const door = createDoor(redis.cmd, db, copies.forBuild);
  const scanlog = createScanLog(db, live.recorded);
  const untold = doorsToForget(redis, door, config.lock.mode);
  const { activity } = live;
  const shared = { db, redis: redis.cmd, sessions, directory, door, scanlog, activity, stamps, copies };
  const scanner = createScanner({
    ...shared,
    instanceId: config.instanceId,
    lockMode: config.lock.mode,
    redisConfirmed: () => redis.isReady,
    databaseReady: (withinMs: number) => mongo.readyWithin(withinMs),
    log: rt.log,
    metrics,
    lateThresholdMinutes: live.lateThresholdMinutes,
    windowDefaults: live.windowDefaults,
  });

  /**
   * Start-up: the badge directory and every session's door state, both before the instance
   * reports ready. Not later, on demand: FerretDB reads a session's registrations by
   * scanning them all, so a burst of first scans building their sessions one by one
   * would ask it for the whole conference once per session.
   */
  const warmUp = () => warmUpAll(db, door, directory, rt.log);

  rebuildWhenNeeded(rt, live.bus, warmUp);

  const staff = createStaffActions({ ...shared, config, windowDefaults: live.windowDefaults });
  const snapshots = createSnapshots({
    door,
    sessions,
    people: () => directory.people(),
    peopleLoaded: () => directory.loaded(),
    lateThresholdMinutes: live.lateThresholdMinutes,
  });
  const { undo, checkout, exit, undoAtDoor } = staff;

  return {
    /** Each session's check-ins packed for a start without the door state (copies.ts); the scheduler's leader packs them. */
    copies,
    /** Every change to a check-in outside the door (privacy) is stamped through this. */
    stamps,
    undoAtDoor,
    searchPeople: (query: string, limit: number) => directory.search(query, limit),
    /** What a door device keeps to decide on its own while offline (see snapshot.ts). */
    doorSnapshot: (sessionId: ObjectId) => snapshots.get(sessionId),
    ...leaseActions(sessions, door, activity),
    scan: scanningWithMoves(scanner.scan, staff.moveAfterEntry, live.moveOnEntry, rt.log),
    /** A scan route's whole work, answered 503 in words past SCAN_DEADLINE_MS. */
    inTime: <T>(work: () => Promise<T>) => withinDeadline(work, config.scanDeadlineMs, rt.log),
    preview: scanner.preview,
    undo,
    getParticipant: (ref: ParticipantRef) => directory.find(ref),

    decline: staff.decline,
    checkout,
    exit,
    count: (sessionId: ObjectId) =>
      fromMongo(
        () => door.count(sessionId),
        () => checkinsOf(db).countDocuments({ sessionId }),
      ),
    overflow: (full: SessionDoc) => findOverflow(db, door, full),
    /** Checked in, inside now, late and registered, for dashboards. */
    liveStats: (sessionId: ObjectId) =>
      fromMongo(
        () => door.stats(sessionId),
        () => statsFromMongo(db, sessionId),
      ),

    /** Capacity or enforcement changed: every check-in gets a seat under the new rule. */
    reseat: <T>(sessionId: ObjectId, change: () => Promise<T>) => reseat(door, db, stamps, sessionId, change),
    ...registrationFollowers(door, activity, untold),
    warmUp,
    warmSession: (sessionId: ObjectId) => door.build(sessionId),
    /** A deleted participant leaves nothing behind: check-ins undone (seats and counts freed), registrations gone. */
    removeParticipantRecords: (participantId: ObjectId) =>
      removeParticipantRecords(db, door, undo, participantId),
    /** A deleted session takes its check-ins and registrations with it (the scan log stays: it is the audit). */
    async removeSessionRecords(sessionId: ObjectId): Promise<void> {
      await Promise.all([
        checkinsOf(db).deleteMany({ sessionId }),
        writingRegistrations(db, [sessionId], () => registrationsOf(db).deleteMany({ sessionId })),
        copies.dropSession(sessionId),
      ]);
      await door.forget(sessionId).catch(() => undefined);
    },
  };
}

export type CheckinService = ReturnType<typeof createCheckinService>;
