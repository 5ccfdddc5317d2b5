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
