import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** One registry per instance, every series labelled with the instance id. */
export function createMetrics(instanceId: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ instance: instanceId });
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route template and status code.",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from request arrival to response, by method, route template and status code.",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    observeRequest(method: string, route: string, status: number, seconds: number) {
      const labels = { method, route: route || "unmatched", status: String(status) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, seconds);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Which Redis primary the instance uses (1 on its address) and how often it found a new one. */
/** Times this instance's MongoDB client was found stuck and connected again (infra/mongo.ts). */
export function mongoClientMetrics(registry: Registry, revivals: () => number) {
  new Gauge({
    name: "checkin_mongodb_client_reconnections",
    help: "Times this instance's MongoDB client failed its checks while a fresh connection reached the server, and was connected again.",
    registers: [registry],
    collect() {
      this.set(revivals());
    },
  });
}

export function redisPrimaryMetrics(
  registry: Registry,
  read: () => { address: string | null; changes: number },
) {
  new Gauge({
    name: "checkin_redis_primary_info",
    help: "1 on the address of the Redis primary this instance uses and has confirmed; no series while it has none.",
    labelNames: ["address"] as const,
    registers: [registry],
    collect() {
      this.reset();
      const { address } = read();
      if (address) this.set({ address }, 1);
    },
  });
  new Gauge({
    name: "checkin_redis_primary_changes",
    help: "Times this instance reached a different Redis primary than before (a failover or a restart).",
    registers: [registry],
    collect() {
      this.set(read().changes);
    },
  });
}
