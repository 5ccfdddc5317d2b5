import type { LockMode } from "../config";
import type { ProbeResult } from "../infra/probe";

export type Level = "ok" | "degraded" | "critical";
export type Overall = "healthy" | "degraded" | "unhealthy";

export interface Thresholds {
  degradedMs: number;
  criticalMs: number;
}

export interface DependencyReport {
  status: "connected" | "disconnected";
  level: Level;
  latencyMs: number;
  error?: string;
}

export function assess(result: ProbeResult, thresholds: Thresholds): DependencyReport {
  const status = result.up ? "connected" : "disconnected";
  let level: Level = "ok";
  if (!result.up || result.latencyMs >= thresholds.criticalMs) level = "critical";
  else if (result.latencyMs >= thresholds.degradedMs) level = "degraded";
  return { status, level, latencyMs: result.latencyMs, ...(result.error ? { error: result.error } : {}) };
}

/**
 * MongoDB is the source of truth: without it the instance is unhealthy. Without
 * Redis, strict lock mode refuses scans (unhealthy) while degraded mode keeps
 * serving on MongoDB guards alone (degraded).
 */
export function overall(database: DependencyReport, redis: DependencyReport, lockMode: LockMode): Overall {
  if (database.level === "critical") return "unhealthy";
  if (redis.status === "disconnected") return lockMode === "strict" ? "unhealthy" : "degraded";
  if (database.level === "degraded" || redis.level !== "ok") return "degraded";
  return "healthy";
}

/** Why this instance must not receive traffic; empty when it may. */
export function notReadyReasons(input: {
  draining: boolean;
  indexesReady: boolean;
  warm: boolean;
  database: ProbeResult;
  redis: ProbeResult;
}): string[] {
  const reasons: string[] = [];
  if (input.draining) reasons.push("shutting down");
  if (!input.database.up) reasons.push(`mongodb: ${input.database.error ?? "not answering"}`);
  else if (!input.indexesReady) reasons.push("mongodb: indexes not created yet");
  else if (!input.warm) reasons.push("warming caches");
  if (!input.redis.up) reasons.push(`redis: ${input.redis.error ?? "not answering"}`);
  return reasons;
}

export function formatBytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/**
 * The deep check's limits (seed 002's defaults): a dependency's answer time in ms, and how
 * full the machine is in % (memory in use, CPU load per core, disk in use where the
 * instance runs). At the first figure a check is degraded, at the second critical.
 */
export const DEEP_LIMITS = {
  database: { degraded: 100, critical: 500 },
  redis: { degraded: 50, critical: 200 },
  memory: { degraded: 85, critical: 95 },
  cpu: { degraded: 80, critical: 95 },
  disk: { degraded: 80, critical: 90 },
} as const;

export type DeepCheck = keyof typeof DEEP_LIMITS;

/** One figure against its limits. */
export function levelOf(value: number, limits: { degraded: number; critical: number }): Level {
  if (value >= limits.critical) return "critical";
  if (value >= limits.degraded) return "degraded";
  return "ok";
}

/** The machine as the deep check reads it: percentages. */
export interface MachineFigures {
  memoryPercent: number;
  cpuPercent: number;
  diskPercent: number;
}

/**
 * Every check with its figure and level, and the whole: unhealthy when the database is
 * away or any check is critical (Redis away: as `overall` says for the lock mode),
 * degraded when any check is degraded.
 */
export function deepReport(
  database: ProbeResult,
  redis: ProbeResult,
  machine: MachineFigures,
  lockMode: LockMode,
) {
  const latency = (probe: ProbeResult, limits: { degraded: number; critical: number }) => ({
    status: probe.up ? "connected" : "disconnected",
    latencyMs: probe.latencyMs,
    level: probe.up ? levelOf(probe.latencyMs, limits) : ("critical" as Level),
    limitsMs: limits,
    ...(probe.error ? { error: probe.error } : {}),
  });
  const percent = (value: number, limits: { degraded: number; critical: number }) => ({
    percent: Math.round(value * 10) / 10,
    level: levelOf(value, limits),
    limitsPercent: limits,
  });
  const checks = {
    database: latency(database, DEEP_LIMITS.database),
    redis: latency(redis, DEEP_LIMITS.redis),
    memory: percent(machine.memoryPercent, DEEP_LIMITS.memory),
    cpu: percent(machine.cpuPercent, DEEP_LIMITS.cpu),
    disk: percent(machine.diskPercent, DEEP_LIMITS.disk),
  };
  const levels = Object.entries(checks)
    .filter(([name]) => !(name === "redis" && !redis.up && lockMode === "degraded"))
    .map(([, check]) => check.level);
  const status: Overall =
    !database.up || levels.includes("critical")
      ? "unhealthy"
      : levels.includes("degraded") || !redis.up
        ? "degraded"
        : "healthy";
  return { status, checks };
}
