import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Instance, spawnInstance, stopProcess } from "../../../deploy/local/cluster";
import { relaysTo, type TcpProxy } from "../../../deploy/local/tcp-proxy";
import { eventually, freePort, instanceEnv, stackEnv, TEST_LOGS } from "../../helpers/env";
import { dropDatabase } from "../../helpers/fixtures";

// The instance reaches the real Redis and MongoDB-wire server through relays the
// test can cut, which is what a crashed or unreachable server looks like.
let instance: Instance;
let redisProxy: TcpProxy;
let mongoProxy: TcpProxy;

async function get(path: string) {
  const response = await fetch(`${instance.url}/api/v1/health${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const env = instanceEnv("health");

beforeAll(async () => {
  ({ redisProxy, mongoProxy } = relaysTo(stackEnv(), [await freePort(), await freePort()]));
  instance = await spawnInstance({
    port: await freePort(),
    logDir: TEST_LOGS,
    env: {
      ...env,
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
      MONGODB_URI: `mongodb://127.0.0.1:${mongoProxy.port}/?directConnection=true`,
      // The directory copy's passes make a cut in the middle of an operation likely: the driver
      // under Bun was then left stuck for good (3 runs of 3) until infra/mongo.ts learned to
      // reconnect a client that fails while a fresh one gets through. Set here whatever the default.
      DIRECTORY_COPY_INTERVAL_MS: "2000",
    },
  });
});

afterAll(async () => {
  await stopProcess(instance.proc);
  redisProxy.stop();
  mongoProxy.stop();
  await dropDatabase(env);
});

describe("health with both dependencies up", () => {
  test("live answers without dependency calls", async () => {
    const { status, body } = await get("/live");
    expect(status).toBe(200);
    expect(body.status).toBe("ok");
  });

  test("ready is 200 and says why not when not", async () => {
    const { status, body } = await get("/ready");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: "ok",
      database: "connected",
      redis: "connected",
      details: { reasons: [] },
    });
  });

  test("detailed health reports each dependency, memory, instance, uptime and version", async () => {
    const { status, body } = await get("");
    expect(status).toBe(200);
    expect(body.status).toBe("healthy");
    expect(body.instance).toBe(instance.id);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof body.uptime).toBe("number");
    expect(body.database).toMatchObject({ status: "connected", level: "ok", indexesReady: true });
    expect(body.redis).toMatchObject({ status: "connected", level: "ok" });
    expect((body.memory as Record<string, string>).rss).toMatch(/^\d+\.\d{2} MB$/);
  });

  test("the names operators' scripts call answer as live and ready do", async () => {
    expect(await get("/liveness")).toEqual(await get("/live"));
    const readiness = await get("/readiness");
    expect(readiness.status).toBe(200);
    expect(readiness.body).toMatchObject({ status: "ok", database: "connected", redis: "connected" });
  });

  test("the deep check gives each dependency's time and the machine's figures against their limits", async () => {
    const { status, body } = await get("/deep");
    const checks = body.checks as Record<string, { level: string; latencyMs?: number; percent?: number }>;
    expect(checks.database).toMatchObject({
      status: "connected",
      limitsMs: { degraded: 100, critical: 500 },
    });
    expect(checks.redis).toMatchObject({ status: "connected", limitsMs: { degraded: 50, critical: 200 } });
    for (const name of ["memory", "cpu", "disk"]) {
      expect(checks[name]?.percent).toBeGreaterThanOrEqual(0);
      expect(["ok", "degraded", "critical"]).toContain(String(checks[name]?.level));
    }
    // The status is the worst of the checks, and a 503 exactly when unhealthy.
    const levels = Object.values(checks).map((check) => check.level);
    const expected = levels.includes("critical")
      ? "unhealthy"
      : levels.includes("degraded")
        ? "degraded"
        : "healthy";
    expect(body.status).toBe(expected);
    expect(status).toBe(expected === "unhealthy" ? 503 : 200);
  });
});

describe("losing and regaining a dependency, without restarting the instance", () => {
  test("Redis", async () => {
    redisProxy.stop();
    const { status, body } = await get("/ready");
    expect(status).toBe(503);
    expect(body.redis).toBe("disconnected");
    expect((body.details as { reasons: string[] }).reasons.join(" ")).toContain("redis:");
    const detailed = await get("");
    expect(detailed.status).toBe(503);
    expect(detailed.body.status).toBe("unhealthy");
    expect(await get("/live").then((r) => r.status)).toBe(200);

    redisProxy.start();
    expect(await eventually(async () => (await get("/ready")).status === 200, 15_000)).toBe(true);
    expect((await get("")).body.status).toBe("healthy");
  });

  test("MongoDB-wire server", async () => {
    mongoProxy.stop();
    const { status, body } = await get("/ready");
    expect(status).toBe(503);
    expect(body.database).toBe("disconnected");
    expect((body.details as { reasons: string[] }).reasons.join(" ")).toContain("mongodb:");
    const detailed = await get("");
    expect(detailed.status).toBe(503);
    expect(detailed.body.status).toBe("unhealthy");
    expect((detailed.body.database as { status: string }).status).toBe("disconnected");

    mongoProxy.start();
    expect(await eventually(async () => (await get("/ready")).status === 200, 20_000)).toBe(true);
  });
});
