import { ObjectId } from "mongodb";
import type { CheckinService } from "../checkin/service";
import { withLock } from "../infra/lock";
import type { Runtime } from "../runtime";
import { sessionsOf } from "../sessions/repo";
import type { Settings } from "../settings/settings";
import { planTransition } from "./plan";

const LEADER = "scheduler:leader";
const LAST_TICK = "scheduler:last-tick";
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

export const sessionLockKey = (id: ObjectId | string) => `lock:session:${id}`;

/** The audit of status changes, whoever made them. */
export const sessionEventsOf = (rt: Runtime) =>
  rt.mongo.db.collection<{
    _id: ObjectId;
    sessionId: ObjectId;
    from: string;
    to: string;
    reason: string;
    instance: string;
    at: Date;
  }>("session_events");

// One leader at a time, through a Redis key that expires unless renewed; every
// instance keeps trying, so when the leader dies another takes over within the
// lease. Each transition is made under the session's lock and written only if the
// session is still as read, so a person's change in between always wins.
export function createScheduler(rt: Runtime, settings: Settings, svc: CheckinService) {
  const cmd = rt.redis.cmd;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const lease = () => Math.max(1000, Math.floor(settings.get().schedulerIntervalMs / 2));

  async function leading(): Promise<boolean> {
    const id = rt.config.instanceId;
    if ((await cmd.set(LEADER, id, "PX", lease(), "NX")) === "OK") return true;
    return Number(await cmd.eval(RENEW, 1, LEADER, id, lease())) === 1;
  }

  async function apply(sessionId: ObjectId): Promise<void> {
    await withLock(cmd, sessionLockKey(sessionId), rt.config.lock, async () => {
      const session = await sessionsOf(rt.mongo.db).findOne({ _id: sessionId });
      if (!session) return;
      const now = new Date();
      const plan = planTransition(session, now, settings.get());
      if (!plan) return;
      const after = await sessionsOf(rt.mongo.db).findOneAndUpdate(
        { _id: sessionId, status: session.status, updatedAt: session.updatedAt },
        { $set: { status: plan.to, isOpen: plan.to === "open", statusSource: "scheduler", updatedAt: now } },
        { returnDocument: "after" },
      );
      if (!after) return;
      await sessionEventsOf(rt).insertOne({
        _id: new ObjectId(),
        sessionId,
        from: session.status,
        to: plan.to,
        reason: plan.reason,
        instance: rt.config.instanceId,
        at: now,
      });
      await svc.sessionChanged(sessionId, after);
      if (plan.to === "open") await svc.warmSession(sessionId);
      rt.log.info(
        { sessionId: String(sessionId), from: session.status, to: plan.to, reason: plan.reason },
        "session status",
      );
    });
  }

  async function tick(): Promise<void> {
    const now = new Date();
    const candidates = await sessionsOf(rt.mongo.db)
      .find({ status: { $in: ["scheduled", "open"] } })
      .toArray();
    for (const session of candidates) {
      if (planTransition(session, now, settings.get())) {
        await apply(session._id).catch((err) =>
          rt.log.warn({ err: String(err) }, "scheduler transition skipped"),
        );
      }
    }
  }

  async function loop(): Promise<void> {
    try {
      if (await leading()) {
        const last = Number((await cmd.get(LAST_TICK)) ?? 0);
        if (Date.now() - last >= settings.get().schedulerIntervalMs - lease() / 3) {
          await cmd.set(LAST_TICK, String(Date.now()));
          await tick();
        }
      }
    } catch (error) {
      rt.log.warn({ err: String(error) }, "scheduler round failed");
    }
    if (!stopped) timer = setTimeout(() => void loop(), Math.floor(lease() / 3));
  }

  return {
    start() {
      void loop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      // Hand the lease over at once instead of letting it expire.
      await cmd
        .eval(
          `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`,
          1,
          LEADER,
          rt.config.instanceId,
        )
        .catch(() => undefined);
    },
  };
}
