import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import { checkinsOf } from "../checkin/repo";
import { KEYS } from "../infra/keys";
import { eachRoster, type Packed, refreshRoster } from "../registrations/rosters";
import { sessionsOf } from "../sessions/repo";
import { entryOf, FIELD, registrationFields, seatRule } from "./codec";
import type { Scripts } from "./state-scripts";

// Building the door state (door.ts) from MongoDB: one session as it stands, or the whole
// conference at start-up from the sessions' packed registrations and each session's check-ins.

/**
 * Sessions read at once by one instance in a build of many: every instance builds at once
 * (each in its own order), and FerretDB gains little beyond a few queries at a time.
 */
const READS_AT_ONCE = 2;

/** A build of many sessions under way. */
export interface Warming {
  done: Promise<void>;
  /** Resolves once this session is built, taking it out of turn; null when this build does not hold it. */
  session(sessionId: ObjectId): Promise<void> | null;
}

/** 0 … n−1 in random order. */
function shuffled(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** Sessions waiting their turn to be built, each with the promise of its build; one asked for goes next. */
function buildQueue() {
  const turns = new Map<string, ObjectId>();
  const built = new Map<string, { promise: Promise<void>; settle: (error?: unknown) => void }>();
  const outOfTurn: string[] = [];
  return {
    add(id: ObjectId): void {
      let settle: (error?: unknown) => void = () => undefined;
      const promise = new Promise<void>((resolve, reject) => {
        settle = (error) => (error === undefined ? resolve() : reject(error));
      });
      // Awaited by whoever asks for the session (or by nobody): never "unhandled".
      promise.catch(() => undefined);
      turns.set(String(id), id);
      built.set(String(id), { promise, settle });
    },
    waiting: (): ObjectId[] => [...turns.values()],
    /** The session asked for first, else the next in turn. */
    next(): ObjectId | undefined {
      for (let key = outOfTurn.shift(); key !== undefined; key = outOfTurn.shift()) {
        const id = turns.get(key);
        if (id) {
          turns.delete(key);
          return id;
        }
      }
      const [first] = turns;
      if (first) turns.delete(first[0]);
      return first?.[1];
    },
    settle(id: ObjectId, error?: unknown): void {
      turns.delete(String(id));
      built.get(String(id))?.settle(error);
    },
    session(sessionId: ObjectId): Promise<void> | null {
      const key = String(sessionId);
      const waiting = built.get(key);
      if (!waiting) return null;
      if (turns.has(key)) outOfTurn.push(key);
      return waiting.promise;
    },
  };
}

/** Each session's seat rule (door/codec.ts), by session id. */
async function seatRulesOf(db: Db, sessionIds: ObjectId[]): Promise<Map<string, string>> {
  const docs = await sessionsOf(db)
    .find({ _id: { $in: sessionIds } }, { projection: { capacity: 1, capacityEnforced: 1, capacityMode: 1 } })
    .toArray();
  return new Map(docs.map((s) => [String(s._id), seatRule(s)]));
}

/**
 * Where a build of many finds each session's check-ins: none before the doors open; after,
 * the copies give most sessions at once, and the rest are read session by session.
 */
async function checkInSource(db: Db, copied: CopiedEntries, cold: ObjectId[]) {
  if ((await checkinsOf(db).findOne({}, { projection: { _id: 1 } })) === null)
    return async (_id: ObjectId): Promise<string[]> => [];
  const fromCopies = await copied(cold);
  return async (id: ObjectId): Promise<string[]> => {
    const known = fromCopies.get(id.toHexString());
    fromCopies.delete(id.toHexString());
    return (
      known ??
      (await checkinsOf(db).find({ sessionId: id }).toArray()).flatMap((c) => [
        FIELD.entry(c.participantId),
        entryOf(c),
      ])
    );
  };
}

/** The door state's check-in fields of the sessions their copies can give, by session id (hex). */
export type CopiedEntries = (sessionIds: ObjectId[]) => Promise<Map<string, string[]>>;

export function createDoorBuilder(redis: Redis, db: Db, scripts: Scripts, copied: CopiedEntries) {
  const door = (s: ObjectId) => KEYS.door(s);
  const seats = (s: ObjectId) => KEYS.seats(s);

  /** One session as MongoDB holds it: its registrations and check-ins as hash fields. */
  async function snapshot(sessionId: ObjectId): Promise<string[]> {
    const [regs, ins] = await Promise.all([
      refreshRoster(db, sessionId),
      checkinsOf(db).find({ sessionId }).toArray(),
    ]);
    return [...registrationFields(regs), ...ins.flatMap((c) => [FIELD.entry(c.participantId), entryOf(c)])];
  }

  const seatRules = (sessionIds: ObjectId[]) => seatRulesOf(db, sessionIds);

  /**
   * Builds the hashes of these sessions that are not built yet: their rosters in one read of
   * the packed copies, then each session's check-ins by its own indexed query, a few sessions
   * at a time. A scan waiting for a session takes it out of turn (`session`), so a door is
   * never kept waiting for the whole conference.
   */
  function startWarm(sessionIds: ObjectId[], everything = false): Warming {
    const queue = buildQueue();
    const done = (async () => {
      if (sessionIds.length === 0) return;
      const states = (await redis
        .pipeline(sessionIds.map((id) => ["hmget", door(id), "v", "ready"]))
        .exec()) as [Error | null, [string | null, string | null]][];
      const versions = new Map<string, string>();
      // In an order of its own: instances building at once meet rather than read the same sessions.
      for (const i of shuffled(sessionIds.length)) {
        const id = sessionIds[i] as ObjectId;
        if (states[i]?.[1]?.[1]) continue;
        versions.set(String(id), states[i]?.[1]?.[0] ?? "");
        queue.add(id);
      }
      const cold = queue.waiting();
      if (cold.length === 0) return;
      const rosters = new Map<string, Packed>();
      let failed: unknown;
      try {
        const rules = await seatRules(cold);
        await eachRoster(
          db,
          cold,
          async (sessionId, ids) => {
            rosters.set(String(sessionId), ids);
          },
          everything && cold.length === sessionIds.length,
        );
        const checkInFields = await checkInSource(db, copied, cold);
        const buildOne = async (id: ObjectId) => {
          const key = String(id);
          // Built meanwhile (by another instance, or a scan here): nothing to read.
          if (await redis.hexists(door(id), "ready")) return;
          await scripts.buildDoor(
            door(id),
            seats(id),
            KEYS.leases(id),
            versions.get(key) ?? "",
            rules.get(key) ?? "0",
            ...registrationFields(rosters.get(key) ?? {}),
            ...(await checkInFields(id)),
          );
          rosters.delete(key);
        };
        await Promise.all(
          Array.from({ length: READS_AT_ONCE }, async () => {
            for (let id = queue.next(); id !== undefined; id = queue.next()) {
              const outcome = await buildOne(id).then(
                () => undefined,
                (error: unknown) => error ?? new Error("door build failed"),
              );
              failed ??= outcome;
              queue.settle(id, outcome);
            }
          }),
        );
      } catch (error) {
        failed ??= error;
      }
      // Whatever was not built (the rosters could not be read) fails its waiters too.
      for (const id of queue.waiting()) queue.settle(id, failed ?? new Error("door build failed"));
      if (failed !== undefined) throw failed;
    })();
    return { done, session: queue.session };
  }

  const warm = (sessionIds: ObjectId[], everything = false) => startWarm(sessionIds, everything).done;

  return { snapshot, seatRules, warm, startWarm };
}
