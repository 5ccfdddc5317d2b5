import type Redis from "ioredis";

// A Redis primary is known by its run id, which changes when it restarts and differs on the
// replica Sentinel promotes. Replication is asynchronous: the new primary may lack the last
// claims the old one acknowledged, and a door count that is low admits one person too many.
// So the door's state is trusted on a primary only once it has been adopted: the first
// instance to reach a primary whose run id differs from the one recorded in it deletes the
// door state (rebuilt from MongoDB, as after an emptied Redis) and records the new run id,
// in one script, so no instance ever claims a seat on state written under another primary.

/**
 * The keys a new primary cannot be trusted with (relative to the connection's prefix). Seat
 * leases stay: they cannot be rebuilt from MongoDB, and a stale one only holds seats back,
 * while dropping them would leave offline doors admitting against seats nobody reserves.
 */
export const UNTRUSTED_ON_NEW_PRIMARY = ["door:*", "webhook-seq:*"] as const;
const KEPT_SUFFIX = ":leases";

const ADOPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
local n = 0
for i = 4, #ARGV do
  local keys = {}
  for _, key in ipairs(redis.call('KEYS', ARGV[2] .. ARGV[i])) do
    if string.sub(key, -#ARGV[3]) ~= ARGV[3] then keys[#keys + 1] = key end
  end
  for j = 1, #keys, 500 do
    redis.call('DEL', unpack(keys, j, math.min(j + 499, #keys)))
  end
  n = n + #keys
end
redis.call('SET', KEYS[1], ARGV[1])
return n + 1`;

export interface Adoption {
  runId: string;
  /** The address this connection reached, host:port. */
  address: string;
  /** False when the primary had already been adopted (by this or another instance). */
  adopted: boolean;
  /** Keys deleted because they were written under another primary. */
  dropped: number;
}

export const runIdOf = (info: string): string => /^run_id:([0-9a-f]+)/m.exec(info)?.[1] ?? "";

/** Checks (and if new, adopts) the primary `redis` is connected to. */
export async function adoptPrimary(redis: Redis, keyPrefix: string, markerKey: string): Promise<Adoption> {
  const runId = runIdOf(await redis.info("server"));
  if (!runId) throw new Error("Redis did not say its run id");
  // The prefix is the deployment's own (`checkin:<database>:`); a glob character in a database
  // name would only widen what is dropped (rebuilt from MongoDB), never keep a stale key.
  const result = Number(
    await redis.eval(ADOPT, 1, markerKey, runId, keyPrefix, KEPT_SUFFIX, ...UNTRUSTED_ON_NEW_PRIMARY),
  );
  const stream = redis.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  return {
    runId,
    address: `${stream?.remoteAddress ?? "?"}:${stream?.remotePort ?? "?"}`,
    adopted: result > 0,
    dropped: Math.max(0, result - 1),
  };
}
