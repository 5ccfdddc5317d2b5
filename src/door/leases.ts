import { t } from "elysia";
import type Redis from "ioredis";
import type { ObjectId } from "mongodb";
import { KEYS } from "../infra/keys";
import { LEASES, RULE } from "./state-scripts";

// Seat leases: while online, each door device working a session whose capacity is
// enforced holds some of its free seats, so that offline it can admit people nobody
// else can take the seats of. The pool is what no lease holds; a claim from the pool
// never takes a leased seat (state-scripts.ts), so what a door admits against its lease
// always finds a seat when it syncs.
//
// Sizing: leases together take at most half of the seats not taken ("open"); each
// renewal gives the device an equal share of that half, floor(open / (2 × doors holding
// a lease)), never more than what other leases leave. The other half stays in the pool
// for doors online and every other client (the API, an admin replaying a hand-over), so
// nobody online is starved by leases when they are granted. As the room fills, an online
// door whose pool is empty takes from its own lease; other doors' leases shrink to the
// new equal share at their next renewal (every 30 s while online, sooner when the seats
// leased in all change, see below). Seats
// held by doors that are offline stay theirs: that is what the lease is for. A renewal
// that changes the seats leased in all is announced on the session's live topic, which
// the other doors of the session answer by renewing theirs within seconds: a door that
// joins late gets its equal share without waiting for the others' timers.

/** A device's lease id, as the page and the JSON scan send it. */
export const LeaseId = t.String({ pattern: "^[A-Za-z0-9-]{8,64}$" });

/** A lease not renewed for this long lapses and its seats go back to the pool (its late replays are settled as any scan, flagged when they differ). */
export const LEASE_MS = 30 * 60_000;
/** A lease not renewed for this long belongs to a door that is offline (it renews every 30 s online). */
export const LEASE_SILENT_MS = 2 * 60_000;

/**
 * ARGV: lease, now (ms), lifetime (ms). Replies {seats, leased in all, doors holding a
 * lease, 1 when the seats leased in all changed or this door got less than its equal share}, or {"cold"|"frozen"}. A door granted 0 seats keeps its place among the doors,
 * so the next renewals share the room with it.
 */
const GRANT = `${RULE}${LEASES}
local f = redis.call("hmget", KEYS[1], "ready", "cap", "n", "hw", "nh", "frozen", "ls")
local lease, now = ARGV[1], tonumber(ARGV[2])
if not f[1] then return {"cold"} end
if f[6] and tonumber(f[6]) > now then return {"frozen"} end
local cap = capOf(f[2])
local others, doors = liveLeases(KEYS[2], now, lease)
if cap == 0 then
  redis.call("hdel", KEYS[2], lease, lease .. "@t")
  redis.call("hset", KEYS[1], "ls", others)
  return {0, others, doors, 0}
end
local taken = tonumber(f[3] or "0")
if string.sub(f[2], -1) == "o" then taken = tonumber(f[4] or "0") - tonumber(f[5] or "0") end
local open = math.max(cap - taken, 0)
local fair = math.floor(open / (2 * (doors + 1)))
-- Never past half of the seats not taken, whatever the others hold: lease ids asked for
-- and never renewed (a careless or hostile client) cannot take the pool's half.
local share = math.max(0, math.min(fair, math.floor(open / 2) - others))
redis.call("hset", KEYS[2], lease, share, lease .. "@t", now + tonumber(ARGV[3]))
redis.call("hset", KEYS[1], "ls", others + share)
local changed = 0
if share < fair or tonumber(f[7] or "0") ~= others + share then changed = 1 end
return {share, others + share, doors + 1, changed}`;

/** ARGV: lease. Gives a lease's seats back to the pool at once. */
const RETURN = `
local left = tonumber(redis.call("hget", KEYS[2], ARGV[1]) or "0")
redis.call("hdel", KEYS[2], ARGV[1], ARGV[1] .. "@t")
if left > 0 and redis.call("hexists", KEYS[1], "ready") == 1 then redis.call("hincrby", KEYS[1], "ls", -left) end
return left`;

/** Drops lapsed leases and counts the rest again; replies the seats still leased. */
const SWEEP = `${LEASES}
if redis.call("hexists", KEYS[1], "ready") == 0 then return 0 end
local held = liveLeases(KEYS[2], tonumber(ARGV[1]), "")
redis.call("hset", KEYS[1], "ls", held)
return held`;

export interface Lease {
  /** Seats this door may still admit offline. */
  seats: number;
  /** Seats leased to all doors of the session, and how many doors hold a lease (some may hold 0). */
  held: number;
  holders: number;
  /** When it lapses unless renewed. */
  expiresAt: string;
  /**
   * How long it holds from now: a device times it on its own clock from when it got it
   * (`until`), since its clock may be set wrong, and takes no seat from it after that.
   */
  validForMs: number;
  until?: number;
  /** The seats leased in all changed: the other doors should renew theirs (and dashboards show it). */
  changed: boolean;
}

type Scripted = Redis & {
  grantLease(door: string, leases: string, lease: string, now: number, ms: number): Promise<unknown[]>;
  returnLease(door: string, leases: string, lease: string): Promise<number>;
  sweepLeases(door: string, leases: string, now: number): Promise<number>;
};

export function createLeases(redis: Redis, door: { build(sessionId: ObjectId): Promise<void> }) {
  if (!("grantLease" in redis)) {
    redis.defineCommand("grantLease", { numberOfKeys: 2, lua: GRANT });
    redis.defineCommand("returnLease", { numberOfKeys: 2, lua: RETURN });
    redis.defineCommand("sweepLeases", { numberOfKeys: 2, lua: SWEEP });
  }
  const scripted = redis as Scripted;
  return {
    /** Grants or renews the device's lease, sized anew (null: the session is being changed; keep the last one). */
    async grant(sessionId: ObjectId, lease: string, now = Date.now()): Promise<Lease | null> {
      for (let round = 0; round < 3; round++) {
        const reply = await scripted.grantLease(
          KEYS.door(sessionId),
          KEYS.leases(sessionId),
          lease,
          now,
          LEASE_MS,
        );
        if (reply[0] === "frozen") return null;
        if (reply[0] === "cold") {
          await door.build(sessionId);
          continue;
        }
        const [seats, held, holders, changed] = reply.map(Number) as [number, number, number, number];
        return {
          seats,
          held,
          holders,
          expiresAt: new Date(now + LEASE_MS).toISOString(),
          validForMs: LEASE_MS,
          changed: changed === 1,
        };
      }
      return null;
    },
    /** The device is done with the session: its seats go back now. */
    giveBack: (sessionId: ObjectId, lease: string) =>
      scripted.returnLease(KEYS.door(sessionId), KEYS.leases(sessionId), lease),
    /** Lapsed leases go back to the pool now (a room that looks full asks); the seats still leased. */
    sweep: async (sessionId: ObjectId, now = Date.now()) =>
      Number(await scripted.sweepLeases(KEYS.door(sessionId), KEYS.leases(sessionId), now)),
    /**
     * Seats held by leases and the doors holding them, as of now (lapsed ones not counted);
     * and those of the doors not heard from lately (a door online renews every 30 s): offline,
     * perhaps with scans queued.
     */
    async held(sessionId: ObjectId, now = Date.now()) {
      const all = await redis.hgetall(KEYS.leases(sessionId));
      let held = 0;
      let holders = 0;
      const silent = { doors: 0, seats: 0, forMs: 0 };
      for (const [field, value] of Object.entries(all)) {
        const expires = Number(all[`${field}@t`] ?? 0);
        if (field.endsWith("@t") || expires <= now) continue;
        held += Number(value);
        // Doors that hold seats: a lease of 0 holds nothing back from anyone.
        holders += Number(value) > 0 ? 1 : 0;
        const quietFor = now - (expires - LEASE_MS);
        if (Number(value) > 0 && quietFor >= LEASE_SILENT_MS) {
          silent.doors++;
          silent.seats += Number(value);
          silent.forMs = Math.max(silent.forMs, quietFor);
        }
      }
      return { held, holders, silent };
    },
  };
}

export type Leases = ReturnType<typeof createLeases>;
