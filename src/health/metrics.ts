import { Gauge } from "prom-client";
import type { Runtime } from "../runtime";
import { assess, overall } from "./evaluate";

const PROBE_TIMEOUT_MS = 1000;
const LEVEL = { healthy: 1, degraded: 0.5, unhealthy: 0 } as const;

/** Dependency and instance health as gauges, measured when Prometheus scrapes. */
export function registerHealthMetrics(rt: Runtime): void {
  const registers = [rt.metrics.registry];
  const up = new Gauge({
    name: "dependency_up",
    help: "1 when the dependency answered a ping at scrape time, else 0.",
    labelNames: ["dependency"] as const,
    registers,
  });
  const latency = new Gauge({
    name: "dependency_latency_seconds",
    help: "Ping round trip to the dependency at scrape time.",
    labelNames: ["dependency"] as const,
    registers,
  });
  new Gauge({
    name: "instance_health",
    help: "1 healthy, 0.5 degraded, 0 unhealthy (or draining), as /api/v1/health reports it.",
    registers,
    async collect() {
      const [database, redis] = await Promise.all([
        rt.mongo.ping(PROBE_TIMEOUT_MS),
        rt.redis.ping(PROBE_TIMEOUT_MS),
      ]);
      for (const [name, result] of [
        ["mongodb", database],
        ["redis", redis],
      ] as const) {
        up.set({ dependency: name }, result.up ? 1 : 0);
        latency.set({ dependency: name }, result.latencyMs / 1000);
      }
      const status = rt.state.draining
        ? "unhealthy"
        : overall(assess(database, rt.config.health), assess(redis, rt.config.health), rt.config.lock.mode);
      this.set(LEVEL[status]);
    },
  });
}
