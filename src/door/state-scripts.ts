import type Redis from "ioredis";
// The Lua scripts behind the door state (see door.ts for its layout). Each runs
// atomically in Redis; the commands inside count as Redis commands too, so each does
// as little as its question needs.

/** A claim older than this belongs to a request that died (claim to settle takes milliseconds); its person may be claimed again, the unique index still deciding. */
export const PENDING_STALE_MS = 3000;

/**
 * The seat rule is "0" (capacity not enforced), "<capacity>" (a seat per admission, kept
 * after an exit) or "<capacity>o" (occupancy: an exit gives the seat back). Each entry is
 * "<I|O|P><L|->|<seat or ->|<payload>".
 */
export const RULE = `
local function capOf(rule) return tonumber(string.match(rule or "0", "%d+")) or 0 end
local function seatOf(entry) return string.match(entry, "^..|([^|]*)|") end
local function payloadOf(entry) return string.sub(entry, string.find(entry, "|", 4, true)) end
-- Free seats are never listed in full (a room of 100,000 would be 100,000 set members):
-- seats below the high-water mark "hw" that were given back ("holes", counted in "nh")
-- sit in the seat set, and every seat from hw up to the capacity is free.
local function giveSeat(door, seats, seat)
  if not seat then return end
  local f = redis.call("hmget", door, "cap", "hw")
  if seat < capOf(f[1]) and seat < tonumber(f[2] or "0") and redis.call("sadd", seats, seat) == 1 then
    redis.call("hincrby", door, "nh", 1)
  end
end
`;

/**
 * Seat leases (leases.ts): a hash beside the door's, "<lease>" = seats left on it and
 * "<lease>@t" = when it lapses (ms). The door hash's "ls" is their sum: seats no pool
 * claim may take.
 */
export const LEASES = `
local function nowMs()
  local t = redis.call("time")
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Drops leases past their time; the seats of the rest and the doors holding them
-- (a door whose share is 0 still counts: it waits for its share), "except" left out.
local function liveLeases(leases, now, except)
  local all = redis.call("hgetall", leases)
  local seats, live = {}, {}
  for i = 1, #all, 2 do
    local field = all[i]
    if string.sub(field, -2) == "@t" then
      local id = string.sub(field, 1, -3)
      if tonumber(all[i + 1]) <= now then redis.call("hdel", leases, id, field) else live[id] = true end
    else seats[field] = tonumber(all[i + 1]) end
  end
  local sum, doors = 0, 0
  for id, _ in pairs(live) do
    if id ~= except then
      sum = sum + (seats[id] or 0)
      doors = doors + 1
    end
  end
  return sum, doors
end
`;

/** Counts the roster and finds the free seats (the holes below the highest seat taken) from the hash as it now is. */
const RECOUNT = `${RULE}${LEASES}
local function recount(door, seats, rule, leases)
  local cap = capOf(rule)
  local all = redis.call("hgetall", door)
  local n, taken, hw = 0, {}, 0
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == "i:" then
      n = n + 1
      local seat = tonumber(string.match(all[i + 1], "^..|(%d+)|"))
      if seat and seat < cap then
        taken[seat] = true
        if seat + 1 > hw then hw = seat + 1 end
      end
    end
  end
  redis.call("del", seats)
  local batch, holes = {}, 0
  for s = 0, hw - 1 do
    if not taken[s] then
      batch[#batch + 1] = s
      holes = holes + 1
      if #batch == 1000 then redis.call("sadd", seats, unpack(batch)); batch = {} end
    end
  end
  if #batch > 0 then redis.call("sadd", seats, unpack(batch)) end
  local held = 0
  if cap > 0 then held = liveLeases(leases, nowMs(), "") end
  redis.call("hset", door, "n", n, "cap", rule, "ready", "1", "hw", hw, "nh", holes, "ls", held)
end
`;

/**
 * ARGV: participant, has a retry key, admitting registration states, seat rule, now (ms),
 * "1" when a person who left may come back, the door's lease ("" none), "1" when the
 * lease goes first (a scan its door admitted offline against it). Replies with the kind,
 * the registration, the admissions, the places taken under the rule, a seat, the person's
 * entry, the claim entry written (what settling or rolling back must find still there),
 * the seats left on the caller's lease (-1: not read, no seat came from it) and the seats
 * leased in all. A re-entry in flight
 * is an "I" entry plus a "q:<participant>" field holding its claim time.
 */
export const CLAIM = `${RULE}
local pid, rule, now = ARGV[1], ARGV[4], tonumber(ARGV[5])
local cap, occupancy = capOf(rule), string.sub(rule, -1) == "o"
local f = redis.call("hmget", KEYS[1], "r:" .. pid, "i:" .. pid, "n", "frozen", "cap", "ready", "q:" .. pid, "hw", "nh", "ls")
if not f[6] then return {"cold"} end
if f[4] and tonumber(f[4]) > now then return {"frozen"} end
if cap > 0 and (f[5] or "") ~= rule then return {"stale"} end
local reg, n, entry, takeover = f[1] or "none", tonumber(f[3] or "0"), f[2], false
local hw, holes, held = tonumber(f[8] or "0"), tonumber(f[9] or "0"), tonumber(f[10] or "0")
-- The caller's lease is read only when a seat might come from it (its door admitted the
-- person offline, or the pool is empty): -1 in the reply means it was not read.
local lease, own = ARGV[7], -1
local function ownSeats()
  if own < 0 then
    own = 0
    if lease ~= "" and cap > 0 then own = tonumber(redis.call("hget", KEYS[3], lease) or "0") end
  end
  return own
end
local function taken()
  if occupancy then return hw - holes end
  return n
end
local function reply(kind, seat, person, claim)
  return {kind, reg, n, taken(), seat, person, claim, own, held}
end
-- A free seat: a hole first, else the next one above the high-water mark (nil: full).
-- The new mark is written with the claim itself, in the same HSET. Leased seats are
-- not the pool's: a claim takes one from its own lease (first when its door admitted
-- the person offline against it, else once the pool is empty), never from another's.
local function takeSeat()
  local fromLease = (ARGV[8] == "1" or taken() + held >= cap) and ownSeats() > 0
  if not fromLease and taken() + held >= cap then return nil, nil end
  local seat, mark = nil, nil
  if holes > 0 then
    seat = redis.call("spop", KEYS[2])
    if seat then
      holes = holes - 1
      redis.call("hincrby", KEYS[1], "nh", -1)
    end
  end
  if not seat and hw < cap then
    hw = hw + 1
    seat, mark = tostring(hw - 1), hw
  end
  if seat and fromLease then
    own, held = own - 1, held - 1
    redis.call("hincrby", KEYS[3], lease, -1)
    redis.call("hincrby", KEYS[1], "ls", -1)
  end
  return seat, mark
end
if entry and string.sub(entry, 1, 1) == "P" then
  if now - tonumber(string.match(entry, "|(%d+)$")) < ${PENDING_STALE_MS} then return {"busy"} end
  entry, takeover = nil, true
end
-- A re-entry in flight: wait for it; left by a request that died, MongoDB must say how it ended.
if f[7] then
  if now - tonumber(f[7]) < ${PENDING_STALE_MS} then return {"busy"} end
  return {"stale"}
end
if entry then
  if string.sub(entry, 1, 1) ~= "O" or ARGV[6] ~= "1" then return reply("facts", "", entry, "") end
  -- Admissions: the person kept their seat (it is theirs, not this claim's to give back).
  local seat, kept, mark = "-", seatOf(entry), nil
  if occupancy then
    seat, mark = takeSeat()
    if not seat then return reply("full", "", entry, "") end
    kept = seat
  end
  local claim = "I" .. string.sub(entry, 2, 2) .. "|" .. kept .. payloadOf(entry)
  redis.call("hset", KEYS[1], "i:" .. pid, claim, "q:" .. pid, ARGV[5], "hw", mark or hw)
  return reply("reentered", seat, entry, claim)
end
local admits = false
for state in string.gmatch(ARGV[3], "[^,]+") do
  if state == reg then admits = true end
end
if not admits then return reply("facts", "", "", "") end
local seat, mark = "-", nil
if cap > 0 then
  seat, mark = takeSeat()
  if not seat then return reply("full", "", "", "") end
end
local claim = "P-|" .. seat .. "|" .. ARGV[5]
if mark then redis.call("hset", KEYS[1], "i:" .. pid, claim, "hw", mark)
else redis.call("hset", KEYS[1], "i:" .. pid, claim) end
if not takeover then n = redis.call("hincrby", KEYS[1], "n", 1) end
return reply("claimed", seat, "", claim)`;

/**
 * Whether a person's admission or re-entry is still settling (a fresh "P" entry or "q:"
 * field): an exit or an undo waits for it, so the settle (a plain HSET of what MongoDB
 * now holds) can never land after them and bring the person back in. A claim older than
 * PENDING_STALE_MS belongs to a request that died and is overtaken.
 */
const SETTLING = `
local function settling(door, pid, now)
  local f = redis.call("hmget", door, "i:" .. pid, "q:" .. pid)
  if f[2] and now - tonumber(f[2]) < ${PENDING_STALE_MS} then return true end
  if f[1] and string.sub(f[1], 1, 1) == "P" then
    return now - tonumber(string.match(f[1], "|(%d+)$")) < ${PENDING_STALE_MS}
  end
  return false
end
`;

/**
 * Another seat for a claim whose seat MongoDB says is taken: {seat, new claim entry}, or
 * {} (claim withdrawn) when none is left. ARGV: participant, now, and for a re-entry the
 * entry it came back from.
 */
export const RECLAIM = `${RULE}
local seat = redis.call("spop", KEYS[2])
if seat then redis.call("hincrby", KEYS[1], "nh", -1)
else
  local f = redis.call("hmget", KEYS[1], "hw", "cap")
  local hw = tonumber(f[1] or "0")
  if hw < capOf(f[2]) then
    seat = tostring(hw)
    redis.call("hset", KEYS[1], "hw", hw + 1)
  end
end
if seat then
  local entry = "P-|" .. seat .. "|" .. ARGV[2]
  if ARGV[3] ~= "" then
    entry = "I" .. string.sub(ARGV[3], 2, 2) .. "|" .. seat .. payloadOf(ARGV[3])
    redis.call("hset", KEYS[1], "q:" .. ARGV[1], ARGV[2])
  end
  redis.call("hset", KEYS[1], "i:" .. ARGV[1], entry)
  return {seat, entry}
end
if ARGV[3] ~= "" then
  redis.call("hset", KEYS[1], "i:" .. ARGV[1], ARGV[3])
  redis.call("hdel", KEYS[1], "q:" .. ARGV[1])
  return {}
end
if redis.call("hdel", KEYS[1], "i:" .. ARGV[1]) == 1 then redis.call("hincrby", KEYS[1], "n", -1) end
return {}`;

/**
 * A claim that did not become this request's check-in: ARGV[2] is the entry of the
 * person's existing check-in (the claim's count now stands for it; for a re-entry, the
 * entry it came back from) or "" (withdrawn), ARGV[3] the seat the claim took, ARGV[4]
 * the claim entry. 0 when the claim is no longer there (an exit, an undo, a rebuild came
 * in between): the caller rebuilds the session from MongoDB instead of guessing.
 */
export const ROLLBACK = `${RULE}
local key = "i:" .. ARGV[1]
redis.call("hdel", KEYS[1], "q:" .. ARGV[1])
if redis.call("hget", KEYS[1], key) ~= ARGV[4] then return 0 end
if ARGV[2] ~= "" then
  redis.call("hset", KEYS[1], key, ARGV[2])
else
  redis.call("hdel", KEYS[1], key)
  redis.call("hincrby", KEYS[1], "n", -1)
end
giveSeat(KEYS[1], KEYS[2], tonumber(ARGV[3]))
return 1`;

/** An undone check-in: entry, count and seat are given back (-1: wait, it is still settling). ARGV: participant, seat, now. */
export const UNDO = `${RULE}${SETTLING}
if settling(KEYS[1], ARGV[1], tonumber(ARGV[3])) then return -1 end
redis.call("hdel", KEYS[1], "q:" .. ARGV[1])
local removed = redis.call("hdel", KEYS[1], "i:" .. ARGV[1])
if removed == 1 then redis.call("hincrby", KEYS[1], "n", -1) end
if removed == 1 then giveSeat(KEYS[1], KEYS[2], tonumber(ARGV[2])) end
redis.call("hincrby", KEYS[1], "v", 1)
return removed`;

/**
 * An exit: the entry as stored now; ARGV[3] is the seat it gave back (occupancy), ARGV[4]
 * now. -1: wait, the person's admission or re-entry is still settling.
 */
export const LEAVE = `${RULE}${SETTLING}
if settling(KEYS[1], ARGV[1], tonumber(ARGV[4])) then return -1 end
redis.call("hdel", KEYS[1], "q:" .. ARGV[1])
local key = "i:" .. ARGV[1]
local current = redis.call("hget", KEYS[1], key)
if current and string.sub(current, 1, 1) ~= "O" then
  redis.call("hset", KEYS[1], key, ARGV[2])
  giveSeat(KEYS[1], KEYS[2], tonumber(ARGV[3]))
end
redis.call("hincrby", KEYS[1], "v", 1)
return 1`;

/** First build of a cold hash: merges a snapshot (settled entries written meanwhile win). */
export const BUILD = `${RECOUNT}
if (redis.call("hget", KEYS[1], "v") or "") ~= ARGV[1] then return 0 end
if redis.call("hexists", KEYS[1], "ready") == 1 then return 1 end
for i = 3, #ARGV, 2 do
  if string.sub(ARGV[i], 1, 2) == "i:" then redis.call("hsetnx", KEYS[1], ARGV[i], ARGV[i + 1])
  else redis.call("hset", KEYS[1], ARGV[i], ARGV[i + 1]) end
end
recount(KEYS[1], KEYS[2], ARGV[2], KEYS[3])
return 1`;

/**
 * The session as a snapshot says, keeping what it cannot know yet: claims still in flight
 * (one left by a request that died is dropped, so its seat is free again) and check-ins
 * settled after it was read (their entry answers their retries). Lifts a freeze.
 * ARGV: seat rule, now (ms), then field/value pairs.
 */
export const REPLACE = `${RECOUNT}
local all = redis.call("hgetall", KEYS[1])
local v = tonumber(redis.call("hget", KEYS[1], "v") or "0") + 1
local now = tonumber(ARGV[2])
redis.call("del", KEYS[1])
for i = 3, #ARGV, 2 do redis.call("hset", KEYS[1], ARGV[i], ARGV[i + 1]) end
for i = 1, #all, 2 do
  local value = all[i + 1]
  if string.sub(all[i], 1, 2) == "i:" then
    local pending = string.sub(value, 1, 1) == "P"
    if not pending or now - tonumber(string.match(value, "|(%d+)$")) < ${PENDING_STALE_MS} then
      redis.call("hsetnx", KEYS[1], all[i], value)
    end
  end
end
recount(KEYS[1], KEYS[2], ARGV[1], KEYS[3])
redis.call("hset", KEYS[1], "v", v)
return 1`;

/** The registrations of a ready hash replaced by a snapshot (roster untouched). */
export const REGISTRATIONS = `
if (redis.call("hget", KEYS[1], "v") or "") ~= ARGV[1] then return 0 end
if redis.call("hexists", KEYS[1], "ready") == 0 then return 1 end
for _, field in ipairs(redis.call("hkeys", KEYS[1])) do
  if string.sub(field, 1, 2) == "r:" then redis.call("hdel", KEYS[1], field) end
end
for i = 2, #ARGV, 2 do redis.call("hset", KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call("hincrby", KEYS[1], "v", 1)
return 1`;

/**
 * One registration written (ARGV: participant, status, or "" when deleted): its field only,
 * whatever the session's size. Bumps the version so that a build reading MongoDB meanwhile
 * starts again rather than write what it read before this.
 */
export const REGISTRATION = `
if redis.call("hexists", KEYS[1], "ready") == 1 then
  if ARGV[2] == "" then redis.call("hdel", KEYS[1], "r:" .. ARGV[1])
  else redis.call("hset", KEYS[1], "r:" .. ARGV[1], ARGV[2]) end
end
redis.call("hincrby", KEYS[1], "v", 1)
return 1`;

type Script = (...args: (string | number)[]) => Promise<unknown>;
export type Scripts = Record<
  | "claimScan"
  | "reclaimSeat"
  | "rollbackClaim"
  | "undoEntry"
  | "leaveEntry"
  | "buildDoor"
  | "replaceDoor"
  | "replaceRegistrations"
  | "setRegistration",
  Script
>;

export function defineScripts(redis: Redis): Scripts {
  const scripts: [keyof Scripts, number, string][] = [
    ["claimScan", 3, CLAIM],
    ["reclaimSeat", 2, RECLAIM],
    ["rollbackClaim", 2, ROLLBACK],
    ["undoEntry", 2, UNDO],
    ["leaveEntry", 2, LEAVE],
    ["buildDoor", 3, BUILD],
    ["replaceDoor", 3, REPLACE],
    ["replaceRegistrations", 1, REGISTRATIONS],
    ["setRegistration", 1, REGISTRATION],
  ];
  for (const [name, numberOfKeys, lua] of scripts) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  }
  return redis as unknown as Scripts;
}
