import { statfsSync } from "node:fs";
import { Gauge } from "prom-client";
import type { ProbeResult } from "../infra/probe";
import type { Runtime } from "../runtime";
import { assess, overall } from "./evaluate";

const PROBE_TIMEOUT_MS = 1000;
const LEVEL = { healthy: 1, degraded: 0.5, unhealthy: 0 } as const;

/** Dependency and instance health as gauges, measured when Prometheus scrapes. */
export function registerHealthMetrics(rt: Runtime): void {
  const registers = [rt.metrics.registry];
  // A scrape collects every gauge at once: they share one probe, made for this scrape.
  let probing: Promise<{ mongodb: ProbeResult; redis: ProbeResult }> | null = null;
  const probe = () => {
    probing ??= Promise.all([rt.mongo.ping(PROBE_TIMEOUT_MS), rt.redis.ping(PROBE_TIMEOUT_MS)])
      .then(([mongodb, redis]) => ({ mongodb, redis }))
      .finally(() => setTimeout(() => (probing = null), 0));
    return probing;
  };
  new Gauge({
    name: "dependency_up",
    help: "1 when the dependency answered a ping at scrape time, else 0.",
    labelNames: ["dependency"] as const,
    registers,
    async collect() {
      for (const [name, result] of Object.entries(await probe()))
        this.set({ dependency: name }, result.up ? 1 : 0);
    },
  });
  new Gauge({
    name: "dependency_latency_seconds",
    help: "Ping round trip to the dependency at scrape time.",
    labelNames: ["dependency"] as const,
    registers,
    async collect() {
      for (const [name, result] of Object.entries(await probe()))
        this.set({ dependency: name }, result.latencyMs / 1000);
    },
  });
  new Gauge({
    name: "instance_health",
    help: "1 healthy, 0.5 degraded, 0 unhealthy (or draining), as /api/v1/health reports it.",
    registers,
    async collect() {
      const { mongodb, redis } = await probe();
      const status = rt.state.draining
        ? "unhealthy"
        : overall(assess(mongodb, rt.config.health), assess(redis, rt.config.health), rt.config.lock.mode);
      this.set(LEVEL[status]);
    },
  });
  new Gauge({
    name: "disk_free_ratio",
    help: "Share of the disk the instance runs on that is still free (0 to 1), at scrape time.",
    registers,
    collect() {
      const disk = statfsSync(process.cwd());
      this.set(disk.blocks > 0 ? disk.bavail / disk.blocks : 1);
    },
  });
}
