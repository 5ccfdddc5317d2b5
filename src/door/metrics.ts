import { Counter, Histogram, type Registry } from "prom-client";

/** What operations and the event team watch at the doors (Prometheus series). */
export function createCheckinMetrics(registry: Registry) {
  return {
    scans: new Counter({
      name: "checkins_total",
      help: "Scans decided, by session, outcome (accept, decide, already, refuse) and reason.",
      labelNames: ["session_id", "outcome", "reason"] as const,
      registers: [registry],
    }),
    decision: new Histogram({
      name: "scan_decision_duration_seconds",
      help: "Time to decide (and write) one scan, lock and database included.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    locks: new Counter({
      name: "lock_acquisitions_total",
      help: "Per-badge lock attempts: acquired, busy (fell back to the unique indexes), unavailable (Redis down) or full (Redis out of memory).",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
  };
}

export type CheckinMetrics = ReturnType<typeof createCheckinMetrics>;
