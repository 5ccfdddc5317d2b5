import { statfsSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { Elysia } from "elysia";
import type { Runtime } from "../runtime";
import { assess, deepReport, formatBytes, type MachineFigures, notReadyReasons, overall } from "./evaluate";

const PROBE_TIMEOUT_MS = 1500;

/** Memory in use, load per core over the last minute, and disk in use where the instance runs, in %. */
function machine(): MachineFigures {
  const disk = statfsSync(process.cwd());
  return {
    memoryPercent: (1 - freemem() / totalmem()) * 100,
    cpuPercent: ((loadavg()[0] ?? 0) / Math.max(1, cpus().length)) * 100,
    diskPercent: disk.blocks > 0 ? (1 - disk.bavail / disk.blocks) * 100 : 0,
  };
}

export function healthRoutes(rt: Runtime) {
  const { config, mongo, redis, state } = rt;

  const probeBoth = () => Promise.all([mongo.ping(PROBE_TIMEOUT_MS), redis.ping(PROBE_TIMEOUT_MS)]);

  const live = () => ({ status: "ok", instance: config.instanceId });
  const ready = async ({ set }: { set: { status?: number | string } }) => {
    const [database, cache] = await probeBoth();
    const reasons = notReadyReasons({
      draining: state.draining,
      indexesReady: mongo.isReady,
      warm: state.warm,
      database,
      redis: cache,
    });
    set.status = reasons.length === 0 ? 200 : 503;
    return {
      status: reasons.length === 0 ? "ok" : "error",
      instance: config.instanceId,
      database: database.up ? "connected" : "disconnected",
      redis: cache.up ? "connected" : "disconnected",
      details: { reasons, draining: state.draining },
    };
  };

  return (
    new Elysia({ name: "health", prefix: "/api/v1/health" })
      .get("/live", live)
      // The names operators' scripts and orchestrators call (seed 001), the same answers.
      .get("/liveness", live)
      .get("/ready", ready)
      .get("/readiness", ready)
      // Each dependency's answer time and the machine's memory, CPU and disk against limits.
      .get("/deep", async ({ set }) => {
        const [database, cache] = await probeBoth();
        const report = deepReport(database, cache, machine(), config.lock.mode);
        set.status = report.status === "unhealthy" ? 503 : 200;
        return { ...report, instance: config.instanceId, timestamp: new Date().toISOString() };
      })
      .get("/", async ({ set }) => {
        const [databaseProbe, redisProbe] = await probeBoth();
        const database = assess(databaseProbe, config.health);
        const cache = assess(redisProbe, config.health);
        const status = state.draining ? "unhealthy" : overall(database, cache, config.lock.mode);
        const memory = process.memoryUsage();
        set.status = status === "unhealthy" ? 503 : 200;
        return {
          status,
          instance: config.instanceId,
          version: config.version,
          timestamp: new Date().toISOString(),
          uptime: Math.floor((Date.now() - state.startedAt) / 1000),
          draining: state.draining,
          thresholds: config.health,
          database: { ...database, name: mongo.db.databaseName, indexesReady: mongo.isReady },
          redis: {
            ...cache,
            cache: "redis",
            client: "ioredis",
            usingFallback: cache.status === "disconnected" && config.lock.mode === "degraded",
            lockMode: config.lock.mode,
            // Which primary this instance writes to (with Sentinel it moves on a failover).
            primary: redis.primary?.address ?? null,
            sentinel: redis.sentinel,
            primaryChanges: redis.primaryChanges,
            reconnectAttempts: redis.reconnectAttempts,
            lastError: redis.lastError,
            lastErrorTime: redis.lastErrorAt,
          },
          memory: {
            heapUsed: formatBytes(memory.heapUsed),
            heapTotal: formatBytes(memory.heapTotal),
            rss: formatBytes(memory.rss),
          },
        };
      })
  );
}
