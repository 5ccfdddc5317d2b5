import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import { registrationsOf } from "../registrations/repo";
import type { RegistrationStatus } from "./decide";
import { checkinsOf } from "./repo";

// Per-session facts the scan path reads on every scan, kept in Redis so a scan costs
// no MongoDB query (FerretDB answers equality queries with a table scan):
//  - the roster: participant -> two flags, late ("L" or "-") and inside ("I") or left
//    ("O"); its size is the live count;
//  - the registrations: participant -> registration status.
// Both are rebuilt from MongoDB when missing or older than their lifetime, and MongoDB's
// unique indexes stay the final word, so a stale entry can delay but never corrupt.

const rosterKey = (s: ObjectId) => `roster:${s}`;
const rosterFresh = (s: ObjectId) => `roster:${s}:fresh`;
const regsKey = (s: ObjectId) => `regs:${s}`;
const regsFresh = (s: ObjectId) => `regs:${s}:fresh`;
const regsVersion = (s: ObjectId) => `regs:${s}:version`;
const buildLock = (key: string) => `${key}:building`;
const flags = (late: boolean, inside: boolean) => `${late ? "L" : "-"}${inside ? "I" : "O"}`;

/** Waits for another instance's build: much cheaper than every waiting scan asking MongoDB. */
async function awaitBuild(redis: Redis, key: string, freshKey: string, maxMs = 1500): Promise<boolean> {
  for (let waited = 0; waited < maxMs; waited += 25) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const [fresh, exists] = await Promise.all([redis.exists(freshKey), redis.exists(key)]);
    if (fresh && exists) return true;
  }
  return false;
}

/** Replaces `key` with `members` built from MongoDB; false when another instance is building it. */
async function rebuild(
  redis: Redis,
  key: string,
  freshKey: string,
  ttlMs: number,
  load: () => Promise<Record<string, string>>,
  afterSwap: () => Promise<Record<string, string>>,
): Promise<boolean> {
  if ((await redis.set(buildLock(key), "1", "PX", 10_000, "NX")) !== "OK") return false;
  try {
    const members = await load();
    const tmp = `${key}:tmp`;
    const tx = redis.multi().del(tmp);
    const entries = Object.entries(members);
    if (entries.length > 0) tx.hset(tmp, ...entries.flat());
    else tx.hset(tmp, "__empty__", "1");
    await tx.rename(tmp, key).set(freshKey, "1", "PX", ttlMs).exec();
    // Writes that landed while we read are added back (they may have written to the old key).
    const late = Object.entries(await afterSwap());
    if (late.length > 0) await redis.hset(key, ...late.flat());
    return true;
  } finally {
    await redis.del(buildLock(key));
  }
}

export interface Roster {
  /** Whether the participant is checked in; null when Redis cannot tell (ask MongoDB). */
  has(sessionId: ObjectId, participantId: ObjectId): Promise<boolean | null>;
  count(sessionId: ObjectId): Promise<number | null>;
  /** Checked in, inside now and late, for dashboards; null when Redis cannot tell. */
  stats(sessionId: ObjectId): Promise<{ count: number; inside: number; late: number } | null>;
  /** Confirmed registrations of the session; null when Redis cannot tell. */
  registeredCount(sessionId: ObjectId): Promise<number | null>;
  add(sessionId: ObjectId, participantId: ObjectId, late: boolean): Promise<void>;
  leave(sessionId: ObjectId, participantId: ObjectId): Promise<void>;
  remove(sessionId: ObjectId, participantId: ObjectId): Promise<void>;
  /** The registration status, null for none, undefined when Redis cannot tell (ask MongoDB). */
  registration(sessionId: ObjectId, participantId: ObjectId): Promise<RegistrationStatus | null | undefined>;
  registrationsChanged(sessionId: ObjectId): Promise<void>;
  forget(sessionId: ObjectId): Promise<void>;
  /** Builds whatever is missing for these sessions with two queries in all (start-up, sessions opening). */
  warm(sessionIds: ObjectId[]): Promise<void>;
}

export function createRoster(
  redis: Redis,
  db: Db,
  ttl: { rosterMs: number; registrationsMs: number },
): Roster {
  async function ensureRoster(sessionId: ObjectId): Promise<boolean> {
    const [fresh, exists] = await Promise.all([
      redis.exists(rosterFresh(sessionId)),
      redis.exists(rosterKey(sessionId)),
    ]);
    if (fresh && exists) return true;
    const started = new Date(Date.now() - 2000);
    const built = await rebuild(
      redis,
      rosterKey(sessionId),
      rosterFresh(sessionId),
      ttl.rosterMs,
      async () => {
        const docs = await checkinsOf(db)
          .find({ sessionId }, { projection: { participantId: 1, isLate: 1, checkedOutAt: 1, _id: 0 } })
          .toArray();
        return Object.fromEntries(
          docs.map((d) => [String(d.participantId), flags(d.isLate, !d.checkedOutAt)]),
        );
      },
      async () => {
        const docs = await checkinsOf(db)
          .find(
            { sessionId, checkInTime: { $gte: started } },
            { projection: { participantId: 1, isLate: 1, checkedOutAt: 1, _id: 0 } },
          )
          .toArray();
        return Object.fromEntries(
          docs.map((d) => [String(d.participantId), flags(d.isLate, !d.checkedOutAt)]),
        );
      },
    );
    if (built) return true;
    return (await awaitBuild(redis, rosterKey(sessionId), rosterFresh(sessionId))) || exists === 1;
  }

  async function ensureRegistrations(sessionId: ObjectId): Promise<boolean> {
    const [fresh, exists] = await Promise.all([
      redis.exists(regsFresh(sessionId)),
      redis.exists(regsKey(sessionId)),
    ]);
    if (fresh && exists) return true;
    const version = await redis.get(regsVersion(sessionId));
    const built = await rebuild(
      redis,
      regsKey(sessionId),
      regsFresh(sessionId),
      ttl.registrationsMs,
      async () => {
        const docs = await registrationsOf(db)
          .find({ sessionId }, { projection: { participantId: 1, status: 1, _id: 0 } })
          .toArray();
        return Object.fromEntries(docs.map((d) => [String(d.participantId), d.status]));
      },
      async () => ({}),
    );
    // A registration written while we were reading bumps the version: drop what we built.
    if (built && (await redis.get(regsVersion(sessionId))) !== version) {
      await redis.del(regsFresh(sessionId));
      return false;
    }
    if (built) return true;
    return awaitBuild(redis, regsKey(sessionId), regsFresh(sessionId));
  }

  return {
    async has(sessionId, participantId) {
      try {
        if (!(await ensureRoster(sessionId))) return null;
        return (await redis.hexists(rosterKey(sessionId), String(participantId))) === 1;
      } catch {
        return null;
      }
    },
    async count(sessionId) {
      try {
        if (!(await ensureRoster(sessionId))) return null;
        const key = rosterKey(sessionId);
        const [size, empty] = await Promise.all([redis.hlen(key), redis.hexists(key, "__empty__")]);
        return size - empty;
      } catch {
        return null;
      }
    },
    async stats(sessionId) {
      try {
        if (!(await ensureRoster(sessionId))) return null;
        const values = await redis.hvals(rosterKey(sessionId));
        let count = 0;
        let inside = 0;
        let late = 0;
        for (const value of values) {
          if (value.length !== 2) continue;
          count++;
          if (value[1] === "I") inside++;
          if (value[0] === "L") late++;
        }
        return { count, inside, late };
      } catch {
        return null;
      }
    },
    async registeredCount(sessionId) {
      try {
        if (!(await ensureRegistrations(sessionId))) return null;
        return (await redis.hvals(regsKey(sessionId))).filter((status) => status === "confirmed").length;
      } catch {
        return null;
      }
    },
    async leave(sessionId, participantId) {
      const current = await redis.hget(rosterKey(sessionId), String(participantId)).catch(() => null);
      if (current?.length === 2) {
        await redis
          .hset(rosterKey(sessionId), String(participantId), flags(current[0] === "L", false))
          .catch(() => undefined);
      }
    },
    async add(sessionId, participantId, late) {
      await redis
        .multi()
        .hset(rosterKey(sessionId), String(participantId), flags(late, true))
        .hdel(rosterKey(sessionId), "__empty__")
        .exec()
        .catch(() => undefined);
    },
    async remove(sessionId, participantId) {
      await redis.hdel(rosterKey(sessionId), String(participantId)).catch(() => undefined);
    },
    async registration(sessionId, participantId) {
      try {
        if (!(await ensureRegistrations(sessionId))) return undefined;
        const status = await redis.hget(regsKey(sessionId), String(participantId));
        return (status as RegistrationStatus | null) ?? null;
      } catch {
        return undefined;
      }
    },
    async registrationsChanged(sessionId) {
      await redis
        .multi()
        .incr(regsVersion(sessionId))
        .del(regsFresh(sessionId), regsKey(sessionId))
        .exec()
        .catch(() => undefined);
    },
    async warm(sessionIds) {
      if (sessionIds.length === 0) return;
      const versions = await Promise.all(sessionIds.map((id) => redis.get(regsVersion(id))));
      const [regs, ins] = await Promise.all([
        registrationsOf(db)
          .find(
            { sessionId: { $in: sessionIds } },
            { projection: { participantId: 1, sessionId: 1, status: 1, _id: 0 } },
          )
          .toArray(),
        checkinsOf(db)
          .find(
            { sessionId: { $in: sessionIds } },
            { projection: { participantId: 1, sessionId: 1, isLate: 1, checkedOutAt: 1, _id: 0 } },
          )
          .toArray(),
      ]);
      const group = <T extends { sessionId: ObjectId }>(docs: T[], value: (d: T) => string) => {
        const by = new Map<string, Record<string, string>>();
        for (const d of docs) {
          const key = String(d.sessionId);
          const members = by.get(key) ?? {};
          members[String((d as unknown as { participantId: ObjectId }).participantId)] = value(d);
          by.set(key, members);
        }
        return by;
      };
      const regsBy = group(regs, (d) => d.status);
      const insBy = group(ins, (d) => flags(d.isLate, !d.checkedOutAt));
      for (const [index, sessionId] of sessionIds.entries()) {
        // Only what nobody maintains yet: a live roster is never replaced by this snapshot.
        if (!(await redis.exists(rosterKey(sessionId)))) {
          await rebuild(
            redis,
            rosterKey(sessionId),
            rosterFresh(sessionId),
            ttl.rosterMs,
            async () => insBy.get(String(sessionId)) ?? {},
            async () => ({}),
          );
        }
        if (!(await redis.exists(regsFresh(sessionId)))) {
          await rebuild(
            redis,
            regsKey(sessionId),
            regsFresh(sessionId),
            ttl.registrationsMs,
            async () => regsBy.get(String(sessionId)) ?? {},
            async () => ({}),
          );
          // A registration written since the snapshot was read: let the next scan rebuild.
          if ((await redis.get(regsVersion(sessionId))) !== versions[index])
            await redis.del(regsFresh(sessionId));
        }
      }
    },
    async forget(sessionId) {
      await redis.del(rosterFresh(sessionId), regsFresh(sessionId)).catch(() => undefined);
    },
  };
}
