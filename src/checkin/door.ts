import type Redis from "ioredis";
import { BSON, type Db, type ObjectId } from "mongodb";
import { KEYS } from "../infra/keys";
import { registrationsOf } from "../registrations/repo";
import type { RegistrationState } from "./decide";
import { type CheckInDoc, checkinsOf } from "./repo";

// What a door must know about a session, in one Redis hash per session, kept exact by
// write-through (no lifetime, so no scan ever waits for a rebuild when one expires):
//   r:<participant>  registration status
//   i:<participant>  roster entry "<state><late>|<seat>|<payload>": state P (claim in
//                    flight, payload = claim time), I (inside) or O (left); payload = the
//                    check-in itself, so a retried admission is answered from here
//   n                admissions, claims in flight included
//   cap              the enforced capacity the free-seat set was built for (0: none)
//   frozen           claims wait until this time (ms): capacity is being changed
//   v                bumped by every change a snapshot could miss (builds compare it)
//   ready            set once the hash holds the whole session
// Free seat numbers are a set beside it. One script answers a scan's questions and
// takes its seat (idempotency, registration, roster, count, claim); a second command
// settles the entry. MongoDB's unique indexes remain the final word on every race.

/** A claim older than this belongs to a request that died; its person may be claimed again. */
const PENDING_STALE_MS = 10_000;

/** Counts the roster and refills the free seats from the hash as it now is. */
const RECOUNT = `
local function recount(door, seats, cap)
  local all = redis.call("hgetall", door)
  local n, taken = 0, {}
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == "i:" then
      n = n + 1
      local seat = string.match(all[i + 1], "^..|(%d+)|")
      if seat then taken[seat] = true end
    end
  end
  redis.call("del", seats)
  local batch = {}
  for s = 0, cap - 1 do
    if not taken[tostring(s)] then
      batch[#batch + 1] = s
      if #batch == 1000 then redis.call("sadd", seats, unpack(batch)); batch = {} end
    end
  end
  if #batch > 0 then redis.call("sadd", seats, unpack(batch)) end
  redis.call("hset", door, "n", n, "cap", cap, "ready", "1")
end
`;

const CLAIM = `
if ARGV[2] == "1" then
  local prior = redis.call("get", KEYS[3])
  if prior then return {"replay", prior} end
end
local pid, now, cap = ARGV[1], tonumber(ARGV[5]), tonumber(ARGV[4])
local f = redis.call("hmget", KEYS[1], "r:" .. pid, "i:" .. pid, "n", "frozen", "cap", "ready")
if not f[6] then return {"cold"} end
if f[4] and tonumber(f[4]) > now then return {"frozen"} end
if cap > 0 and tonumber(f[5] or "-1") ~= cap then return {"stale"} end
local reg, n, entry, takeover = f[1] or "none", tonumber(f[3] or "0"), f[2], false
if entry and string.sub(entry, 1, 1) == "P" then
  if now - tonumber(string.match(entry, "|(%d+)$")) < ${PENDING_STALE_MS} then return {"busy"} end
  entry, takeover = nil, true
end
if entry then return {"facts", reg, n, entry} end
local admits = false
for state in string.gmatch(ARGV[3], "[^,]+") do
  if state == reg then admits = true end
end
if not admits then return {"facts", reg, n, ""} end
local seat = "-"
if cap > 0 then
  seat = redis.call("spop", KEYS[2])
  if not seat then return {"full", reg, n} end
end
redis.call("hset", KEYS[1], "i:" .. pid, "P-|" .. seat .. "|" .. ARGV[5])
if not takeover then n = redis.call("hincrby", KEYS[1], "n", 1) end
return {"claimed", reg, n, seat}`;

/** Another seat for a claim whose seat MongoDB says is taken; nil (claim withdrawn) when none is left. */
const RECLAIM = `
local seat = redis.call("spop", KEYS[2])
if seat then
  redis.call("hset", KEYS[1], "i:" .. ARGV[1], "P-|" .. seat .. "|" .. ARGV[2])
  return seat
end
if redis.call("hdel", KEYS[1], "i:" .. ARGV[1]) == 1 then redis.call("hincrby", KEYS[1], "n", -1) end
return false`;

/**
 * A claim that did not become this request's check-in: ARGV[2] is the entry of the
 * person's existing check-in (the claim's count now stands for it) or "" (withdrawn).
 */
const ROLLBACK = `
local key = "i:" .. ARGV[1]
local current = redis.call("hget", KEYS[1], key)
if ARGV[2] ~= "" then
  redis.call("hset", KEYS[1], key, ARGV[2])
  if not current then redis.call("hincrby", KEYS[1], "n", 1) end
elseif current and string.sub(current, 1, 1) == "P" then
  redis.call("hdel", KEYS[1], key)
  redis.call("hincrby", KEYS[1], "n", -1)
end
local seat = tonumber(ARGV[3])
if seat and seat < tonumber(redis.call("hget", KEYS[1], "cap") or "0") then redis.call("sadd", KEYS[2], seat) end
return 1`;

/** An undone check-in: entry, count and seat are given back. */
const UNDO = `
local removed = redis.call("hdel", KEYS[1], "i:" .. ARGV[1])
if removed == 1 then redis.call("hincrby", KEYS[1], "n", -1) end
local seat = tonumber(ARGV[2])
if removed == 1 and seat and seat < tonumber(redis.call("hget", KEYS[1], "cap") or "0") then
  redis.call("sadd", KEYS[2], seat)
end
redis.call("hincrby", KEYS[1], "v", 1)
return removed`;

const LEAVE = `
local key = "i:" .. ARGV[1]
local current = redis.call("hget", KEYS[1], key)
if current and string.sub(current, 1, 1) == "I" then redis.call("hset", KEYS[1], key, "O" .. string.sub(current, 2)) end
redis.call("hincrby", KEYS[1], "v", 1)
return 1`;

/** First build of a cold hash: merges a snapshot (settled entries written meanwhile win). */
const BUILD = `${RECOUNT}
if (redis.call("hget", KEYS[1], "v") or "") ~= ARGV[1] then return 0 end
if redis.call("hexists", KEYS[1], "ready") == 1 then return 1 end
for i = 3, #ARGV, 2 do
  if string.sub(ARGV[i], 1, 2) == "i:" then redis.call("hsetnx", KEYS[1], ARGV[i], ARGV[i + 1])
  else redis.call("hset", KEYS[1], ARGV[i], ARGV[i + 1]) end
end
recount(KEYS[1], KEYS[2], tonumber(ARGV[2]))
return 1`;

/** The session exactly as a snapshot says, keeping claims still in flight; lifts a freeze. */
const REPLACE = `${RECOUNT}
local all = redis.call("hgetall", KEYS[1])
local v = tonumber(redis.call("hget", KEYS[1], "v") or "0") + 1
redis.call("del", KEYS[1])
for i = 2, #ARGV, 2 do redis.call("hset", KEYS[1], ARGV[i], ARGV[i + 1]) end
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == "i:" and string.sub(all[i + 1], 1, 1) == "P" then
    redis.call("hsetnx", KEYS[1], all[i], all[i + 1])
  end
end
recount(KEYS[1], KEYS[2], tonumber(ARGV[1]))
redis.call("hset", KEYS[1], "v", v)
return 1`;

/** The registrations of a ready hash replaced by a snapshot (roster untouched). */
const REGISTRATIONS = `
if (redis.call("hget", KEYS[1], "v") or "") ~= ARGV[1] then return 0 end
if redis.call("hexists", KEYS[1], "ready") == 0 then return 1 end
for _, field in ipairs(redis.call("hkeys", KEYS[1])) do
  if string.sub(field, 1, 2) == "r:" then redis.call("hdel", KEYS[1], field) end
end
for i = 2, #ARGV, 2 do redis.call("hset", KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call("hincrby", KEYS[1], "v", 1)
return 1`;

type Script = (...args: (string | number)[]) => Promise<unknown>;
type Scripts = Record<
  | "claimScan"
  | "reclaimSeat"
  | "rollbackClaim"
  | "undoEntry"
  | "leaveEntry"
  | "buildDoor"
  | "replaceDoor"
  | "replaceRegistrations",
  Script
>;

function defineScripts(redis: Redis): Scripts {
  const scripts: [keyof Scripts, number, string][] = [
    ["claimScan", 3, CLAIM],
    ["reclaimSeat", 2, RECLAIM],
    ["rollbackClaim", 2, ROLLBACK],
    ["undoEntry", 2, UNDO],
    ["leaveEntry", 1, LEAVE],
    ["buildDoor", 2, BUILD],
    ["replaceDoor", 2, REPLACE],
    ["replaceRegistrations", 1, REGISTRATIONS],
  ];
  for (const [name, numberOfKeys, lua] of scripts) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  }
  return redis as unknown as Scripts;
}

/** A roster entry for a stored check-in. */
export function entryOf(doc: CheckInDoc): string {
  const { participantId: _p, sessionId: _s, ...payload } = doc;
  const seat = typeof doc.seat === "number" ? String(doc.seat) : "-";
  return `${doc.checkedOutAt ? "O" : "I"}${doc.isLate ? "L" : "-"}|${seat}|${BSON.EJSON.stringify(payload, { relaxed: false })}`;
}

/** The check-in an entry stands for (null for a claim still in flight). */
export function checkInOfEntry(
  entry: string,
  sessionId: ObjectId,
  participantId: ObjectId,
): CheckInDoc | null {
  if (entry === "" || entry.startsWith("P")) return null;
  const payload = entry.slice(entry.indexOf("|", 3) + 1);
  return { ...(BSON.EJSON.parse(payload, { relaxed: false }) as CheckInDoc), sessionId, participantId };
}

export type Claim =
  | { kind: "replay"; stored: string }
  | { kind: "cold" | "frozen" | "stale" | "busy" }
  | { kind: "facts"; registration: RegistrationState; count: number; entry: string }
  | { kind: "full"; registration: RegistrationState; count: number }
  | { kind: "claimed"; registration: RegistrationState; count: number; seat: number | null };

export interface ClaimInput {
  sessionId: ObjectId;
  participantId: ObjectId | null;
  /** The idempotency key of this scan's answer, when it carries a nonce. */
  idemKey: string | null;
  admitting: RegistrationState[];
  /** Capacity enforced by seats (0: not enforced). */
  capacity: number;
}

export function createDoor(redis: Redis, db: Db) {
  const scripts = defineScripts(redis);
  const door = (s: ObjectId) => KEYS.door(s);
  const seats = (s: ObjectId) => KEYS.seats(s);
  const seatArg = (seat: number | string | null) => (typeof seat === "number" ? String(seat) : "");

  /** `everything`: the sessions are all there are, so no filter (FerretDB reads a whole table faster than it matches $in). */
  async function snapshot(sessionIds: ObjectId[], everything = false) {
    const filter = everything ? {} : { sessionId: { $in: sessionIds } };
    const [regs, ins] = await Promise.all([
      registrationsOf(db)
        .find(filter, { projection: { participantId: 1, sessionId: 1, status: 1, _id: 0 } })
        .toArray(),
      checkinsOf(db).find(filter).toArray(),
    ]);
    const fields = new Map<string, string[]>(sessionIds.map((id) => [String(id), []]));
    for (const r of regs) fields.get(String(r.sessionId))?.push(`r:${r.participantId}`, r.status);
    for (const c of ins) fields.get(String(c.sessionId))?.push(`i:${c.participantId}`, entryOf(c));
    return (id: ObjectId) => fields.get(String(id)) ?? [];
  }

  async function enforcedCapacities(sessionIds: ObjectId[]): Promise<Map<string, number>> {
    const docs = await db
      .collection("sessions")
      .find({ _id: { $in: sessionIds } }, { projection: { capacity: 1, capacityEnforced: 1 } })
      .toArray();
    return new Map(
      docs.map((s) => [String(s._id), s.capacityEnforced && s.capacity > 0 ? Number(s.capacity) : 0]),
    );
  }

  /** Builds the hashes of these sessions that are not built yet: two queries in all. */
  async function warm(sessionIds: ObjectId[], everything = false): Promise<void> {
    if (sessionIds.length === 0) return;
    const states = (await redis
      .pipeline(sessionIds.map((id) => ["hmget", door(id), "v", "ready"]))
      .exec()) as [Error | null, [string | null, string | null]][];
    const cold = sessionIds.filter((_, i) => !states[i]?.[1]?.[1]);
    if (cold.length === 0) return;
    const versions = new Map(cold.map((id) => [String(id), states[sessionIds.indexOf(id)]?.[1]?.[0] ?? ""]));
    const [fieldsOf, capacities] = await Promise.all([
      snapshot(cold, everything && cold.length === sessionIds.length),
      enforcedCapacities(cold),
    ]);
    await Promise.all(
      cold.map((id) =>
        scripts.buildDoor(
          door(id),
          seats(id),
          versions.get(String(id)) ?? "",
          capacities.get(String(id)) ?? 0,
          ...fieldsOf(id),
        ),
      ),
    );
  }

  const building = new Map<string, Promise<void>>();
  return {
    /** The scan's questions in one round trip; takes a seat when `admitting` says the rule admits. */
    async claim(input: ClaimInput, now = Date.now()): Promise<Claim> {
      const reply = (await scripts.claimScan(
        door(input.sessionId),
        seats(input.sessionId),
        input.idemKey ?? KEYS.none,
        input.participantId ? String(input.participantId) : "-",
        input.idemKey ? "1" : "0",
        input.participantId ? input.admitting.join(",") : "",
        input.capacity,
        now,
      )) as [string, ...(string | number | null)[]];
      const [kind, a, b, c] = reply;
      const registration = a as RegistrationState;
      switch (kind) {
        case "replay":
          return { kind, stored: String(a) };
        case "facts":
          return { kind, registration, count: Number(b), entry: String(c ?? "") };
        case "full":
          return { kind, registration, count: Number(b) };
        case "claimed":
          return { kind, registration, count: Number(b), seat: c === "-" || c == null ? null : Number(c) };
        default:
          return { kind: kind as "cold" | "frozen" | "stale" | "busy" };
      }
    },
    /** A claim's check-in is stored: its entry becomes the stored one. */
    settle: (doc: CheckInDoc) =>
      redis.hset(door(doc.sessionId), `i:${doc.participantId}`, entryOf(doc)).then(() => undefined),
    async reclaim(sessionId: ObjectId, participantId: ObjectId, now = Date.now()): Promise<number | null> {
      const seat = await scripts.reclaimSeat(door(sessionId), seats(sessionId), String(participantId), now);
      return seat == null ? null : Number(seat);
    },
    /** Gives back a claim that did not become a check-in; `existing` takes its place when there is one. */
    rollback: (
      sessionId: ObjectId,
      participantId: ObjectId,
      seat: number | null,
      existing: CheckInDoc | null,
    ) =>
      scripts
        .rollbackClaim(
          door(sessionId),
          seats(sessionId),
          String(participantId),
          existing ? entryOf(existing) : "",
          seatArg(seat),
        )
        .then(() => undefined),
    undo: (doc: CheckInDoc) =>
      scripts
        .undoEntry(door(doc.sessionId), seats(doc.sessionId), String(doc.participantId), seatArg(doc.seat))
        .then(() => undefined),
    leave: (doc: CheckInDoc) =>
      scripts.leaveEntry(door(doc.sessionId), String(doc.participantId)).then(() => undefined),
    /** A cold session is built once per instance at a time; concurrent scans share the build. */
    build(sessionId: ObjectId): Promise<void> {
      const id = String(sessionId);
      const running = building.get(id) ?? warm([sessionId]).finally(() => building.delete(id));
      building.set(id, running);
      return running;
    },
    warm,
    /** Registrations of a session changed in MongoDB: the hash follows (a snapshot changed under us is read again). */
    async registrationsChanged(sessionId: ObjectId): Promise<void> {
      for (let attempt = 0; attempt < 5; attempt++) {
        const version = (await redis.hget(door(sessionId), "v")) ?? "";
        const regs = await registrationsOf(db)
          .find({ sessionId }, { projection: { participantId: 1, status: 1, _id: 0 } })
          .toArray();
        const fields = regs.flatMap((r) => [`r:${r.participantId}`, r.status]);
        if (Number(await scripts.replaceRegistrations(door(sessionId), version, ...fields)) === 1) return;
      }
      await this.forget(sessionId);
    },
    /** Rebuilt exactly from MongoDB now (after a re-seat, a restore or a direct change). */
    async replace(sessionId: ObjectId): Promise<void> {
      const [fieldsOf, capacities] = await Promise.all([
        snapshot([sessionId]),
        enforcedCapacities([sessionId]),
      ]);
      await scripts.replaceDoor(
        door(sessionId),
        seats(sessionId),
        capacities.get(String(sessionId)) ?? 0,
        ...fieldsOf(sessionId),
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
      return Object.entries(all).filter(
        ([field, value]) =>
          field.startsWith("i:") &&
          value.startsWith("P") &&
          now - Number(value.slice(value.lastIndexOf("|") + 1)) < PENDING_STALE_MS,
      ).length;
    },
    /** Whole-session figures for dashboards and pages, from one read. */
    async stats(sessionId: ObjectId) {
      let all = await redis.hgetall(door(sessionId));
      if (!all.ready) {
        await this.build(sessionId);
        all = await redis.hgetall(door(sessionId));
      }
      let inside = 0;
      let late = 0;
      let registered = 0;
      for (const [field, value] of Object.entries(all)) {
        if (field.startsWith("r:")) registered += value === "confirmed" ? 1 : 0;
        else if (field.startsWith("i:")) {
          inside += value[0] === "I" || value[0] === "P" ? 1 : 0;
          late += value[1] === "L" ? 1 : 0;
        }
      }
      return { count: Number(all.n ?? 0), inside, late, registered };
    },
    async count(sessionId: ObjectId): Promise<number> {
      const [n, ready] = await redis.hmget(door(sessionId), "n", "ready");
      if (ready) return Number(n ?? 0);
      await this.build(sessionId);
      return Number((await redis.hget(door(sessionId), "n")) ?? 0);
    },
    /** The free seats as Redis holds them (for tests and checks). */
    freeSeats: async (sessionId: ObjectId) => (await redis.smembers(seats(sessionId))).map(Number),
  };
}

export type Door = ReturnType<typeof createDoor>;
