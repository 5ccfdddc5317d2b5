import { ObjectId } from "mongodb";
import type { LiveSession } from "../../views/dashboard";
import type { Features } from "../features";
import type { Runtime } from "../runtime";
import { sessionsOf } from "../sessions/repo";
import type { Activity } from "./activity";
import { arrivalsPer, fillForecast, insideOverTime, quietDoors } from "./figures";

export interface LiveSource {
  session(id: string): Promise<LiveSession | null>;
  /** Sessions the overview shows: today's, in start order. */
  activeSessionIds(): Promise<string[]>;
}

export function createLiveSource(
  rt: Runtime,
  { door: svc, sessions }: Features,
  activity: Activity,
): LiveSource {
  return {
    async session(id) {
      if (!ObjectId.isValid(id)) return null;
      const sessionId = new ObjectId(id);
      const session = await sessions.require(sessionId).catch(() => null);
      if (!session) return null;
      const [stats, scansPerMinute, recent, timeline] = await Promise.all([
        svc.liveStats(sessionId),
        activity.scansPerMinute(sessionId),
        activity.recent(sessionId),
        activity.timeline(sessionId),
      ]);
      const occupancy = session.capacityMode === "occupancy";
      return {
        session,
        ...stats,
        scansPerMinute,
        recent,
        arrivals: arrivalsPer(timeline, 5),
        insideOverTime: insideOverTime(timeline),
        forecast: fillForecast(timeline, {
          capacity: session.capacityEnforced ? session.capacity : 0,
          taken: occupancy ? stats.inside : stats.count,
          occupancy,
        }),
        quietDoors: quietDoors(timeline, session.status === "open", rt.config.quietDoorSeconds * 1000),
      };
    },
    async activeSessionIds() {
      const now = Date.now();
      const docs = await sessionsOf(rt.mongo.db)
        .find(
          {
            startTime: { $lt: new Date(now + 24 * 3600_000) },
            endTime: { $gt: new Date(now - 12 * 3600_000) },
          },
          { projection: { _id: 1, startTime: 1 } },
        )
        .sort({ startTime: 1 })
        .limit(200)
        .toArray();
      return docs.map((d) => String(d._id));
    },
  };
}
