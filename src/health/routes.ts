import { Elysia } from "elysia";
import type { Runtime } from "../runtime";
import { assess, formatBytes, notReadyReasons, overall } from "./evaluate";

const PROBE_TIMEOUT_MS = 1500;

export function healthRoutes(rt: Runtime) {
  const { config, mongo, redis, state } = rt;

  const probeBoth = () => Promise.all([mongo.ping(PROBE_TIMEOUT_MS), redis.ping(PROBE_TIMEOUT_MS)]);

  return new Elysia({ name: "health", prefix: "/api/v1/health" })
    .get("/live", () => ({ status: "ok", instance: config.instanceId }))
    .get("/ready", async ({ set }) => {
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
    });
}
