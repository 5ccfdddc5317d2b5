import { Counter, Gauge } from "prom-client";
import { OverviewRow, SessionLive } from "../../views/dashboard";
import { LOCALES, type Locale } from "../i18n/locale";
import type { Runtime } from "../runtime";
import { renderFor } from "../web/reader";
import type { Bus, LiveEvent } from "./bus";
import type { LiveSource } from "./state";

/** At most one update per session per this many ms reaches a browser. */
export const COALESCE_MS = 200;
/** Dashboards are rendered again this often even when nothing happens: a forecast ages, a door goes quiet. */
export const REFRESH_MS = 10_000;

export const isTopic = (topic: string) => topic === "overview" || /^session:[0-9a-f]{24}$/.test(topic);

/** A topic as sockets subscribe to it: one channel per language, each rendered once per flush. */
export const channel = (topic: string, locale: Locale) => `${topic}@${locale}`;

/** Dashboards name people and nothing else, so they are rendered for the least role that may watch. */
const inLocale = (locale: Locale, render: () => JSX.Element) =>
  Promise.resolve(renderFor({ locale, role: "viewer" }, render));

/** What the hub reports to Prometheus. */
function hubMetrics(rt: Runtime) {
  const connections = new Gauge({
    name: "ws_connections",
    help: "Open WebSocket connections on this instance.",
    registers: [rt.metrics.registry],
  });
  const sent = new Counter({
    name: "ws_messages_sent_total",
    help: "WebSocket messages published to local subscribers, by topic kind.",
    labelNames: ["topic"] as const,
    registers: [rt.metrics.registry],
  });
  const received = new Counter({
    name: "live_events_total",
    help: "State-change events received from the Redis bus.",
    registers: [rt.metrics.registry],
  });
  return { connections, sent, received };
}

/**
 * Which sessions an event changes (with the change time, where it has one), or all of them;
 * null for events dashboards do not show.
 */
export function changedBy(event: LiveEvent): { sessions: { id: string; at?: number }[] } | "all" | null {
  switch (event.kind) {
    case "session":
      return { sessions: [{ id: event.sessionId, ...(event.at ? { at: event.at } : {}) }] };
    case "left":
      return { sessions: [{ id: event.sessionId, at: Date.now() }] };
    case "scans":
      return { sessions: event.items.map(({ sessionId }) => ({ id: sessionId, at: event.at })) };
    case "session-doc":
    case "timeline":
      return { sessions: [{ id: event.sessionId }] };
    case "all":
    case "settings":
    case "resync":
    case "restored":
      return "all";
    default:
      return null;
  }
}

/** Latest change time per session, shown to clients as data-changed-at the first time a render carries it. */
function changeTimes() {
  const changedAt = new Map<string, number>();
  const deliveredAt = new Map<string, number>();
  return {
    note: (id: string, at: number) => changedAt.set(id, Math.max(at, changedAt.get(id) ?? 0)),
    /** The change time, once: re-renders are not deliveries. */
    fresh(id: string): number | undefined {
      const at = changedAt.get(id);
      if (at === undefined || at <= (deliveredAt.get(id) ?? 0)) return undefined;
      deliveredAt.set(id, at);
      return at;
    },
  };
}

/** Calls `work` every `ms`, never keeping the process alive for it (Bun and Node timers; Deno's are numbers). */
function every(ms: number, work: () => void): () => void {
  const timer = setInterval(work, ms);
  (timer as unknown as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}

/** A topic's whole current state in `locale`. */
async function snapshotOf(source: LiveSource, topic: string, locale: Locale): Promise<string> {
  if (topic === "overview") {
    const ids = await source.activeSessionIds();
    const states = await Promise.all(ids.map((id) => source.session(id).catch(() => null)));
    const rows = await Promise.all(
      states
        .filter((s) => s !== null)
        .map((state) => inLocale(locale, () => OverviewRow({ state, oob: true }))),
    );
    return rows.join("");
  }
  const state = await source.session(topic.slice("session:".length)).catch(() => null);
  return state ? inLocale(locale, () => SessionLive({ state, oob: true })) : "";
}

/** Renders each session asked for to the sockets of this instance that watch it (and the overview). */
async function renderSessions(
  source: LiveSource,
  ids: string[],
  out: {
    readers: (topic: string) => Locale[];
    publish: (channel: string, html: string) => void;
    fresh: (id: string) => number | undefined;
  },
): Promise<void> {
  const { readers, publish } = out;
  const overviewIn = readers("overview");
  const rows = new Map<Locale, string[]>(overviewIn.map((locale) => [locale, []]));
  for (const id of ids) {
    // Taken whether or not anyone here watches: a change nobody saw arrive is not news to the
    // next dashboard to open (its snapshot already shows it).
    const changed = out.fresh(id);
    const sessionIn = readers(`session:${id}`);
    if (sessionIn.length === 0 && overviewIn.length === 0) continue;
    const state = await source.session(id).catch(() => null);
    if (!state) continue;
    for (const locale of sessionIn)
      publish(
        channel(`session:${id}`, locale),
        await inLocale(locale, () => SessionLive({ state, oob: true, changedAt: changed })),
      );
    for (const locale of overviewIn)
      rows.get(locale)?.push(await inLocale(locale, () => OverviewRow({ state, oob: true })));
  }
  for (const [locale, html] of rows) if (html.length > 0) publish(channel("overview", locale), html.join(""));
}

// Events from the bus mark sessions dirty; a flush (at once when idle, then at most every COALESCE_MS) renders
// the *current* state of each dirty session and publishes it to the local sockets
// subscribed to it. However many events arrive, the last flush shows the final count.
export function createHub(rt: Runtime, source: LiveSource, bus: Bus) {
  const dirty = new Set<string>();
  const times = changeTimes();
  let everything = false;
  let flushScheduled = false;
  let lastFlush = 0;
  let server: Publisher | null = null;
  /** Sockets open on this instance, and how to stop the periodic render. */
  let watching = 0;
  let stopRefresh = () => {};

  const { connections, sent, received } = hubMetrics(rt);

  const publish = (topic: string, html: string) => {
    if (!server || html === "") return;
    server.publish(topic, html);
    sent.inc({ topic: topic.startsWith("overview") ? "overview" : "session" });
  };
  /** The languages someone reads `topic` in on this instance. */
  const readers = (topic: string) =>
    server ? LOCALES.filter((locale) => server?.subscriberCount(channel(topic, locale))) : [];

  async function flush() {
    flushScheduled = false;
    lastFlush = Date.now();
    const ids = everything ? await source.activeSessionIds() : [...dirty];
    everything = false;
    dirty.clear();
    if (!server) return;
    await renderSessions(source, ids, { readers, publish, fresh: times.fresh });
  }

  function markDirty(event: LiveEvent) {
    const changed = changedBy(event);
    if (changed === null) return;
    if (changed === "all") everything = true;
    else
      for (const { id, at } of changed.sessions) {
        dirty.add(id);
        if (at) times.note(id, at);
      }
    if (!flushScheduled) {
      flushScheduled = true;
      const wait = Math.max(0, lastFlush + COALESCE_MS - Date.now());
      setTimeout(
        () => void flush().catch((err) => rt.log.warn({ err: String(err) }, "live flush failed")),
        wait,
      );
    }
  }

  return {
    /** `publisher`: Bun's server (its own pub/sub), or the Deno edge's topics (sockets.ts). */
    async start(publisher: Publisher) {
      server = publisher;
      // Only while someone watches on this instance.
      stopRefresh = every(REFRESH_MS, () => {
        if (watching > 0) markDirty({ kind: "all" });
      });
      await bus.listen((event) => {
        received.inc();
        markDirty(event);
      });
    },
    opened() {
      watching++;
      connections.inc();
    },
    closed() {
      watching--;
      connections.dec();
    },
    /** No more renders (the instance is stopping). */
    stop: () => stopRefresh(),
    /** The full current state for a topic, in `locale`: what a (re)connecting client receives first. */
    snapshot: (topic: string, locale: Locale) => snapshotOf(source, topic, locale),
    /** Re-render a topic locally at the next flush. */
    touch(topic: string) {
      markDirty(
        topic === "overview"
          ? { kind: "all" }
          : { kind: "session", sessionId: topic.slice("session:".length) },
      );
    },
  };
}

export type Hub = ReturnType<typeof createHub>;

/** Where the hub publishes a rendered change: every socket of this instance subscribed to the channel. */
export interface Publisher {
  publish(channel: string, data: string): unknown;
  subscriberCount(channel: string): number;
}
