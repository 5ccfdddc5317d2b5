import { assemble } from "./assemble";
import { type Config, serverBodyCap } from "./config";
import { startWatchdog } from "./infra/watchdog";
import { assetRoutes } from "./web/assets";

/** Starts one instance (Bun edge): listen at once, connect in the background, drain on SIGTERM/SIGINT. */
export function serve(config: Config): void {
  const { rt, app: core, hub, sockets, scheduler, features, start, lastWrites } = assemble(config);
  const { log } = rt;
  // The embedded files are Bun's (`with { type: "file" }`), so they join the app here, at the edge.
  const app = core.use(assetRoutes()).listen({
    hostname: config.host,
    port: config.port,
    // A body sent without a length is cut off here; app.ts refuses a declared one in words.
    maxRequestBodySize: serverBodyCap(config),
  });
  if (app.server)
    void hub
      .start(app.server)
      .catch((error: unknown) => log.error({ err: String(error) }, "live bus not started"));
  // Warm-up before readiness: data may have been seeded or imported behind the API, and
  // the first scans of the morning should not each pay for a cold cache.
  // The warm-up reads the whole conference once; its garbage is returned at once rather
  // than held until the heap next grows (the builder instance otherwise keeps ~40 MB more).
  void start().then(() => Bun.gc(true));
  const stopWatchdog = startWatchdog(log);
  log.info(
    { host: config.host, port: config.port, version: config.version, lockMode: config.lock.mode },
    "listening",
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopWatchdog();
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
    hub.stop();
    await lastWrites();
    await features.webhooks.stop().catch(() => undefined);
    await Promise.allSettled([rt.redis.close(), rt.mongo.close()]);
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
