import { createApp } from "./app";
import { createSessions } from "./auth/plugin";
import { createCheckinService } from "./checkin/service";
import type { Config } from "./config";
import { registerHealthMetrics } from "./health/metrics";
import { INDEXES } from "./indexes";
import { createLogger } from "./infra/log";
import { createMetrics } from "./infra/metrics";
import { Mongo } from "./infra/mongo";
import { RedisConnections } from "./infra/redis";
import { createActivity } from "./live/activity";
import { createBus } from "./live/bus";
import { createHub } from "./live/hub";
import { registerSessionMetrics } from "./live/metrics";
import { createLiveSource } from "./live/state";
import type { Runtime } from "./runtime";
import { createScheduler } from "./scheduler/scheduler";
import { createSettings } from "./settings/settings";

/** Starts one instance (Bun edge): listen at once, connect in the background, drain on SIGTERM/SIGINT. */
export function serve(config: Config): void {
  const log = createLogger(config.logLevel, config.instanceId);
  const rt: Runtime = {
    config,
    log,
    metrics: createMetrics(config.instanceId),
    mongo: new Mongo(config.mongodbUri, config.mongodbDbName, config.instanceId, INDEXES, log),
    redis: new RedisConnections(
      {
        url: config.redisUrl,
        connectTimeoutMs: config.redisConnectTimeoutMs,
        maxRetries: config.redisMaxRetries,
        name: config.instanceId,
        keyPrefix: `checkin:${config.mongodbDbName}:`,
      },
      log,
    ),
    state: { draining: false, startedAt: Date.now(), warm: false },
  };
  const activity = createActivity(rt.redis.cmd, rt.mongo.db, config.ttl.statsMs);
  const bus = createBus(rt);
  const settings = createSettings(rt, bus);
  const checkins = createCheckinService(rt, {
    activity,
    bus,
    lateThresholdMinutes: () => settings.get().lateThresholdMinutes,
  });
  const scheduler = createScheduler(rt, settings, checkins);
  registerHealthMetrics(rt);
  registerSessionMetrics(rt, checkins);
  const live = createLiveSource(rt, checkins, activity);
  const hub = createHub(rt, live, bus);
  const sockets = new Set<{ close(code?: number, reason?: string): void }>();
  const app = createApp(rt, { checkins, hub, live, sockets, settings, sessions: createSessions(rt) }).listen({
    hostname: config.host,
    port: config.port,
  });
  if (app.server)
    void hub
      .start(app.server)
      .catch((error: unknown) => log.error({ err: String(error) }, "live bus not started"));
  // Warm-up before readiness: data may have been seeded or imported behind the API, and
  // the first scans of the morning should not each pay for a cold cache.
  void rt.mongo
    .start()
    .then(() => settings.start())
    .then(() => checkins.warmUp())
    .catch((error: unknown) => log.warn({ err: String(error) }, "warm-up incomplete; caches fill on demand"))
    .finally(() => {
      rt.state.warm = true;
      scheduler.start();
    });
  log.info(
    { host: config.host, port: config.port, version: config.version, lockMode: config.lock.mode },
    "listening",
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.state.draining = true;
    log.info({ signal, pendingRequests: app.server?.pendingRequests }, "draining");
    const server = app.server;
    // 1001 "going away": htmx clients reconnect, through Nginx, to another instance.
    for (const socket of sockets) socket.close(1001, "server restarting");
    const drained = server ? server.stop(false).then(() => true) : Promise.resolve(true);
    const timedOut = new Promise<false>((resolve) =>
      setTimeout(() => resolve(false), config.shutdownTimeoutMs),
    );
    if (!(await Promise.race([drained, timedOut]))) {
      log.warn({ timeoutMs: config.shutdownTimeoutMs }, "drain bound reached; closing remaining connections");
      await server?.stop(true);
    }
    await scheduler.stop();
    await Promise.allSettled([rt.redis.close(), rt.mongo.close()]);
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
