import { BSON, ObjectId } from "mongodb";
import { AppError, notFound, unavailable } from "../http/errors";
import { cached, store } from "../infra/cache";
import { LockBusyError, LockUnavailableError, withLock } from "../infra/lock";
import type { Activity } from "../live/activity";
import type { Bus } from "../live/bus";
import { createDirectory } from "../participants/directory";
import type { ParticipantDoc } from "../participants/repo";
import { participantsOf } from "../participants/repo";
import { registrationsOf } from "../registrations/repo";
import type { Runtime } from "../runtime";
import type { SessionDoc } from "../sessions/repo";
import { sessionsOf } from "../sessions/repo";
import { decide, isFull, type RegistrationStatus, type Verdict } from "./decide";
import { createCheckinMetrics } from "./metrics";
import { normaliseQrCode } from "./qr";
import { type CheckInDoc, checkinsOf, isDuplicateKey, type Method, type ScanLogDoc, scanlogOf } from "./repo";
import { createRoster } from "./roster";
import { awaitUnfrozen, claimSeatFast, claimSeatFromDb, releaseSeat, reseat } from "./seats";

/** "Not found" is cached only briefly, so a badge added a moment ago works at once. */
const MISSING_TTL_MS = 2000;
const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const SEAT_CLAIM_ATTEMPTS = 8;

export type ParticipantRef = { qrCode: string } | { participantId: ObjectId };

export interface ScanRequest {
  sessionId: ObjectId;
  participant: ParticipantRef;
  method: Method;
  /** Staff accepted someone without a confirmed registration. */
  acceptUnregistered: boolean;
  by?: string;
  device?: string;
  notes?: string;
  /** Client nonce or Idempotency-Key: the same key always gets the same answer. */
  nonce?: string;
}

export interface ScanResult {
  verdict: Verdict;
  session: SessionDoc;
  participant: ParticipantDoc | null;
  registration: { status: RegistrationStatus } | null;
  checkIn: CheckInDoc | null;
  /** Check-ins of the session after this scan. */
  count: number;
  replayed: boolean;
}

export const sessionKey = (id: ObjectId | string) => `session:${id}`;

/** Where the write path reports what dashboards show. */
export interface LiveSink {
  activity: Activity;
  bus: Bus;
  /** The late threshold in force (settings, changeable at run time). */
  lateThresholdMinutes: () => number;
}

function admittedVerdict(verdict: Verdict, checkIn: CheckInDoc): Verdict {
  return { ...verdict, outcome: "accept", reason: "ok", badge: checkIn.badge, isLate: checkIn.isLate };
}

export function createCheckinService(rt: Runtime, live: LiveSink) {
  const { config, redis, mongo } = rt;
  const db = mongo.db;
  const cmd = redis.cmd;

  const getSession = (id: ObjectId) =>
    cached(cmd, sessionKey(id), config.ttl.sessionMs, MISSING_TTL_MS, () =>
      sessionsOf(db).findOne({ _id: id }),
    );

  const directory = createDirectory(cmd, db);
  const metrics = createCheckinMetrics(rt.metrics.registry);

  /** From MongoDB when the directory does not know it; unknown codes are remembered for 2 s. */
  async function participantFromDb(filter: { qrCode: string } | { _id: ObjectId }, missKey: string) {
    if ((await cmd.get(missKey).catch(() => null)) !== null) return null;
    const found = await participantsOf(db).findOne(filter);
    if (found) await directory.put(found);
    else await cmd.set(missKey, "1", "PX", MISSING_TTL_MS).catch(() => undefined);
    return found;
  }

  async function getParticipant(ref: ParticipantRef): Promise<ParticipantDoc | null> {
    if ("participantId" in ref) {
      const known = await directory.byId(ref.participantId);
      metrics.cache.inc({ cache: "directory", result: known ? "hit" : "miss" });
      return (
        known ?? participantFromDb({ _id: ref.participantId }, `participant:id-miss:${ref.participantId}`)
      );
    }
    // Codes are exact; a scanner in caps-lock or a lower-case wedge still finds an upper-case badge.
    for (const code of new Set([normaliseQrCode(ref.qrCode), normaliseQrCode(ref.qrCode).toUpperCase()])) {
      const known = await directory.byQr(code);
      metrics.cache.inc({ cache: "directory", result: known ? "hit" : "miss" });
      const found = known ?? (await participantFromDb({ qrCode: code }, `participant:qr-miss:${code}`));
      if (found) return found;
    }
    return null;
  }

  const roster = createRoster(cmd, db, {
    rosterMs: config.ttl.statsMs,
    registrationsMs: config.ttl.sessionMs,
  });
  const countFromDb = (sessionId: ObjectId) => checkinsOf(db).countDocuments({ sessionId });
  const count = async (sessionId: ObjectId) => (await roster.count(sessionId)) ?? countFromDb(sessionId);
  const changed = (sessionId: ObjectId) =>
    live.bus.publish({ kind: "session", sessionId: String(sessionId), at: Date.now() });

  async function requireSession(id: ObjectId): Promise<SessionDoc> {
    const session = await getSession(id);
    if (!session) throw notFound(`Session with ID ${id} not found`);
    return session;
  }

  /**
   * The answer already given to this nonce for this badge. Redis keeps answers for a
   * day; if Redis lost them, a retried admission is still recognised by the nonce
   * stored on the check-in itself (see scan), so a retry never becomes a second check-in.
   */
  const idemKey = (request: ScanRequest) =>
    `idem:${request.sessionId}:${"qrCode" in request.participant ? normaliseQrCode(request.participant.qrCode) : request.participant.participantId}:${request.nonce}`;

  async function replay(request: ScanRequest): Promise<ScanResult | null> {
    if (!request.nonce) return null;
    const stored = await cmd.get(idemKey(request)).catch(() => null);
    return stored
      ? { ...(BSON.EJSON.parse(stored, { relaxed: false }) as ScanResult), replayed: true }
      : null;
  }

  /** The first answer wins: a later retry can never replace it. */
  async function remember(request: ScanRequest, result: ScanResult): Promise<void> {
    if (!request.nonce) return;
    await cmd
      .set(idemKey(request), BSON.EJSON.stringify(result, { relaxed: false }), "PX", IDEMPOTENCY_TTL_MS, "NX")
      .catch(() => undefined);
  }

  /** Runs `work` under the per-(session, participant) lock, as DISTRIBUTED_LOCK_MODE says. */
  async function locked<T>(sessionId: ObjectId, participantKey: string, work: () => Promise<T>): Promise<T> {
    try {
      return await withLock(cmd, `lock:checkin:${sessionId}:${participantKey}`, config.lock, () => {
        metrics.locks.inc({ result: "acquired" });
        return work();
      });
    } catch (error) {
      if (error instanceof LockUnavailableError) {
        metrics.locks.inc({ result: "unavailable" });
        if (config.lock.mode === "strict") {
          throw unavailable(
            "Check-in is paused: the coordination service (Redis) is unavailable. Retry in a few seconds.",
          );
        }
        rt.log.warn({ err: error.message }, "lock unavailable; relying on MongoDB guards (degraded mode)");
        return work();
      }
      if (error instanceof LockBusyError) {
        metrics.locks.inc({ result: "busy" });
        // Another door holds this badge for longer than our retries: the unique
        // indexes still decide, so answer instead of making the door guess.
        return work();
      }
      throw error;
    }
  }

  /** Registration and existing check-in, from the Redis roster when it can tell, else MongoDB. */
  async function loadFacts(session: SessionDoc, participant: ParticipantDoc | null) {
    if (!participant) return { registration: null, existing: null };
    const [status, inside] = await Promise.all([
      roster.registration(session._id, participant._id),
      roster.has(session._id, participant._id),
    ]);
    const [registration, existing] = await Promise.all([
      status === undefined
        ? registrationsOf(db).findOne({ participantId: participant._id, sessionId: session._id })
        : status === null
          ? null
          : { status },
      inside === false
        ? null
        : checkinsOf(db).findOne({ sessionId: session._id, participantId: participant._id }),
    ]);
    return { registration: registration && { status: registration.status }, existing };
  }

  const mayRecount = async (sessionId: ObjectId) =>
    (await cmd.set(`recount:${sessionId}`, "1", "PX", 1000, "NX").catch(() => "OK")) === "OK";

  async function judge(request: ScanRequest, session: SessionDoc, participant: ParticipantDoc | null) {
    const { registration, existing } = await loadFacts(session, participant);
    let checkedIn = await count(session._id);
    const input = {
      participant,
      session,
      registration,
      alreadyCheckedIn: existing !== null,
      checkedInCount: checkedIn,
      now: new Date(),
      acceptUnregistered: request.acceptUnregistered,
      defaultLateThresholdMinutes: live.lateThresholdMinutes(),
    };
    let verdict = decide(input);
    // The cached count may be stale: before refusing, recount in MongoDB, at most
    // once a second per session so a rush on a full room does not hammer the database.
    if (verdict.reason === "session_full" && (await mayRecount(session._id))) {
      checkedIn = await countFromDb(session._id);
      await roster.forget(session._id);
      if (!isFull(session, checkedIn)) verdict = decide({ ...input, checkedInCount: checkedIn });
    }
    return { verdict, registration, existing, checkedIn };
  }

  async function claimSeat(session: SessionDoc, participant: ParticipantDoc, redisUp: boolean) {
    if (!session.capacityEnforced || session.capacity <= 0)
      return { seat: `free:${participant._id}` as const };
    if (redisUp) {
      try {
        return await claimSeatFast(cmd, db, session._id);
      } catch (error) {
        if (error instanceof AppError) throw error;
        // Redis went away mid-scan: MongoDB alone still decides correctly.
      }
    }
    return claimSeatFromDb(db, session._id);
  }

  /** Check-in writes in progress for a session (their locks), so a re-seat can wait for them. */
  async function inFlight(sessionId: ObjectId): Promise<number> {
    const prefix = cmd.options.keyPrefix ?? "";
    const [, found] = await cmd.scan("0", "MATCH", `${prefix}lock:checkin:${sessionId}:*`, "COUNT", 1000);
    return found.length;
  }

  /** Writes the check-in; the unique indexes settle every race the lock did not prevent. */
  async function admit(
    request: ScanRequest,
    asRead: SessionDoc,
    participant: ParticipantDoc,
    verdict: Verdict,
  ) {
    // A capacity change re-seats the session: wait for it and use the session as it is now.
    const waited = redis.isReady ? await awaitUnfrozen(cmd, asRead._id) : false;
    const session = waited ? ((await sessionsOf(db).findOne({ _id: asRead._id })) ?? asRead) : asRead;
    const now = new Date();
    for (let attempt = 0; attempt < SEAT_CLAIM_ATTEMPTS; attempt++) {
      const claim = await claimSeat(session, participant, redis.isReady);
      if ("full" in claim) return { outcome: "full" as const };
      const doc: CheckInDoc = {
        _id: new ObjectId(),
        participantId: participant._id,
        sessionId: session._id,
        checkInTime: now,
        method: request.method,
        ...(request.by ? { checkedInBy: request.by } : {}),
        ...(request.device ? { device: request.device } : {}),
        ...(request.notes ? { notes: request.notes } : {}),
        isLate: verdict.isLate,
        badge: verdict.wasRegistered ? "accepted" : "accepted_unregistered",
        wasRegistered: verdict.wasRegistered,
        seat: claim.seat,
        instance: config.instanceId,
        ...(request.nonce ? { nonce: request.nonce } : {}),
        checkedOutAt: null,
        createdAt: now,
        updatedAt: now,
        __v: 0,
      };
      try {
        await checkinsOf(db).insertOne(doc);
        await roster.add(session._id, participant._id, doc.isLate);
        return { outcome: "admitted" as const, doc };
      } catch (error) {
        if (!isDuplicateKey(error)) {
          await releaseSeat(cmd, session._id, claim.seat).catch(() => undefined);
          throw error;
        }
        const existing = await checkinsOf(db).findOne({
          sessionId: session._id,
          participantId: participant._id,
        });
        if (existing) {
          await roster.add(session._id, participant._id, existing.isLate);
          await releaseSeat(cmd, session._id, claim.seat).catch(() => undefined);
          return { outcome: "duplicate" as const, existing };
        }
        // The seat was taken after all (a rebuilt list or a MongoDB-only race): claim another.
      }
    }
    return { outcome: "full" as const };
  }

  async function log(entry: Omit<ScanLogDoc, "_id" | "at" | "instance">): Promise<void> {
    await scanlogOf(db).insertOne({
      _id: new ObjectId(),
      at: new Date(),
      instance: config.instanceId,
      ...entry,
    });
  }

  /** Decides a scan without writing anything (verify-qr and the scanner's preview). */
  async function preview(request: ScanRequest): Promise<ScanResult> {
    const session = await requireSession(request.sessionId);
    const participant = await getParticipant(request.participant);
    const { verdict, registration, existing, checkedIn } = await judge(request, session, participant);
    return {
      verdict,
      session,
      participant,
      registration,
      checkIn: existing,
      count: checkedIn,
      replayed: false,
    };
  }

  /** Decides a scan and, when the verdict is accept, checks the participant in, exactly once. */
  async function scan(request: ScanRequest): Promise<ScanResult> {
    const stopTimer = metrics.decision.startTimer();
    const result = await decideAndWrite(request);
    stopTimer();
    metrics.scans.inc({
      session_id: String(request.sessionId),
      outcome: result.verdict.outcome,
      reason: result.verdict.reason,
    });
    return result;
  }

  async function decideAndWrite(request: ScanRequest): Promise<ScanResult> {
    const session = await requireSession(request.sessionId);
    const participant = await getParticipant(request.participant);
    const earlier = await replay(request);
    if (earlier) return earlier;
    const participantKey = participant
      ? String(participant._id)
      : `code:${JSON.stringify(request.participant)}`;

    let admitted = false;
    const result = await locked(session._id, participantKey, async (): Promise<ScanResult> => {
      const again = await replay(request);
      if (again) return again;
      const judged = await judge(request, session, participant);
      let { verdict } = judged;
      let checkIn = judged.existing;
      let checkedIn = judged.checkedIn;
      const base = { session, participant, registration: judged.registration, replayed: false };
      // The original of a retry got in: answer as it was answered, write nothing.
      const originalOf = (existing: CheckInDoc | null) =>
        request.nonce !== undefined && existing?.nonce === request.nonce
          ? {
              ...base,
              verdict: admittedVerdict(verdict, existing),
              checkIn: existing,
              count: checkedIn,
              replayed: true,
            }
          : null;
      const original = originalOf(checkIn);
      if (original) return original;
      if (verdict.outcome === "accept" && participant) {
        const written = await admit(request, session, participant, verdict);
        if (written.outcome === "admitted") {
          admitted = true;
          checkIn = written.doc;
          checkedIn = await count(session._id);
        } else if (written.outcome === "full") {
          verdict = { ...verdict, outcome: "refuse", reason: "session_full", badge: null };
        } else {
          checkIn = written.existing;
          const racedOriginal = originalOf(checkIn);
          if (racedOriginal) return racedOriginal;
          verdict = { ...verdict, outcome: "already", reason: "already_checked_in", badge: null };
        }
      }
      return { ...base, verdict, checkIn, count: checkedIn };
    });
    if (result.replayed) return result;
    await remember(request, result);

    // The audit and the dashboards must not turn a committed check-in into an error.
    await log({
      action: "scan",
      sessionId: session._id,
      participantId: participant?._id ?? null,
      ...("qrCode" in request.participant ? { qrCode: normaliseQrCode(request.participant.qrCode) } : {}),
      outcome: result.verdict.outcome,
      reason: result.verdict.reason,
      method: request.method,
      ...(request.by ? { by: request.by } : {}),
      ...(request.device ? { device: request.device } : {}),
      ...(request.nonce ? { nonce: request.nonce } : {}),
      ...(result.checkIn ? { checkInId: result.checkIn._id } : {}),
    }).catch((err) => rt.log.error({ err: String(err) }, "scan log write failed"));
    await live.activity.record(
      session._id,
      {
        name: participant?.name ?? ("qrCode" in request.participant ? request.participant.qrCode : "unknown"),
        outcome: result.verdict.outcome,
        reason: result.verdict.reason,
        at: (admitted && result.checkIn ? result.checkIn.checkInTime : new Date()).toISOString(),
        ...(request.device ? { door: request.device } : {}),
        late: result.verdict.outcome === "accept" && result.verdict.isLate,
      },
      admitted,
    );
    changed(session._id);
    return result;
  }

  async function decline(input: {
    sessionId: ObjectId;
    participantId: ObjectId;
    by?: string;
    reason?: string;
  }): Promise<{ entry: ScanLogDoc; session: SessionDoc; participant: ParticipantDoc }> {
    const session = await requireSession(input.sessionId);
    const participant = await getParticipant({ participantId: input.participantId });
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
      response: { wasRegistered: registration?.status === "confirmed" },
    };
    await scanlogOf(db).insertOne(entry);
    await live.activity.record(
      session._id,
      { name: participant.name, outcome: "declined", reason: entry.reason, at: entry.at.toISOString() },
      false,
    );
    changed(session._id);
    return { entry, session, participant };
  }

  /** Undo (admin): removes the check-in, frees its seat and count exactly once; logged. */
  async function undo(checkInId: ObjectId, by?: string): Promise<CheckInDoc> {
    const found = await checkinsOf(db).findOne({ _id: checkInId });
    if (!found) throw notFound(`CheckIn with ID ${checkInId} not found`);
    const removed = await locked(found.sessionId, String(found.participantId), async () => {
      const { deletedCount } = await checkinsOf(db).deleteOne({ _id: checkInId });
      return deletedCount === 1;
    });
    if (!removed) throw notFound(`CheckIn with ID ${checkInId} not found`);
    await Promise.all([
      releaseSeat(cmd, found.sessionId, found.seat).catch(() => undefined),
      roster.remove(found.sessionId, found.participantId),
      live.activity.uncount(found.sessionId, found.checkInTime),
    ]);
    changed(found.sessionId);
    await log({
      action: "undo",
      sessionId: found.sessionId,
      participantId: found.participantId,
      outcome: "done",
      reason: "check-in undone",
      checkInId: found._id,
      ...(by ? { by } : {}),
    });
    return found;
  }

  /** Exit: the person left the room; the check-in (and its seat) stays, "inside now" drops. */
  async function checkout(checkInId: ObjectId, by?: string): Promise<CheckInDoc> {
    const now = new Date();
    const found = await checkinsOf(db).findOne({ _id: checkInId });
    if (!found) throw notFound(`CheckIn with ID ${checkInId} not found`);
    // Under the badge's lock: two doors recording the same exit write it once.
    const updated = await locked(found.sessionId, String(found.participantId), () =>
      checkinsOf(db).findOneAndUpdate(
        { _id: checkInId, checkedOutAt: null },
        { $set: { checkedOutAt: now, updatedAt: now } },
        { returnDocument: "after" },
      ),
    );
    if (!updated) {
      const exists = await checkinsOf(db).findOne({ _id: checkInId });
      if (!exists) throw notFound(`CheckIn with ID ${checkInId} not found`);
      throw new AppError(409, "This participant has already left the session");
    }
    await roster.leave(updated.sessionId, updated.participantId);
    changed(updated.sessionId);
    await log({
      action: "checkout",
      sessionId: updated.sessionId,
      participantId: updated.participantId,
      outcome: "done",
      reason: "left the session",
      checkInId: updated._id,
      ...(by ? { by } : {}),
    });
    return updated;
  }

  return {
    preview,
    scan,
    decline,
    undo,
    checkout,
    requireSession,
    getParticipant,
    count,
    /** After a session was created, changed or deleted: caches and dashboards, on every instance. */
    async sessionChanged(id: ObjectId, doc: SessionDoc | null) {
      await store(cmd, sessionKey(id), doc, config.ttl.sessionMs);
      changed(id);
    },
    /** Capacity or enforcement changed: every check-in gets a seat under the new rule. */
    reseat: <T>(sessionId: ObjectId, change: () => Promise<T>) =>
      reseat(cmd, db, sessionId, () => inFlight(sessionId), change),
    async registrationsChanged(sessionId: ObjectId) {
      await roster.registrationsChanged(sessionId);
      changed(sessionId);
    },
    /** Checked in, inside now and late. */
    async liveStats(sessionId: ObjectId) {
      const stats = await roster.stats(sessionId);
      if (stats) return stats;
      const docs = await checkinsOf(db)
        .find({ sessionId }, { projection: { isLate: 1, checkedOutAt: 1, _id: 0 } })
        .toArray();
      return {
        count: docs.length,
        inside: docs.filter((d) => !d.checkedOutAt).length,
        late: docs.filter((d) => d.isLate).length,
      };
    },
    async registeredCount(sessionId: ObjectId) {
      return (
        (await roster.registeredCount(sessionId)) ??
        registrationsOf(db).countDocuments({ sessionId, status: "confirmed" })
      );
    },
    /** Start-up warm-up: the badge directory, and the rosters of sessions open now. */
    async warmUp() {
      await directory.reload();
      const open = await sessionsOf(db)
        .find({ status: "open" }, { projection: { _id: 1 } })
        .toArray();
      await roster.warm(open.map((s) => s._id));
    },
    warmSession: (sessionId: ObjectId) => roster.warm([sessionId]),
    /** A deleted participant leaves nothing behind: check-ins undone (seats and counts freed), registrations gone. */
    async removeParticipantRecords(participantId: ObjectId) {
      for (const checkIn of await checkinsOf(db).find({ participantId }).toArray()) {
        await undo(checkIn._id, "participant deleted").catch(() => undefined);
      }
      const regs = await registrationsOf(db).find({ participantId }).toArray();
      await registrationsOf(db).deleteMany({ participantId });
      for (const sessionId of new Set(regs.map((r) => String(r.sessionId)))) {
        await roster.registrationsChanged(new ObjectId(sessionId));
      }
    },
    /** A deleted session takes its check-ins and registrations with it (the scan log stays: it is the audit). */
    async removeSessionRecords(sessionId: ObjectId) {
      await Promise.all([
        checkinsOf(db).deleteMany({ sessionId }),
        registrationsOf(db).deleteMany({ sessionId }),
      ]);
      await Promise.all([roster.forget(sessionId), roster.registrationsChanged(sessionId)]);
    },
    /** After writes behind the API (import, restore): every badge resolves at once. */
    reloadDirectory: () => directory.reload(),
    /** After a participant was created, changed or deleted (`removed`), on every instance at once. */
    async participantChanged(p: ParticipantDoc, change: { removed?: boolean } = {}) {
      if (change.removed) await directory.remove(p._id);
      else await directory.put(p);
      await cmd.del(`participant:qr-miss:${p.qrCode}`, `participant:id-miss:${p._id}`).catch(() => undefined);
    },
  };
}

export type CheckinService = ReturnType<typeof createCheckinService>;
