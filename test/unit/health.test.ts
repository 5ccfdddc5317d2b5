import { describe, expect, test } from "bun:test";
import {
  assess,
  deepReport,
  formatBytes,
  levelOf,
  notReadyReasons,
  overall,
} from "../../src/health/evaluate";

const thresholds = { degradedMs: 100, criticalMs: 500 };
const up = (latencyMs: number) => ({ up: true, latencyMs });
const down = { up: false, latencyMs: 1500, error: "no answer within 1500 ms" };

describe("assess", () => {
  test("levels follow the latency thresholds", () => {
    expect(assess(up(5), thresholds)).toEqual({ status: "connected", level: "ok", latencyMs: 5 });
    expect(assess(up(100), thresholds).level).toBe("degraded");
    expect(assess(up(500), thresholds).level).toBe("critical");
    expect(assess(down, thresholds)).toEqual({
      status: "disconnected",
      level: "critical",
      latencyMs: 1500,
      error: "no answer within 1500 ms",
    });
  });
});

describe("overall", () => {
  const ok = assess(up(1), thresholds);
  const slow = assess(up(200), thresholds);
  const dead = assess(down, thresholds);
  test("healthy only when both answer quickly", () => {
    expect(overall(ok, ok, "strict")).toBe("healthy");
    expect(overall(slow, ok, "strict")).toBe("degraded");
    expect(overall(ok, slow, "strict")).toBe("degraded");
  });
  test("no database means unhealthy whatever the lock mode", () => {
    expect(overall(dead, ok, "strict")).toBe("unhealthy");
    expect(overall(dead, ok, "degraded")).toBe("unhealthy");
  });
  test("no Redis is fatal only in strict lock mode", () => {
    expect(overall(ok, dead, "strict")).toBe("unhealthy");
    expect(overall(ok, dead, "degraded")).toBe("degraded");
  });
});

describe("notReadyReasons", () => {
  test("lists every reason", () => {
    expect(
      notReadyReasons({ draining: false, indexesReady: true, warm: true, database: up(1), redis: up(1) }),
    ).toEqual([]);
    expect(
      notReadyReasons({ draining: true, indexesReady: false, warm: false, database: up(1), redis: down }),
    ).toEqual(["shutting down", "mongodb: indexes not created yet", "redis: no answer within 1500 ms"]);
    expect(
      notReadyReasons({ draining: false, indexesReady: false, warm: false, database: down, redis: up(1) }),
    ).toEqual(["mongodb: no answer within 1500 ms"]);
  });
});

test("formatBytes", () => {
  expect(formatBytes(12.34 * 1024 * 1024)).toBe("12.34 MB");
});

describe("the deep check", () => {
  const up = (latencyMs: number) => ({ up: true, latencyMs });
  const calm = { memoryPercent: 40, cpuPercent: 10, diskPercent: 50 };
  test("each figure against its limits", () => {
    expect(levelOf(99, { degraded: 100, critical: 500 })).toBe("ok");
    expect(levelOf(100, { degraded: 100, critical: 500 })).toBe("degraded");
    expect(levelOf(500, { degraded: 100, critical: 500 })).toBe("critical");
  });
  test("the worst check decides, and the database away is unhealthy", () => {
    expect(deepReport(up(5), up(2), calm, "strict").status).toBe("healthy");
    expect(deepReport(up(150), up(2), calm, "strict").status).toBe("degraded");
    expect(deepReport(up(5), up(60), calm, "strict").status).toBe("degraded");
    expect(deepReport(up(5), up(2), { ...calm, memoryPercent: 96 }, "strict").status).toBe("unhealthy");
    expect(deepReport(up(5), up(2), { ...calm, cpuPercent: 85 }, "strict").status).toBe("degraded");
    expect(deepReport(up(5), up(2), { ...calm, diskPercent: 91 }, "strict").status).toBe("unhealthy");
    expect(deepReport({ up: false, latencyMs: 0, error: "refused" }, up(2), calm, "strict").status).toBe(
      "unhealthy",
    );
  });
  test("Redis away: unhealthy in strict mode, degraded in degraded mode", () => {
    const away = { up: false, latencyMs: 0, error: "refused" };
    expect(deepReport(up(5), away, calm, "strict").status).toBe("unhealthy");
    expect(deepReport(up(5), away, calm, "degraded").status).toBe("degraded");
  });
});
