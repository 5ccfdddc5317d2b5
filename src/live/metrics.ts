import { ObjectId } from "mongodb";
import { Gauge } from "prom-client";
import type { CheckinService } from "../door/service";
import type { Runtime } from "../runtime";
import { sessionsOf } from "../sessions/repo";

/** Per open session: who is inside and how full it is, read when Prometheus scrapes. */
export function registerSessionMetrics(rt: Runtime, svc: CheckinService): void {
  const labelNames = ["session_id"] as const;
  const registers = [rt.metrics.registry];
  const inside = new Gauge({
    name: "session_inside_now",
    help: "People inside an open session now.",
    labelNames,
    registers,
    collect: () => refresh(),
  });
  const utilisation = new Gauge({
    name: "session_capacity_utilisation",
    help: "Check-ins over capacity for each open session with a capacity (1 = full).",
    labelNames,
    registers,
    collect: () => refresh(),
  });

  // Both gauges come from one read per scrape (prom-client collects metrics concurrently).
  let pending: Promise<void> | null = null;
  function refresh(): Promise<void> {
    if (pending) return pending;
    pending = (async () => {
      const open = await sessionsOf(rt.mongo.db)
        .find({ status: "open" }, { projection: { _id: 1, capacity: 1 } })
        .toArray()
        .catch(() => []);
      inside.reset();
      utilisation.reset();
      for (const session of open) {
        const stats = await svc.liveStats(new ObjectId(session._id)).catch(() => null);
        if (!stats) continue;
        const labels = { session_id: String(session._id) };
        inside.set(labels, stats.inside);
        if (session.capacity > 0) utilisation.set(labels, stats.count / session.capacity);
      }
    })().finally(() => {
      pending = null;
    });
    return pending;
  }
}
