import { Elysia, t } from "elysia";
import type { Config } from "../config";
import { ok } from "../http/envelope";
import { badRequest, fieldError } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { Bus } from "../live/bus";
import type { Runtime } from "../runtime";
import { isTimeZone, setEventTimeZone } from "../time/zone";

export interface Timing {
  autoOpenMinutesBefore: number;
  autoEndEnabled: boolean;
  autoEndGraceMinutes: number;
  lateThresholdMinutes: number;
  schedulerIntervalMs: number;
  /** The event's time zone (EVENT_TIMEZONE first). */
  timeZone: string;
  /** One room at a time: entering a session closes the person's presence in any other. */
  moveOnEntry: boolean;
  /** Personal data kept this many days after the event's last session (null: kept); privacy/retention.ts. */
  retentionDays: number | null;
  /** Names stay when the retention applies (certificates need them). */
  retentionKeepNames: boolean;
  /** The event's name, as certificates print it. */
  eventName: string;
}

interface SettingsDoc extends Timing {
  _id: string;
  updatedAt: Date;
}

/** Environment variables are only the first defaults; what is stored in MongoDB wins. */
export function defaultTiming(config: Config): Timing {
  return {
    autoOpenMinutesBefore: config.autoOpenMinutesBefore,
    autoEndEnabled: true,
    autoEndGraceMinutes: config.autoEndGraceMinutes,
    lateThresholdMinutes: config.lateThresholdMinutes,
    schedulerIntervalMs: config.sessionCheckIntervalMs,
    timeZone: config.eventTimeZone,
    moveOnEntry: false,
    retentionDays: null,
    retentionKeepNames: false,
    eventName: "",
  };
}

// Every instance keeps the timing in memory and reloads it when any instance
// announces a change on the bus, so a change takes effect cluster-wide at once.
export function createSettings(rt: Runtime, bus: Bus) {
  const collection = rt.mongo.db.collection<SettingsDoc>("settings");
  let current: Timing = defaultTiming(rt.config);
  setEventTimeZone(current.timeZone);

  async function reload(): Promise<Timing> {
    const stored = await collection.findOne({ _id: "timing" });
    if (stored) {
      const { _id, updatedAt, ...timing } = stored;
      current = { ...defaultTiming(rt.config), ...timing };
      setEventTimeZone(current.timeZone);
    }
    return current;
  }

  return {
    get: (): Timing => current,
    async start() {
      await bus.listen((event) => {
        if (event.kind === "settings")
          void reload().catch((err) => rt.log.warn({ err: String(err) }, "settings reload failed"));
      });
      await reload();
    },
    async update(patch: Partial<Timing>): Promise<Timing> {
      if (patch.timeZone !== undefined && !isTimeZone(patch.timeZone))
        throw badRequest("Validation failed", [
          fieldError(
            "timeZone",
            phrase('"{zone}" is not a time zone; use an IANA name such as Africa/Tunis', {
              zone: patch.timeZone,
            }),
          ),
        ]);
      const next = { ...(await reload()), ...patch };
      await collection.replaceOne({ _id: "timing" }, { ...next, updatedAt: new Date() }, { upsert: true });
      current = next;
      setEventTimeZone(next.timeZone);
      await bus.publish({ kind: "settings" });
      return next;
    },
  };
}

export type Settings = ReturnType<typeof createSettings>;

const Minutes = t.Integer({ minimum: 0, maximum: 1440 });
export const TimingPatch = t.Object(
  {
    autoOpenMinutesBefore: t.Optional(Minutes),
    autoEndEnabled: t.Optional(t.Boolean()),
    autoEndGraceMinutes: t.Optional(Minutes),
    lateThresholdMinutes: t.Optional(Minutes),
    schedulerIntervalMs: t.Optional(t.Integer({ minimum: 1000, maximum: 3_600_000 })),
    timeZone: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
    moveOnEntry: t.Optional(
      t.Boolean({
        description: "Entering a session closes the person's presence in any other (off by default)",
      }),
    ),
    retentionDays: t.Optional(
      t.Union([t.Integer({ minimum: 0, maximum: 3650 }), t.Null()], {
        description:
          "Days after the event's last session ends when participants' personal data is pseudonymised (null: kept)",
      }),
    ),
    retentionKeepNames: t.Optional(
      t.Boolean({ description: "Keep names when the retention applies (certificates need them)" }),
    ),
    eventName: t.Optional(
      t.String({ maxLength: 200, description: "The event's name, as certificates print it" }),
    ),
  },
  { additionalProperties: false },
);

/** Settings JSON routes; existing clients read the payload at the top level, so it is there too. */
export function settingsApi(rt: Runtime, settings: Settings) {
  return new Elysia({ name: "settings-api", prefix: "/api/v1/settings" })
    .get("/", ({ request }) => {
      const payload = { timing: settings.get(), version: rt.config.version, environment: rt.config.nodeEnv };
      return { ...payload, ...ok(request, payload, "Settings") };
    })
    .get("/timing", ({ request }) => ({
      ...settings.get(),
      ...ok(request, settings.get(), "Timing settings"),
    }))
    .put(
      "/timing",
      async ({ body, request }) => {
        const timing = await settings.update(body);
        return { ...timing, ...ok(request, timing, "Timing settings updated") };
      },
      { body: TimingPatch },
    );
}
