import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { freePort, ROOT } from "../../helpers/env";

// The production Redis settings the install applies, rendered by the ops scripts and
// started by a real redis-server: it asks for the password, keeps its data in an append
// log, never evicts, and refuses writes at its ceiling (which the instances report).

const dir = mkdtempSync(join(tmpdir(), "checkin-redis-conf-"));
let server: ReturnType<typeof Bun.spawn> | undefined;
afterAll(async () => {
  // Gone before its folder is: a Redis that cannot write its append log on SIGTERM refuses to stop.
  server?.kill();
  await server?.exited;
  rmSync(dir, { recursive: true, force: true });
});

const render = (env: Record<string, string>) => {
  const out = join(dir, "checkin.conf");
  const result = Bun.spawnSync(
    ["bash", "-c", `source "${join(ROOT, "deploy/ops-lib.sh")}"; render_redis "${out}"`],
    { env: { PATH: process.env.PATH ?? "", ...env } },
  );
  return { code: result.exitCode, err: result.stderr.toString(), out };
};

test("the rendered settings refuse a missing or example password", () => {
  expect(render({ REDIS_URL: "redis://127.0.0.1:6379" }).err).toContain("carries no password");
  expect(render({ REDIS_URL: "redis://:CHANGE_ME@127.0.0.1:6379" }).err).toContain("example's password");
});

test("a real redis-server runs them: password, append log, no eviction, writes refused at the ceiling", async () => {
  const password = "s3cret-redis-password-for-tests";
  const rendered = render({ REDIS_URL: `redis://:${password}@127.0.0.1:6379`, REDIS_MAXMEMORY: "2mb" });
  expect(`${rendered.code} ${rendered.err}`).toBe("0 ");
  const port = await freePort();
  server = Bun.spawn(
    ["redis-server", rendered.out, "--port", String(port), "--dir", dir, "--daemonize", "no"],
    {
      stdout: "ignore",
      stderr: "ignore",
    },
  );
  // Without the password, every command is refused.
  let answer = "";
  for (let i = 0; i < 50 && !/NOAUTH/.test(answer); i++) {
    await Bun.sleep(100);
    const ping = Bun.spawnSync(["redis-cli", "-p", String(port), "ping"]);
    answer = ping.stdout.toString() + ping.stderr.toString();
  }
  expect(answer).toContain("NOAUTH");
  const redis = new Redis({ port, host: "127.0.0.1", password, maxRetriesPerRequest: 0 });
  expect(await redis.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "noeviction"]);
  expect(await redis.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
  expect(await redis.config("GET", "appendfsync")).toEqual(["appendfsync", "everysec"]);
  const limits = (await redis.config("GET", "client-output-buffer-limit")) as string[];
  expect(limits[1]).toContain("pubsub 67108864 16777216 60");
  // At the ceiling: a write is refused with OOM, nothing already written is evicted.
  await redis.set("first", "kept");
  let error = "";
  for (let i = 0; i < 10_000 && !error; i++)
    await redis.set(`filler:${i}`, "x".repeat(1024)).catch((e: Error) => {
      error = e.message;
    });
  expect(error).toContain("OOM");
  expect(await redis.get("first")).toBe("kept");
  redis.disconnect();
}, 30_000);
