import { ObjectId } from "mongodb";
import { Gauge } from "prom-client";
import type { CheckinService } from "../door/service";
import type { Runtime } from "../runtime";
import { sessionsOf } from "../sessions/repo";

/** Far below Prometheus' scrape timeout (10 s): the rest of the metrics must get through. */
const SCRAPE_READ_MS = 2000;

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

  // Both gauges come from one read per scrape (prom-client collects metrics concurrently),
  // under one deadline: with Redis or MongoDB hung, a read per session one after another took
  // their whole timeout each, the scrape outlasted Prometheus' and every instance looked down
  // (hiding the alert that names the real cause). What is not read in time is left out.
  let pending: Promise<void> | null = null;
  function refresh(): Promise<void> {
    if (pending) return pending;
    pending = (async () => {
      const deadline = new Promise<null>((resolve) => setTimeout(resolve, SCRAPE_READ_MS, null).unref?.());
      const inTime = <T>(read: Promise<T>) => Promise.race([read.catch(() => null), deadline]);
      const open =
        (await inTime(
          sessionsOf(rt.mongo.db)
            .find({ status: "open" }, { projection: { _id: 1, capacity: 1 } })
            .toArray(),
        )) ?? [];
      const stats = await Promise.all(open.map((s) => inTime(svc.liveStats(new ObjectId(s._id)))));
      inside.reset();
      utilisation.reset();
      for (const [i, session] of open.entries()) {
        const figures = stats[i];
        if (!figures) continue;
        const labels = { session_id: String(session._id) };
        inside.set(labels, figures.inside);
        if (session.capacity > 0) utilisation.set(labels, figures.count / session.capacity);
      }
    })().finally(() => {
      pending = null;
    });
    return pending;
  }
}
