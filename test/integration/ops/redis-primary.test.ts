import { afterAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { adoptPrimary, runIdOf } from "../../../src/infra/redis-primary";
import { stackEnv, testDbName } from "../../helpers/env";

// A primary is adopted once: the door state written under another primary (a failover's stale
// replica, a restart that reloaded an old file) is dropped, other keys and other deployments'
// keys stay, and the adoption is recorded in Redis for every instance.

const prefix = `checkin:${testDbName("adopt")}:`;
const other = `checkin:${testDbName("adopt-other")}:`;
const redis = new Redis(stackEnv().REDIS_URL, { keyPrefix: prefix });
const raw = new Redis(stackEnv().REDIS_URL);

afterAll(async () => {
  for (const p of [prefix, other]) {
    const keys = await raw.keys(`${p}*`);
    if (keys.length > 0) await raw.del(...keys);
  }
  redis.disconnect();
  raw.disconnect();
});

test("state written under another primary is dropped once; the rest stays", async () => {
  const runId = runIdOf(await redis.info("server"));
  expect(runId).toMatch(/^[0-9a-f]{40}$/);
  // As replicated from the primary that died: its run id, its door state and webhook numbering.
  await redis.set("redis-primary", "0".repeat(40));
  await redis.hset("door:s1", "n", "10", "ready", "1");
  await redis.sadd("door:s1:seats", "1", "2");
  await redis.set("webhook-seq:s1", "7");
  await redis.set("nonce:n1", "kept");
  // A door device's seat lease cannot be rebuilt from MongoDB: it stays.
  await redis.hset("door:s1:leases", "device-1", "3");
  await raw.hset(`${other}door:s1`, "n", "3");

  const first = await adoptPrimary(redis, prefix, "redis-primary");
  expect(first).toMatchObject({ runId, adopted: true, dropped: 3 });
  expect(first.address).toMatch(/:\d+$/);
  expect(await redis.exists("door:s1", "door:s1:seats", "webhook-seq:s1")).toBe(0);
  expect(await redis.get("nonce:n1")).toBe("kept");
  expect(await redis.hget("door:s1:leases", "device-1")).toBe("3");
  expect(await raw.hget(`${other}door:s1`, "n")).toBe("3");
  expect(await redis.get("redis-primary")).toBe(runId);

  // The same primary again (another instance, a reconnect): nothing is dropped.
  await redis.hset("door:s1", "n", "11", "ready", "1");
  const again = await adoptPrimary(redis, prefix, "redis-primary");
  expect(again).toMatchObject({ adopted: false, dropped: 0 });
  expect(await redis.hget("door:s1", "n")).toBe("11");
});
