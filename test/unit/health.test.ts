import { describe, expect, test } from "bun:test";
import { assess, formatBytes, notReadyReasons, overall } from "../../src/health/evaluate";

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
