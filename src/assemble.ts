import { createApp } from "./app";
import { createAuditTrail } from "./audit/log";
import { createSignInCookies } from "./auth/cookies";
import { authenticate } from "./auth/plugin";
import { createSignIns } from "./auth/signins";
import { createAccounts, createTokens } from "./auth/store";
import type { Config } from "./config";
import { createCheckinService } from "./door/service";
import type { Features } from "./features";
import { registerHealthMetrics } from "./health/metrics";
import { INDEXES } from "./indexes";
import { createLogger } from "./infra/log";
import { createMetrics, mongoClientMetrics, redisPrimaryMetrics } from "./infra/metrics";
import { Mongo } from "./infra/mongo";
import { RedisConnections } from "./infra/redis";
import { createStamps } from "./infra/stamps";
import { createActivity } from "./live/activity";
import { createBus } from "./live/bus";
import { createHub } from "./live/hub";
import { registerSessionMetrics } from "./live/metrics";
import { createLiveSockets } from "./live/sockets";
import { createLiveSource } from "./live/state";
import { createDirectory } from "./participants/directory";
import { createDirectoryCopy } from "./participants/directory-copy";
import { directoryLookups } from "./participants/metrics";
import { createOpenMarks } from "./registrations/marks";
import type { Runtime } from "./runtime";
import { createScheduler } from "./scheduler/scheduler";
import { createSessionCache } from "./sessions/cache";
import { createSettings } from "./settings/settings";
import { createWebhooks } from "./webhooks/service";

/** The runtime every feature shares: configuration, logs, metrics, MongoDB, Redis. */
function runtimeOf(config: Config): Runtime {
  const log = createLogger(config.logLevel, config.instanceId);
  const rt: Runtime = {
    config,
    log,
    metrics: createMetrics(config.instanceId),
    mongo: new Mongo(config.mongodbUri, config.mongodbDbName, config.instanceId, INDEXES, log, {
      socketTimeoutMs: config.mongodbSocketTimeoutMs,
      connectTimeoutMs: config.mongodbConnectTimeoutMs,
      poolSize: config.mongodbPoolSize,
    }),
    redis: new RedisConnections(
      {
        target: config.redisSentinel ? { sentinel: config.redisSentinel } : { url: config.redisUrl },
        connectTimeoutMs: config.redisConnectTimeoutMs,
        commandTimeoutMs: config.redisCommandTimeoutMs,
        maxRetries: config.redisMaxRetries,
        name: config.instanceId,
        keyPrefix: `checkin:${config.mongodbDbName}:`,
      },
      log,
    ),
    state: { draining: false, startedAt: Date.now(), warm: false },
  };
  mongoClientMetrics(rt.metrics.registry, () => rt.mongo.revivals);
  redisPrimaryMetrics(rt.metrics.registry, () => ({
    address: rt.redis.primary?.address ?? null,
    changes: rt.redis.primaryChanges,
  }));
  return rt;
}

/**
 * What an instance still holds to write (its open registration marks, so their sessions'
 * copies are packed now and not at the next start; its gathered admin-log entries), written
 * before it stops. A kill loses at most these.
 */
function lastWritesOf(log: Runtime["log"], holders: { flush(): Promise<void> }[]) {
  return async () => {
    for (const holder of holders)
      await holder
        .flush()
        .catch((error: unknown) => log.warn({ err: String(error) }, "a last write on stop failed"));
  };
}

/**
 * One instance's parts, wired but not listening: web-standard only, so it runs under
 * Bun (src/server.ts) and Deno (test/deno) alike; `app.handle(Request)` answers requests.
 */
export function assemble(config: Config) {
  const rt = runtimeOf(config);
  const { log } = rt;
  const bus = createBus(rt);
  const activity = createActivity(rt.mongo.db, bus);
  const settings = createSettings(rt, bus);
  // Each feature's own state, built once and handed to whoever reads it.
  const sessions = createSessionCache(rt.mongo.db, bus, config.ttl.sessionMs);
  // Every change the copies in MongoDB must follow is stamped through this one clock (infra/stamps.ts).
  const stamps = createStamps();
  const directoryCopy = createDirectoryCopy(rt.mongo.db, rt.redis.cmd, stamps);
  const directory = createDirectory(rt.mongo.db, bus, directoryCopy, directoryLookups(rt.metrics.registry));
  const webhooks = createWebhooks({
    db: rt.mongo.db,
    redis: rt.redis.cmd,
    log,
    settings: config.webhooks,
    person: (participantId) => {
      const found = directory.known(participantId);
      return found ? { name: found.name, email: found.email } : null;
    },
  });
  const checkins = createCheckinService(
    rt,
    {
      activity,
      bus,
      lateThresholdMinutes: () => settings.get().lateThresholdMinutes,
      windowDefaults: () => settings.get(),
      moveOnEntry: () => settings.get().moveOnEntry,
      recorded: (entry) =>
        webhooks
          .recorded(entry)
          .catch((err: unknown) => log.warn({ err: String(err) }, "webhook for a scan not queued")),
    },
    { sessions, directory, stamps },
  );
  const registrationMarks = createOpenMarks(
    rt.mongo.db,
    (error) => log.warn({ err: String(error) }, "packing a session's registrations after a burst failed"),
    (sessionId) => checkins.registrationsChanged(sessionId),
  );
  const auditTrail = createAuditTrail(rt.mongo.db);
  const features: Features = { sessions, directory, door: checkins, registrationMarks, webhooks, auditTrail };
  const scheduler = createScheduler(rt, settings, features);
  registerHealthMetrics(rt);
  registerSessionMetrics(rt, checkins);
  const live = createLiveSource(rt, features, activity);
  const hub = createHub(rt, live, bus);
  const signIns = createSignIns(rt.mongo.db, bus);
  const tokens = createTokens(rt.mongo.db, bus);
  const sockets = new Set<{ close(code?: number, reason?: string): void }>();
  const liveSockets = createLiveSockets(hub, bus, sockets);
  const cookies = createSignInCookies(rt);
  const accounts = createAccounts(rt.mongo.db, bus);
  const authParts = { rt, cookies, tokens, accounts, signIns };
  const app = createApp(rt, { ...authParts, features, hub, live, liveSockets, settings, bus });
  const lastWrites = lastWritesOf(log, [registrationMarks, auditTrail]);
  /** Connects, warms the caches, then starts the scheduler; readiness waits for it. */
  const start = () => {
    // Tried until it succeeds, apart from the rest: cookies wait for it (503), nothing else does.
    void signIns.load();
    return (
      rt.mongo
        .start()
        .then(() => settings.start())
        // The door state is built on the primary once adopted (an adoption may drop state).
        .then(() => rt.redis.whenConfirmed(config.redisConnectTimeoutMs))
        .then(() => checkins.warmUp())
        .catch((error: unknown) =>
          log.warn({ err: String(error) }, "warm-up incomplete; caches fill on demand"),
        )
        .finally(() => {
          rt.state.warm = true;
          scheduler.start();
          webhooks.start();
        })
    );
  };
  return {
    rt,
    app,
    hub,
    sockets,
    liveSockets,
    scheduler,
    checkins,
    features,
    tokens,
    start,
    lastWrites,
    /** The auth check for an edge that upgrades sockets itself (Deno). */
    authenticate: (request: Request) => authenticate(authParts, request),
  };
}
