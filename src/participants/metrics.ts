import { Counter, type Registry } from "prom-client";

/** How the badge directory answers (Prometheus series). */
export function directoryLookups(registry: Registry): (hit: boolean) => void {
  const lookups = new Counter({
    name: "cache_requests_total",
    help: "Badge directory look-ups answered from memory (hit) or from MongoDB (miss).",
    labelNames: ["cache", "result"] as const,
    registers: [registry],
  });
  return (hit) => lookups.inc({ cache: "directory", result: hit ? "hit" : "miss" });
}
