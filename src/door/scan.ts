import type Redis from "ioredis";
import { type Db, ObjectId } from "mongodb";
import type { CheckInDoc } from "../checkin/repo";
import type { LockMode } from "../config";
import { unavailable } from "../http/errors";
import type { Logger } from "../infra/log";
import type { Stamps } from "../infra/stamps";
import type { Activity } from "../live/activity";
import type { Directory, Person } from "../participants/directory";
import { badgeKey, normaliseQrCode } from "../participants/qr";
import type { RegistrationStatus } from "../registrations/statuses";
import type { SessionCache } from "../sessions/cache";
import type { SessionDoc } from "../sessions/repo";
import {
  admitsReentry,
  admittingStates,
  type DecisionInput,
  decide,
  finalVerdict,
  type Verdict,
  type Written,
} from "./decide";
import type { CheckinMetrics } from "./metrics";
import { createNonces, type Nonces, once } from "./nonces";
import { assertInWindow, type OfflineScan, scanWindow, type WindowDefaults } from "./offline";
import { countedOnLease, differsFromDoor, letInOffline } from "./offline-decision";
import { type ScanRequest, scanTime } from "./request";
import { createRoom, type Question } from "./room";
import type { ScanLog } from "./scanlog";
import type { Door } from "./state";
import { createWriter } from "./write";

// The scan write path, top to bottom: resolve the badge and the session (from memory),
// ask the room (one Redis script: a retry's first answer, the registration, whether the
// person is inside, the count, and a seat when the rule admits), decide (pure), write
// the check-in (MongoDB's unique indexes settle every race), settle the answer, log it.
// Without Redis, strict mode pauses the doors and degraded mode asks MongoDB alone.

/**
 * How long a scan that arrives while the instance is still connecting to MongoDB waits for it
 * (and for its indexes) before the door is told to retry: a restart takes a fraction of this.
 */
const STARTING_HOLD_MS = 2000;

/**
 * A session that has ended since the offline door scanned someone in during its door hours
 * (its opening margin and grace included: the busiest minutes are just before the start):
 * that person was let in while it ran, so the scan is decided as if it were still open.
 */
function asAtScan(session: SessionDoc, request: ScanRequest, defaults: WindowDefaults): SessionDoc {
  const at = request.offline?.scannedAt;
  if (!at || session.status !== "ended") return session;
  const { from, to } = scanWindow(session, defaults);
  return at >= from && at <= to ? { ...session, status: "open" } : session;
}

/** The person's latest entry, re-entry or exit. */
const lastMoveOf = (doc: CheckInDoc): Date => {
  const times = [doc.checkInTime, doc.lastEntryAt, doc.checkedOutAt].filter(
    (t): t is Date => t instanceof Date,
  );
  return new Date(Math.max(...times.map((t) => t.getTime())));
};

/** The door's own decision and the final one differ on whether the person got in. */
export function isConflict(offline: OfflineScan | undefined, final: Verdict): boolean {
  return offline !== undefined && differsFromDoor(offline.provisional, final);
}

export interface ScanResult {
  verdict: Verdict;
  session: SessionDoc;
  participant: Person | null;
  registration: { status: RegistrationStatus } | null;
  checkIn: CheckInDoc | null;
  /** Check-ins of the session after this scan. */
  count: number;
  replayed: boolean;
  /** Seats left on the scanning door's lease, when it sent one. */
  leaseLeft?: number;
}

export interface ScannerParts {
  db: Db;
  redis: Redis;
  instanceId: string;
  /** Every change to a check-in is stamped (stamps.ts). */
  stamps: Stamps;
  lockMode: LockMode;
  log: Logger;
  redisConfirmed: () => boolean;
  /** MongoDB answers and its indexes exist (the unique ones settle races, whatever Redis says), or does within `withinMs`. */
  databaseReady: (withinMs: number) => Promise<boolean>;
  sessions: SessionCache;
  directory: Directory;
  door: Door;
  scanlog: ScanLog;
  activity: Activity;
  metrics: CheckinMetrics;
  lateThresholdMinutes: () => number;
  /** Sessions' default opening margin and grace (settings), which bound a queued scan's time. */
  windowDefaults: () => WindowDefaults;
}

/**
 * What makes two scans with one nonce the same request: the session, the badge, the
 * direction, the method and the staff's choice. Anything else under a used nonce is refused.
 */
const fingerprint = (request: ScanRequest) =>
  `${request.sessionId}|${badgeKey(request.participant)}|entry|${request.method}|${request.acceptUnregistered ? 1 : 0}`;

/** The rule as it applies to this scan: at its own time, with the late threshold in force. */
const ruleFor = (
  parts: ScannerParts,
  request: ScanRequest,
  session: SessionDoc,
  participant: Person | null,
) => ({
  participant,
  session: asAtScan(session, request, parts.windowDefaults()),
  now: scanTime(request),
  acceptUnregistered: request.acceptUnregistered,
  defaultLateThresholdMinutes: parts.lateThresholdMinutes(),
});

/** A preview asks without claiming; so does a queued scan its door turned away. */
const question = (
  parts: ScannerParts,
  request: ScanRequest,
  participant: Person | null,
  claiming: boolean,
): Question => ({
  admitting: (session) => (claiming ? admittingStates(ruleFor(parts, request, session, participant)) : []),
  reentry: (session) => claiming && admitsReentry(ruleFor(parts, request, session, participant)),
  ...leaseOf(request),
});

/**
 * The door's lease, for a seat: first for a person its door admitted offline against it;
 * online, once the pool is empty. A replay its door did not count on the lease ("unknown",
 * "already in") takes the pool's seats only: the lease's are held for the admissions queued
 * after it.
 */
function leaseOf(request: ScanRequest): Pick<Question, "lease"> {
  if (!request.lease) return {};
  const { offline } = request;
  if (offline && !countedOnLease(offline.provisional)) return {};
  return { lease: { id: request.lease, first: offline !== undefined } };
}

/**
 * A scan the door turned away while offline (its own refusal, not "unknown") is history:
 * the person was sent away, so the replay records it and never admits them now.
 */
const turnedAway = (request: ScanRequest) =>
  request.offline !== undefined &&
  request.offline.provisional !== "unknown" &&
  !letInOffline(request.offline.provisional);

/** The audit (stored before the answer leaves) and the dashboards (queued). */
async function record(
  parts: ScannerParts,
  request: ScanRequest,
  result: ScanResult,
  admitted: boolean,
): Promise<void> {
  const { session, participant, verdict, checkIn } = result;
  const code = "qrCode" in request.participant ? normaliseQrCode(request.participant.qrCode) : undefined;
  const { offline } = request;
  const conflict = isConflict(offline, verdict);
  await parts.scanlog
    .write({
      _id: new ObjectId(),
      at: new Date(),
      instance: parts.instanceId,
      action: "scan",
      sessionId: session._id,
      participantId: participant?._id ?? null,
      ...(code ? { qrCode: code } : {}),
      outcome: verdict.outcome,
      reason: verdict.reason,
      method: request.method,
      ...(request.by ? { by: request.by } : {}),
      ...(request.byId ? { byId: request.byId } : {}),
      ...(request.device ? { device: request.device } : {}),
      ...(request.nonce ? { nonce: request.nonce } : {}),
      ...(checkIn ? { checkInId: checkIn._id } : {}),
      ...(offline
        ? {
            offline: true,
            scannedAt: offline.scannedAt,
            syncedAt: new Date(),
            provisional: offline.provisional,
            ...(conflict ? { conflict: true } : {}),
          }
        : {}),
    })
    .catch((err) => parts.log.error({ err: String(err) }, "scan log write failed"));
  parts.activity.record(
    session._id,
    {
      name: participant?.name ?? "Unknown badge",
      outcome: verdict.outcome,
      reason: verdict.reason,
      // When this move happened: a re-entry's own time, not the first check-in's.
      at: (admitted && checkIn
        ? verdict.reason === "reentry"
          ? (checkIn.lastEntryAt ?? checkIn.checkInTime)
          : checkIn.checkInTime
        : new Date()
      ).toISOString(),
      ...(request.device ? { door: request.device } : {}),
      ...(request.by ? { by: request.by } : {}),
      late: verdict.outcome === "accept" && verdict.isLate,
      ...(conflict ? { conflict: offline?.provisional } : {}),
    },
    admitted,
  );
}

interface ScanContext {
  parts: ScannerParts;
  nonces: Nonces;
  room: ReturnType<typeof createRoom>;
  writer: ReturnType<typeof createWriter>;
}

async function decideAndWrite(ctx: ScanContext, request: ScanRequest): Promise<ScanResult> {
  const { parts, room } = ctx;
  const { door } = parts;
  const { write, writeReentry, unsure } = ctx.writer;
  // 1. The badge and the session, from this instance's memory.
  const asRead = await parts.sessions.require(request.sessionId);
  const participant = await parts.directory.find(request.participant);
  // 2. The room: a retry's first answer, or the facts and (when the rule admits) a seat.
  // A queued scan is taken at its own time, which must fall in the session's door hours.
  if (request.offline) assertInWindow(request.offline.scannedAt, asRead, parts.windowDefaults());
  const claiming = !turnedAway(request);
  const { session, facts } = await room.ask(
    question(parts, request, participant, claiming),
    asRead,
    participant,
  );
  // 3. The decision, pure.
  const input: DecisionInput = {
    ...ruleFor(parts, request, session, participant),
    registration: facts.registration === "none" ? null : { status: facts.registration },
    alreadyCheckedIn: facts.existing !== null,
    checkedOut: Boolean(facts.existing?.checkedOutAt),
    lastMovedAt: facts.existing && lastMoveOf(facts.existing),
    // The places taken include this scan's own claim.
    checkedInCount: facts.claim ? facts.taken - 1 : facts.taken,
  };
  const decided = decide(input);
  const decision: Verdict =
    !claiming && decided.outcome === "accept"
      ? { ...decided, outcome: "refuse", reason: "turned_away_offline", badge: null }
      : decided;
  // A retry of the scan that made this check-in (its admission or its last re-entry), whatever
  // happened since (the person may have left): answered as the original, never written again.
  const retry =
    request.nonce !== undefined &&
    (facts.existing?.nonce === request.nonce || facts.existing?.reentryNonce === request.nonce);
  if (facts.claim && participant && (decision.outcome !== "accept" || retry)) {
    // Otherwise the claim script and `decide` read the same rule: the rule changed in between.
    await door
      .rollback(
        session._id,
        participant._id,
        { seat: facts.claim.seat, claim: facts.claim.entry },
        facts.claim.reentryFrom ?? null,
      )
      .catch(() => unsure(session._id));
    facts.claim = null;
  }
  // 4. Only an admission or a re-entry writes (and only it holds a claim).
  const writes = decision.outcome === "accept" && participant && !retry && (facts.claim || !facts.viaRedis);
  const written: Written<CheckInDoc> = !writes
    ? { kind: "none", existing: facts.existing }
    : decision.reason === "reentry" && facts.existing
      ? await writeReentry(request, session, facts.existing, facts)
      : await write(request, session, participant, decision, facts);
  // 5. The answer: a pure function of the decision and what the write found.
  const verdict = finalVerdict(decision, written, request.nonce);
  const checkIn =
    written.kind === "admitted" || written.kind === "reentered"
      ? written.doc
      : written.kind === "full"
        ? null
        : written.existing;
  const admitted = written.kind === "admitted" || written.kind === "reentered";
  const result: ScanResult = {
    verdict,
    session,
    participant,
    registration: input.registration,
    checkIn,
    count: written.kind === "full" && facts.claim && !facts.claim.reentryFrom ? facts.count - 1 : facts.count,
    replayed: verdict.outcome === "accept" && !admitted,
    ...(request.lease && facts.leaseLeft !== undefined && facts.leaseLeft >= 0
      ? { leaseLeft: facts.leaseLeft }
      : {}),
  };
  if (result.replayed) return result;
  // Dashboards hear of every move in: admissions (arrivals) and re-entries (people inside).
  await record(parts, request, result, admitted);
  return result;
}

/** Decides a scan and, when the verdict is accept, checks the participant in, exactly once. */
async function scan(ctx: ScanContext, request: ScanRequest): Promise<ScanResult> {
  const { metrics } = ctx.parts;
  // Nothing is admitted before the unique indexes exist (an instance's first start on a
  // database, or one restored without them): they are what makes a second admission impossible.
  // A restart has them, and checks them in a moment: the scans arriving meanwhile wait for it.
  if (!(await ctx.parts.databaseReady(STARTING_HOLD_MS)))
    throw unavailable(
      "Check-in is starting: the database's unique indexes are not in place yet. Retry in a few seconds.",
    );
  const stopTimer = metrics.decision.startTimer();
  const counted = (outcome: string, reason: string) =>
    metrics.scans.inc({ session_id: String(request.sessionId), outcome, reason });
  try {
    const result = await once(
      ctx.nonces,
      request.nonce,
      fingerprint(request),
      () => decideAndWrite(ctx, request),
      (first) => ({ ...first, replayed: true }),
    );
    counted(result.verdict.outcome, result.verdict.reason);
    return result;
  } catch (error) {
    // A scan answered with an error (Redis away in strict mode, a dependency too slow) is a
    // scan all the same: the alerts on slow and failing scans must see it.
    counted("error", String((error as { status?: number } | null)?.status ?? 500));
    throw error;
  } finally {
    stopTimer();
  }
}

/** Decides a scan without writing anything (verify-qr and the scanner's preview). */
async function preview(ctx: ScanContext, request: ScanRequest): Promise<ScanResult> {
  const { parts, room } = ctx;
  const asRead = await parts.sessions.require(request.sessionId);
  const participant = await parts.directory.find(request.participant);
  const { session, facts } = await room.ask(
    question(parts, request, participant, false),
    asRead,
    participant,
  );
  const registration = facts.registration === "none" ? null : { status: facts.registration };
  const verdict = decide({
    ...ruleFor(parts, request, session, participant),
    registration,
    alreadyCheckedIn: facts.existing !== null,
    checkedOut: Boolean(facts.existing?.checkedOutAt),
    checkedInCount: facts.taken,
  });
  return {
    verdict,
    session,
    participant,
    registration,
    checkIn: facts.existing,
    count: facts.count,
    replayed: false,
  };
}

export function createScanner(parts: ScannerParts) {
  const ctx: ScanContext = {
    parts,
    nonces: createNonces(parts.redis, parts.lockMode === "strict", () =>
      parts.metrics.locks.inc({ result: "unavailable" }),
    ),
    room: createRoom(parts),
    writer: createWriter({
      db: parts.db,
      door: parts.door,
      redis: parts.redis,
      instanceId: parts.instanceId,
      stamps: parts.stamps,
    }),
  };
  return {
    scan: (request: ScanRequest) => scan(ctx, request),
    preview: (request: ScanRequest) => preview(ctx, request),
  };
}

export type Scanner = ReturnType<typeof createScanner>;
