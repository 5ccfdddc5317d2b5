import type { ObjectId } from "mongodb";
import type { Features } from "../features";
import { retentionRound } from "../privacy/retention";
import type { Runtime } from "../runtime";
import { sessionsOf } from "../sessions/repo";
import { sessionParts, writeSession } from "../sessions/service";
import type { Settings } from "../settings/settings";
import { planTransition } from "./plan";

const LEADER = "scheduler:leader";
const LAST_TICK = "scheduler:last-tick";
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

/** One kind of copy, packed by the leader every `every` ms beside the ticks (0: never). */
function packer(rt: Runtime, what: string, every: number, pass: () => Promise<unknown>) {
  let packedAt = 0;
  let packing: Promise<void> | null = null;
  return {
    pack(): void {
      if (every === 0 || packing || Date.now() - packedAt < every) return;
      packedAt = Date.now();
      packing = pass()
        .then((figures) => rt.log.debug({ figures }, `${what} packed`))
        .catch((err) => rt.log.warn({ err: String(err) }, `${what} not packed`))
        .finally(() => {
          packing = null;
        });
    },
    stopped: async () => {
      await packing;
    },
  };
}

/** The badge directory's copy and the door's (participants/directory-copy.ts, door/copies.ts). */
function copyPacker(rt: Runtime, features: Features) {
  const { directoryCopyIntervalMs, doorCopyIntervalMs } = rt.config;
  const directory = packer(rt, "directory copy", directoryCopyIntervalMs, features.directory.packCopy);
  const door = packer(rt, "door copies", doorCopyIntervalMs, features.door.copies.pass);
  return {
    pack(): void {
      directory.pack();
      door.pack();
    },
    async stop(): Promise<void> {
      await Promise.all([directory.stopped(), door.stopped()]);
      await features.door.copies.stop();
    },
  };
}

/** Retention is checked at most hourly (one sort of the few sessions; idempotent once applied). */
function retentionChecker(rt: Runtime, settings: Settings, features: Features) {
  let retentionCheckedAt = 0;
  return async (): Promise<void> => {
    if (settings.get().retentionDays === null || Date.now() - retentionCheckedAt < 3600_000) return;
    retentionCheckedAt = Date.now();
    const run = await retentionRound(
      rt.mongo.db,
      settings.get(),
      features.directory,
      features.door.stamps.during,
    );
    if (run.applied && run.participants > 0)
      rt.log.info(
        { participants: run.participants, due: run.due },
        "retention applied: personal data pseudonymised",
      );
  };
}

// One leader at a time, through a Redis key that expires unless renewed; every
// instance keeps trying, so when the leader dies another takes over within the
// lease. Each transition is made under the session's lock and written only if the
// session is still as read, so a person's change in between always wins.
export function createScheduler(rt: Runtime, settings: Settings, features: Features) {
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
    let planned: ReturnType<typeof planTransition> = null;
    let from = "";
    await writeSession(
      rt,
      sessionParts(features),
      sessionId,
      (session) => {
        planned = planTransition(session, new Date(), settings.get());
        from = session.status;
        return planned && { status: planned.to, isOpen: planned.to === "open", statusSource: "scheduler" };
      },
      { reason: () => planned?.reason ?? "scheduler" },
    );
    if (planned) {
      const { to, reason } = planned;
      rt.log.info({ sessionId: String(sessionId), from, to, reason }, "session status");
    }
  }

  const retention = retentionChecker(rt, settings, features);

  async function tick(): Promise<void> {
    await retention().catch((err) => rt.log.warn({ err: String(err) }, "retention round failed"));
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

  const copies = copyPacker(rt, features);

  async function loop(): Promise<void> {
    try {
      if (await leading()) {
        copies.pack();
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
      await copies.stop();
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
