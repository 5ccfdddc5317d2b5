import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import type { CheckInDoc } from "../checkin/repo";
import type { LockMode } from "../config";
import { AppError, unavailable } from "../http/errors";
import { phrase } from "../i18n/locale";
import { KEYS } from "../infra/keys";
import type { Logger } from "../infra/log";
import { isDatabaseUnreachable } from "../infra/mongo";
import type { Person } from "../participants/directory";
import type { SessionCache } from "../sessions/cache";
import type { SessionDoc } from "../sessions/repo";
import { checkInOfEntry, seatRule } from "./codec";
import type { RegistrationState } from "./decide";
import { createDegradedFacts } from "./degraded";
import type { CheckinMetrics } from "./metrics";
import { freeSeatsInDb } from "./seats";
import type { Door } from "./state";

// Asking the room: the scan's questions in one Redis script (door.ts), with the usual
// detours (a cold or stale door state, a re-seat in progress, another door on the same
// badge, a room that only looks full) and, without Redis, MongoDB alone (degraded
// mode) or a pause (strict mode).

/**
 * How long the room is asked before a scan gives up on a busy badge or session: under
 * Nginx's 10 s, so the door hears a 503 in words rather than a bare 504.
 */
const WAIT_MS = 8000;
const WAIT_STEP_MS = 10;

/** What the room knows of this person, and the seat held for them when the rule admits. */
export interface Facts {
  registration: RegistrationState;
  existing: CheckInDoc | null;
  /** Admissions so far. */
  count: number;
  /** Places taken under the session's rule: admissions, or people inside now (occupancy). */
  taken: number;
  /**
   * A claim to turn into the check-in: a seat number, or null where capacity is not
   * enforced; for a re-entry, the roster entry the person came back from.
   */
  claim: { seat: number | null; entry: string; reentryFrom?: string } | null;
  viaRedis: boolean;
  /** Seats left on the asking door's lease (leases.ts), when it holds one. */
  leaseLeft?: number;
}

/** One scan's question: which registrations the rule admits. */
export interface Question {
  admitting: (session: SessionDoc) => RegistrationState[];
  /** Whether the rule lets a person who left come back in. */
  reentry: (session: SessionDoc) => boolean;
  /** The asking door's seat lease; `first` when its door admitted the person offline against it. */
  lease?: { id: string; first: boolean };
}

export type Answer = { facts: Facts; session: SessionDoc };

export interface RoomParts {
  db: Db;
  redis: Redis;
  door: Door;
  sessions: SessionCache;
  metrics: CheckinMetrics;
  lockMode: LockMode;
  log: Logger;
  /** Connected to a Redis primary whose door state may be trusted (see infra/redis-primary.ts). */
  redisConfirmed: () => boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const enforced = (s: SessionDoc) => (s.capacityEnforced && s.capacity > 0 ? s.capacity : 0);

/** One round trip in the usual case: the facts, with the session as the room knows it (a stale copy is read again). */
async function askRoom(
  parts: RoomParts,
  question: Question,
  asRead: SessionDoc,
  participant: Person | null,
): Promise<Answer> {
  const { db, door, sessions } = parts;
  // Answered as "Redis away" rather than from a primary not yet adopted (stale after a failover).
  if (!parts.redisConfirmed()) throw new Error("no confirmed Redis primary");
  let session = asRead;
  let recounted = false;
  const started = Date.now();
  for (let round = 0; Date.now() - started < WAIT_MS; round++) {
    const admitting = question.admitting(session);
    const claim = await door.claim({
      sessionId: session._id,
      participantId: participant?._id ?? null,
      admitting,
      reentry: question.reentry(session),
      rule: seatRule(session),
      lease: question.lease,
    });
    const existing = (entry: string) =>
      participant ? checkInOfEntry(entry, session._id, participant._id) : null;
    switch (claim.kind) {
      case "facts":
        return {
          session,
          facts: { ...claim, existing: existing(claim.entry), claim: null, viaRedis: true },
        };
      case "claimed":
        return {
          session,
          facts: {
            ...claim,
            existing: null,
            claim: { seat: claim.seat, entry: claim.claim },
            viaRedis: true,
          },
        };
      case "reentered":
        return {
          session,
          facts: {
            ...claim,
            existing: existing(claim.entry),
            claim: { seat: claim.seat, entry: claim.claim, reentryFrom: claim.entry },
            viaRedis: true,
          },
        };
      case "full":
        // Seats lost by a request that died, or held by a lease that lapsed, would make the room
        // look full: ask MongoDB, at most once a second.
        if (!recounted && (await mayRecount(parts, session._id))) {
          recounted = true;
          const held = claim.held > 0 ? await door.leases.sweep(session._id) : 0;
          if (held < claim.held) continue;
          if ((await freeSeatsInDb(db, session._id)).length > held) {
            await door.replace(session._id);
            continue;
          }
        }
        return {
          session,
          facts: {
            ...claim,
            taken: Math.max(claim.taken, session.capacity),
            existing: existing(claim.entry),
            claim: null,
            viaRedis: true,
          },
        };
      case "cold":
        if (round > 3) throw new Error("the door state could not be built");
        await door.build(session._id);
        break;
      case "stale": {
        const fresh = await sessions.refresh(session._id);
        if (!fresh)
          throw new AppError(404, phrase("Session with ID {id} not found", { id: String(session._id) }));
        if (enforced(fresh) === enforced(session)) await door.replace(session._id);
        session = fresh;
        break;
      }
      default:
        // frozen (capacity being changed) or busy (another door is admitting this badge).
        await sleep(claim.kind === "frozen" ? 50 : WAIT_STEP_MS);
    }
  }
  throw unavailable("This badge or session is busy at another door; scan again in a moment.");
}

const mayRecount = async (parts: RoomParts, sessionId: ObjectId) =>
  (await parts.redis.set(KEYS.recount(sessionId), "1", "PX", 1000, "NX").catch(() => "OK")) === "OK";

/** Redis first; without it, strict mode pauses check-in and degraded mode asks MongoDB. */
async function ask(
  parts: RoomParts,
  fromMongo: ReturnType<typeof createDegradedFacts>,
  question: Question,
  session: SessionDoc,
  participant: Person | null,
): Promise<Answer> {
  const { metrics } = parts;
  try {
    const answer = await askRoom(parts, question, session, participant);
    metrics.locks.inc({ result: "acquired" });
    return answer;
  } catch (error) {
    // Not Redis: the room's state is being rebuilt from a database that is away (said as such).
    if (error instanceof AppError || isDatabaseUnreachable(error)) throw error;
    // Full (maxmemory with noeviction): it answers, but takes no writes; counted apart for the alert.
    const full = /\bOOM\b/.test(String(error));
    metrics.locks.inc({ result: full ? "full" : "unavailable" });
    if (full && parts.lockMode === "strict") {
      throw unavailable(
        "Check-in is paused: the coordination service (Redis) is out of memory and takes no writes. Operators: raise maxmemory or free memory.",
      );
    }
    if (parts.lockMode === "strict") {
      throw unavailable(
        "Check-in is paused: the coordination service (Redis) is unavailable. Retry in a few seconds.",
      );
    }
    degradedWarning(parts.log, error);
    return { session, facts: { ...(await fromMongo(session, participant)), claim: null, viaRedis: false } };
  }
}

/** Said once a minute at most: every scan of an outage would otherwise write its own line. */
let warnedAt = 0;
function degradedWarning(log: Logger, error: unknown): void {
  if (Date.now() - warnedAt < 60_000) return;
  warnedAt = Date.now();
  log.warn({ err: String(error) }, "Redis unavailable; relying on MongoDB guards (degraded mode)");
}

export function createRoom(parts: RoomParts) {
  const fromMongo = createDegradedFacts(parts.db);
  return {
    ask: (question: Question, session: SessionDoc, participant: Person | null) =>
      ask(parts, fromMongo, question, session, participant),
  };
}
