import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig, redactUrl } from "../../src/config";

const BASE = { MONGODB_URI: "mongodb://127.0.0.1:27017/checkin", REDIS_URL: "redis://127.0.0.1:6379" };

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe("loadConfig", () => {
  test("defaults follow the deployment guide", () => {
    const config = loadConfig(BASE);
    expect(config.port).toBe(3001);
    expect(config.instanceId).toBe("instance-3001");
    expect(config.mongodbDbName).toBe("checkin");
    expect(config.lock).toEqual({
      mode: "strict",
      ttlMs: 5000,
      retries: 5,
      retryDelayMs: 100,
      recoveryGraceMs: 5000,
    });
    expect(config.ttl).toEqual({
      participantMs: 600_000,
      sessionMs: 60_000,
      statsMs: 30_000,
      capacityMs: 5000,
    });
    expect(config.throttle).toEqual({ ttlMs: 60_000, limit: 200 });
    expect(config.lateThresholdMinutes).toBe(10);
    expect(config.uploadMaxFileSize).toBe(10_485_760);
    expect(config.shutdownTimeoutMs).toBe(10_000);
    // Below Nginx's 10 s read limit for scans, which would answer a bare 502/504.
    expect(config.scanDeadlineMs).toBe(8000);
    expect([config.mongodbConnectTimeoutMs, config.mongodbSocketTimeoutMs, config.mongodbPoolSize]).toEqual([
      3000, 20_000, 50,
    ]);
  });

  test("the wide-area link settings are read and bounded", () => {
    const config = loadConfig({ ...BASE, MONGODB_CONNECT_TIMEOUT: "8000", MONGODB_POOL_SIZE: "20" });
    expect([config.mongodbConnectTimeoutMs, config.mongodbPoolSize]).toEqual([8000, 20]);
    expect(() => loadConfig({ ...BASE, MONGODB_POOL_SIZE: "0" })).toThrow(/MONGODB_POOL_SIZE/);
    expect(() => loadConfig({ ...BASE, MONGODB_CONNECT_TIMEOUT: "soon" })).toThrow(/MONGODB_CONNECT_TIMEOUT/);
    expect(loadConfig({ ...BASE, SCAN_DEADLINE_MS: "1500" }).scanDeadlineMs).toBe(1500);
    expect(() => loadConfig({ ...BASE, SCAN_DEADLINE_MS: "0" })).toThrow(/SCAN_DEADLINE_MS/);
    // Nginx answers scans itself after 10 s.
    expect(() => loadConfig({ ...BASE, SCAN_DEADLINE_MS: "10000" })).toThrow(/SCAN_DEADLINE_MS/);
  });

  test("reads every documented variable", () => {
    const config = loadConfig({
      ...BASE,
      PORT: "3004",
      INSTANCE_ID: "backend-4",
      DISTRIBUTED_LOCK_MODE: "degraded",
      REDIS_LOCK_TTL: "2000",
      THROTTLE_LIMIT: "50",
      CORS_ORIGIN: "https://a.example.org, https://b.example.org",
      CHECKIN_LATE_THRESHOLD_MINUTES: "15",
      UNDO_WINDOW_SECONDS: "90",
      EVENT_TIMEZONE: "Africa/Tunis",
      AUTO_OPEN_MINUTES_BEFORE: "20",
      AUTO_END_GRACE_MINUTES: "5",
      SESSION_CHECK_INTERVAL_MS: "10000",
      DIRECTORY_COPY_INTERVAL_MS: "30000",
      DOOR_COPY_INTERVAL_MS: "5000",
      LOG_LEVEL: "debug",
      MONGODB_DB: "other",
    });
    expect(config.port).toBe(3004);
    expect(config.instanceId).toBe("backend-4");
    expect(config.lock.mode).toBe("degraded");
    expect(config.lock.ttlMs).toBe(2000);
    expect(config.throttle.limit).toBe(50);
    expect(config.corsOrigins).toEqual(["https://a.example.org", "https://b.example.org"]);
    expect(config.lateThresholdMinutes).toBe(15);
    expect(config.undoWindowSeconds).toBe(90);
    expect(config.eventTimeZone).toBe("Africa/Tunis");
    expect(config.autoOpenMinutesBefore).toBe(20);
    expect(config.autoEndGraceMinutes).toBe(5);
    expect(config.sessionCheckIntervalMs).toBe(10_000);
    expect(config.directoryCopyIntervalMs).toBe(30_000);
    expect(config.doorCopyIntervalMs).toBe(5000);
    expect(loadConfig(BASE).directoryCopyIntervalMs).toBe(10_000);
    expect(loadConfig({ ...BASE, DIRECTORY_COPY_INTERVAL_MS: "0" }).directoryCopyIntervalMs).toBe(0);
    expect(loadConfig(BASE).doorCopyIntervalMs).toBe(0);
    expect(() => loadConfig({ ...BASE, DOOR_COPY_INTERVAL_MS: "500" })).toThrow(
      "DOOR_COPY_INTERVAL_MS: expected 0 or at least 2000",
    );
    expect(config.logLevel).toBe("debug");
    expect(config.mongodbDbName).toBe("other");
  });

  test("follows the primary through Sentinel when REDIS_SENTINELS is set", () => {
    const config = loadConfig({
      MONGODB_URI: BASE.MONGODB_URI,
      REDIS_SENTINELS: "10.0.0.1:26379, [fd00::2]:26380,sentinel-3:26381",
      REDIS_PASSWORD: "data",
      REDIS_SENTINEL_PASSWORD: "watch",
    });
    expect(config.redisUrl).toBe("");
    expect(config.redisSentinel).toEqual({
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "fd00::2", port: 26380 },
        { host: "sentinel-3", port: 26381 },
      ],
      name: "checkin",
      password: "data",
      sentinelPassword: "watch",
    });
    expect(loadConfig(BASE).redisSentinel).toBeNull();
  });

  test.each([
    [{ REDIS_SENTINELS: "10.0.0.1" }, "host:port"],
    [{ REDIS_SENTINELS: "10.0.0.1:99999" }, "host:port"],
    [{ REDIS_SENTINELS: "a:1", REDIS_SENTINEL_NAME: "my primary" }, "letters, digits"],
    [{ REDIS_SENTINELS: "a:1", REDIS_URL: "redis://x:6379" }, "not both"],
  ])("refuses a Sentinel setting that cannot work: %p", (patch, words) => {
    const { REDIS_URL: _, ...base } = BASE;
    expect(() => loadConfig({ ...base, ...patch })).toThrow(words);
  });

  test("builds the Redis URL from host, port and password", () => {
    const config = loadConfig({
      MONGODB_URI: BASE.MONGODB_URI,
      REDIS_HOST: "cache",
      REDIS_PORT: "6380",
      REDIS_PASSWORD: "p@ss",
    });
    expect(config.redisUrl).toBe("redis://:p%40ss@cache:6380");
  });

  test.each([
    [{ PORT: "80a" }, "PORT", "whole number from 1 to 65535"],
    [{ PORT: "70000" }, "PORT", "whole number from 1 to 65535"],
    [{ MONGODB_URI: "" }, "MONGODB_URI", "required"],
    [{ MONGODB_URI: "postgres://x" }, "MONGODB_URI", "mongodb://"],
    [{ REDIS_URL: "http://x" }, "REDIS_URL", "redis://"],
    [{ DISTRIBUTED_LOCK_MODE: "loose" }, "DISTRIBUTED_LOCK_MODE", "strict, degraded"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL", "one of fatal"],
    [{ REDIS_LOCK_TTL: "-1" }, "REDIS_LOCK_TTL", "whole number"],
    [{ THROTTLE_LIMIT: "0" }, "THROTTLE_LIMIT", "whole number from 1"],
    [{ CHECKIN_LATE_THRESHOLD_MINUTES: "ten" }, "CHECKIN_LATE_THRESHOLD_MINUTES", "whole number"],
    [{ CORS_ORIGIN: "not a url" }, "CORS_ORIGIN", "comma-separated origins"],
    [{ INSTANCE_ID: "a b" }, "INSTANCE_ID", "letters, digits"],
    [{ EVENT_TIMEZONE: "Mars/Olympus" }, "EVENT_TIMEZONE", "IANA time zone"],
    [{ JWT_SECRET: "short" }, "JWT_SECRET", "at least 32"],
    [{ NODE_ENV: "production" }, "JWT_SECRET", "required in production"],
    [
      { NODE_ENV: "production", JWT_SECRET: "CHANGE_ME_TO_64_RANDOM_CHARACTERS" },
      "JWT_SECRET",
      "placeholder",
    ],
    [{ NODE_ENV: "production", JWT_SECRET: "ééééééééééééééé" }, "JWT_SECRET", "at least 32"],
    [{ UPLOAD_MAX_FILE_SIZE: "1.5" }, "UPLOAD_MAX_FILE_SIZE", "whole number"],
    [
      { HEALTH_DEGRADED_MS: "500", HEALTH_CRITICAL_MS: "400" },
      "HEALTH_CRITICAL_MS",
      "above HEALTH_DEGRADED_MS",
    ],
  ])("refuses %j naming %s", (env, variable, expected) => {
    const error = failure(env as Record<string, string>);
    expect(error.variable).toBe(variable);
    expect(error.message).toStartWith(`${variable}: `);
    expect(error.message).toContain(expected);
  });

  test("without JWT_SECRET outside production, each process makes a random one (no constant in the code)", () => {
    const a = loadConfig(BASE).jwtSecret;
    const b = loadConfig(BASE).jwtSecret;
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });

  test("the shipped example's secret is refused in production", () => {
    const example = /^JWT_SECRET=(.*)$/m.exec(
      readFileSync(join(import.meta.dir, "../../systemd/checkin.env.example"), "utf8"),
    );
    expect(example?.[1]).toBeDefined();
    expect(() => loadConfig({ ...BASE, NODE_ENV: "production", JWT_SECRET: example?.[1] as string })).toThrow(
      "placeholder",
    );
  });

  test("requires Redis settings", () => {
    expect(() => loadConfig({ MONGODB_URI: BASE.MONGODB_URI })).toThrow("REDIS_URL: required");
  });

  test("error messages never echo a secret", () => {
    const error = failure({ JWT_SECRET: "tooshort-secret" });
    expect(error.message).not.toContain("tooshort-secret");
  });

  test("redactUrl hides passwords", () => {
    expect(redactUrl("redis://:hunter2@host:6379")).toBe("redis://:***@host:6379");
    expect(redactUrl("mongodb://user:pw@h/db")).not.toContain("pw@");
  });
});
