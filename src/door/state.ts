import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import type { CheckInDoc } from "../checkin/repo";
import { KEYS } from "../infra/keys";
import { refreshRoster } from "../registrations/rosters";
import { claimTimeOf, entryOf, FIELD, figuresOf, registrationFields, rosterOf } from "./codec";
import type { RegistrationState } from "./decide";
import { createLeases } from "./leases";
import { type CopiedEntries, createDoorBuilder, type Warming } from "./state-build";
import { defineScripts, PENDING_STALE_MS, type Scripts } from "./state-scripts";

// The hash's layout and entry format: codec.ts.

/** What the room knows: the registration, admissions so far, places taken under the rule, the person's entry. */
interface RoomFacts {
  registration: RegistrationState;
  count: number;
  taken: number;
  entry: string;
  /** Seats left on the caller's lease (-1: not read, no seat came from it), and leased to all doors (no pool claim takes those). */
  leaseLeft: number;
  held: number;
}

export type Claim =
  | { kind: "cold" | "frozen" | "stale" | "busy" }
  | ({ kind: "facts" | "full" } & RoomFacts)
  /**
   * A seat (or none where capacity is not enforced or the person keeps theirs) held for a
   * new admission or, with an entry, a re-entry; `claim` is the entry the claim wrote.
   */
  | ({ kind: "claimed" | "reentered"; seat: number | null; claim: string } & RoomFacts);

export interface ClaimInput {
  sessionId: ObjectId;
  participantId: ObjectId | null;
  admitting: RegistrationState[];
  /** A person who left may come back in. */
  reentry: boolean;
  rule: string;
  /** The door's seat lease; `first` when its door admitted the person offline against it. */
  lease?: { id: string; first: boolean };
}

const SETTLE_WAIT_MS = 10;

/** Runs an exit or undo script again while the person's admission or re-entry is still settling (-1). */
async function untilSettled(run: () => Promise<unknown>): Promise<void> {
  for (let waited = 0; Number(await run()) === -1; waited += SETTLE_WAIT_MS) {
    if (waited > PENDING_STALE_MS * 2) throw new Error("a check-in stayed in flight too long");
    await new Promise((resolve) => setTimeout(resolve, SETTLE_WAIT_MS));
  }
}

/** The claim script's reply, read. */
function claimOf(reply: [string, ...(string | number | null)[]]): Claim {
  const [kind, a, count, taken, seat, entry, claim, leaseLeft, held] = reply;
  if (kind !== "facts" && kind !== "full" && kind !== "claimed" && kind !== "reentered")
    return { kind: kind as "cold" | "frozen" | "stale" | "busy" };
  const facts = {
    registration: a as RegistrationState,
    count: Number(count),
    taken: Number(taken),
    entry: String(entry ?? ""),
    leaseLeft: Number(leaseLeft ?? 0),
    held: Number(held ?? 0),
  };
  if (kind === "facts" || kind === "full") return { kind, ...facts };
  return {
    kind,
    ...facts,
    seat: seat === "-" || seat === "" || seat == null ? null : Number(seat),
    claim: String(claim ?? ""),
  };
}

const seatArg = (seat: number | string | null) => (typeof seat === "number" ? String(seat) : "");

/** The door state as scans change it: claims, settles, rollbacks, undo and exits. */
function doorClaims(redis: Redis, scripts: Scripts, replace: (sessionId: ObjectId) => Promise<void>) {
  const door = (s: ObjectId) => KEYS.door(s);
  const seats = (s: ObjectId) => KEYS.seats(s);
  return {
    /** The scan's questions in one round trip; takes a seat when `admitting` says the rule admits. */
    async claim(input: ClaimInput, now = Date.now()): Promise<Claim> {
      const reply = (await scripts.claimScan(
        door(input.sessionId),
        seats(input.sessionId),
        KEYS.leases(input.sessionId),
        input.participantId ? String(input.participantId) : "-",
        "0",
        input.participantId ? input.admitting.join(",") : "",
        input.rule,
        now,
        input.reentry ? "1" : "0",
        input.lease?.id ?? "",
        input.lease?.first ? "1" : "0",
      )) as [string, ...(string | number | null)[]];
      return claimOf(reply);
    },
    /**
     * A claim's check-in is stored: its entry becomes the stored one (one HSET; exits and
     * undos wait for it, see SETTLING). A re-entry also drops its in-flight mark.
     */
    async settle(doc: CheckInDoc, reentry: boolean): Promise<void> {
      await redis.hset(door(doc.sessionId), FIELD.entry(doc.participantId), entryOf(doc));
      if (reentry) await redis.hdel(door(doc.sessionId), FIELD.reentry(doc.participantId));
    },
    /** `reentryFrom`: the entry a re-entry came back from (restored when no seat is left). */
    async reclaim(
      sessionId: ObjectId,
      participantId: ObjectId,
      reentryFrom = "",
      now = Date.now(),
    ): Promise<{ seat: number; claim: string } | null> {
      const [seat, claim] = (await scripts.reclaimSeat(
        door(sessionId),
        seats(sessionId),
        String(participantId),
        now,
        reentryFrom,
      )) as [string?, string?];
      return seat == null ? null : { seat: Number(seat), claim: String(claim) };
    },
    /**
     * Gives back a claim that did not become a check-in; `existing` takes its place when
     * there is one. A claim overtaken meanwhile leaves MongoDB to decide: the session is rebuilt.
     */
    async rollback(
      sessionId: ObjectId,
      participantId: ObjectId,
      taken: { seat: number | null; claim: string },
      existing: CheckInDoc | string | null,
    ): Promise<void> {
      const done = await scripts.rollbackClaim(
        door(sessionId),
        seats(sessionId),
        String(participantId),
        typeof existing === "string" ? existing : existing ? entryOf(existing) : "",
        seatArg(taken.seat),
        taken.claim,
      );
      if (Number(done) !== 1) await replace(sessionId);
    },
    undo: (doc: CheckInDoc) =>
      untilSettled(() =>
        scripts.undoEntry(
          door(doc.sessionId),
          seats(doc.sessionId),
          String(doc.participantId),
          seatArg(doc.seat),
          Date.now(),
        ),
      ),
    /** An exit is stored (`freed`: the seat it gave back, in an occupancy room). */
    leave: (doc: CheckInDoc, freed: number | null) =>
      untilSettled(() =>
        scripts.leaveEntry(
          door(doc.sessionId),
          seats(doc.sessionId),
          String(doc.participantId),
          entryOf(doc),
          seatArg(freed),
          Date.now(),
        ),
      ),
  };
}

/** Sessions built one by one at once on an instance: a burst of scans on cold sessions must not swamp MongoDB. */
const SINGLE_BUILDS_AT_ONCE = 4;

/** Runs at most `n` of the works given at once; the others wait their turn. */
function limited(n: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Building sessions' state: many at once (`warm`), or one a scan needs (`build`). */
function sessionBuilds(startWarm: (sessionIds: ObjectId[], everything?: boolean) => Warming) {
  const building = new Map<string, Promise<void>>();
  /** This instance's builds of many sessions, while they run. */
  const warmings = new Set<Warming>();
  const oneAtATime = limited(SINGLE_BUILDS_AT_ONCE);
  const builds = {
    /**
     * A cold session is built once per instance at a time; concurrent scans share the build.
     * One a build of many holds is taken out of turn there rather than read twice.
     */
    async build(sessionId: ObjectId): Promise<void> {
      for (const warming of warmings) {
        const inTurn = warming.session(sessionId);
        if (inTurn) return inTurn;
      }
      const id = String(sessionId);
      const running =
        building.get(id) ?? oneAtATime(() => builds.warm([sessionId])).finally(() => building.delete(id));
      building.set(id, running);
      return running;
    },
    /** Builds these sessions' hashes where they are not built yet (`everything`: they are all there are). */
    warm(sessionIds: ObjectId[], everything = false): Promise<void> {
      const warming = startWarm(sessionIds, everything);
      warmings.add(warming);
      return warming.done.finally(() => warmings.delete(warming));
    },
  };
  return builds;
}

/** The door state's upkeep: builds, rebuilds, freezes, and the figures read from it. */
function doorUpkeep(redis: Redis, db: Db, scripts: Scripts, copied: CopiedEntries) {
  const door = (s: ObjectId) => KEYS.door(s);
  const seats = (s: ObjectId) => KEYS.seats(s);
  const { snapshot, seatRules, startWarm } = createDoorBuilder(redis, db, scripts, copied);
  const api = {
    ...sessionBuilds(startWarm),
    /** Registrations of a session changed in MongoDB: the hash follows (a snapshot changed under us is read again). */
    async registrationsChanged(sessionId: ObjectId): Promise<void> {
      for (let attempt = 0; attempt < 5; attempt++) {
        const version = (await redis.hget(door(sessionId), "v")) ?? "";
        const fields = registrationFields(await refreshRoster(db, sessionId));
        if (Number(await scripts.replaceRegistrations(door(sessionId), version, ...fields)) === 1) return;
      }
      await api.forget(sessionId);
    },
    /** One registration written (null: deleted): its field only, whatever the session's size. */
    async registrationSet(sessionId: ObjectId, participantId: ObjectId, status: RegistrationState | null) {
      await scripts.setRegistration(door(sessionId), String(participantId), status ?? "");
    },
    /** Rebuilt exactly from MongoDB now (after a re-seat, a restore or a direct change). */
    async replace(sessionId: ObjectId): Promise<void> {
      const [fields, rules] = await Promise.all([snapshot(sessionId), seatRules([sessionId])]);
      await scripts.replaceDoor(
        door(sessionId),
        seats(sessionId),
        KEYS.leases(sessionId),
        rules.get(String(sessionId)) ?? "0",
        Date.now(),
        ...fields,
      );
    },
    /** Dropped: the next scan builds it from MongoDB. */
    forget: (sessionId: ObjectId) => redis.del(door(sessionId), seats(sessionId)).then(() => undefined),
    freeze: (sessionId: ObjectId, forMs: number) =>
      redis
        .multi()
        .hset(door(sessionId), "frozen", Date.now() + forMs)
        .hincrby(door(sessionId), "v", 1)
        .exec()
        .then(() => undefined),
    /** Claims in flight (not stale) for the session. */
    async inFlight(sessionId: ObjectId, now = Date.now()): Promise<number> {
      const all = await redis.hgetall(door(sessionId));
      // Admissions in flight are "P" entries; re-entries in flight, "q:" fields (their claim time).
      return Object.entries(all).filter(([field, value]) =>
        field.startsWith("q:")
          ? now - Number(value) < PENDING_STALE_MS
          : field.startsWith("i:") && value.startsWith("P") && now - claimTimeOf(value) < PENDING_STALE_MS,
      ).length;
    },
    /** The whole hash of a session, built first when it is cold. */
    async read(sessionId: ObjectId): Promise<Record<string, string>> {
      const all = await redis.hgetall(door(sessionId));
      if (all.ready) return all;
      await api.build(sessionId);
      return redis.hgetall(door(sessionId));
    },
    /** Whole-session figures for dashboards and pages, from one read. */
    stats: async (sessionId: ObjectId) => figuresOf(await api.read(sessionId)),
    /** Registrations and who has come, from one read (what a door device keeps offline). */
    roster: async (sessionId: ObjectId) => rosterOf(await api.read(sessionId)),
    async count(sessionId: ObjectId): Promise<number> {
      const [n, ready] = await redis.hmget(door(sessionId), "n", "ready");
      if (ready) return Number(n ?? 0);
      await api.build(sessionId);
      return Number((await redis.hget(door(sessionId), "n")) ?? 0);
    },
  };
  return api;
}

/**
 * `copied`: the check-in fields of sessions their copies can give (copies.ts), for a build of
 * many; none by default (every session read whole).
 */
export function createDoor(redis: Redis, db: Db, copied: CopiedEntries = async () => new Map()) {
  const scripts = defineScripts(redis);
  const upkeep = doorUpkeep(redis, db, scripts, copied);
  const leases = createLeases(redis, upkeep);
  return {
    ...doorClaims(redis, scripts, upkeep.replace),
    ...upkeep,
    leases,
    /** Whole-session figures for dashboards and pages, with the seats leased to doors. */
    stats: async (sessionId: ObjectId) => ({
      ...(await upkeep.stats(sessionId)),
      ...(await leases.held(sessionId)),
    }),
  };
}

export type Door = ReturnType<typeof createDoor>;
