// One instance under Deno (`npm run serve:deno`), the same core as the Bun edge
// (src/server.ts): the app answers every request through app.handle(Request); this edge
// only listens, serves the assets from the checkout and drains on SIGTERM/SIGINT.
// Permissions it needs: --allow-net (listen, MongoDB, Redis), --allow-env (settings),
// --allow-read (the assets and package files), --allow-sys (memory and load for health
// and metrics). The live dashboards' WebSocket is upgraded here (Deno.upgradeWebSocket)
// and served by the same socket sessions as Bun's (live/sockets.ts); the hub publishes to
// this edge's own topics, fed like every instance from the Redis bus.
import { assemble } from "./assemble.ts";
import { loadConfig } from "./config.ts";
import { createTopics, type LiveSocket } from "./live/sockets.ts";
import {
  ASSET_SOURCES,
  type AssetName,
  assetType,
  MANIFEST,
  SERVICE_WORKER_SOURCE,
} from "./web/asset-list.ts";
import { localeOf } from "./web/reader.ts";

declare const Deno: {
  env: { toObject(): Record<string, string> };
  readFile(path: string | URL): Promise<Uint8Array<ArrayBuffer>>;
  upgradeWebSocket(request: Request): { socket: WebSocket; response: Response };
  serve(
    options: { hostname: string; port: number; signal: AbortSignal; onListen?: () => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { finished: Promise<void> };
  addSignalListener(signal: "SIGTERM" | "SIGINT", handler: () => void): void;
  exit(code: number): never;
};

const root = new URL("../", import.meta.url);
/** Where an asset's file is: public/ in the checkout, or the package's file. */
const sourceOf = (source: string): URL =>
  source.startsWith("public/") ? new URL(source, root) : new URL(`node_modules/${source}`, root);

async function file(source: string, type: string, cache: string): Promise<Response> {
  return new Response(await Deno.readFile(sourceOf(source)), {
    headers: { "content-type": type, "cache-control": cache },
  });
}

const config = loadConfig(
  Deno.env.toObject(),
  `${JSON.parse(new TextDecoder().decode(await Deno.readFile(new URL("package.json", root)))).version}+deno`,
);
const { rt, app, scheduler, features, start, hub, liveSockets, sockets, authenticate, lastWrites } =
  assemble(config);
const { log } = rt;
const topics = createTopics();
void hub.start(topics).catch((error: unknown) => log.error({ err: String(error) }, "live bus not started"));

/** A dashboard's socket: the same check as any request, then Deno's own upgrade. */
async function dashboardSocket(request: Request): Promise<Response> {
  const who = await authenticate(request);
  if (who instanceof Response) return who;
  const wanted = new URL(request.url).searchParams.get("topics") ?? "";
  if (wanted.length === 0 || wanted.length > 200)
    return Response.json(
      { status: "error", statusCode: 400, message: "topics: overview or session:<id>" },
      { status: 400 },
    );
  const locale = localeOf(request);
  const { socket, response } = Deno.upgradeWebSocket(request);
  const live: LiveSocket = {
    id: crypto.randomUUID(),
    send: (data) => socket.send(data),
    close: (code, reason) => socket.close(code, reason),
    subscribe: (name) => topics.subscribe(name, socket),
  };
  socket.onopen = () =>
    void liveSockets
      .open(live, wanted, { ...who, locale })
      .catch((error: unknown) => log.warn({ err: String(error) }, "dashboard socket not opened"));
  socket.onclose = () => {
    topics.drop(socket);
    liveSockets.closed(live);
  };
  return response;
}

async function answer(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path === "/ws" && request.headers.get("upgrade")?.toLowerCase() === "websocket")
    return dashboardSocket(request);
  if (request.method === "GET" && path.startsWith("/assets/")) {
    const name = path.slice("/assets/".length) as AssetName;
    const source = ASSET_SOURCES[name];
    if (source) return file(source, assetType(name), "public, max-age=300");
  }
  if (request.method === "GET" && path === "/sw.js")
    return file(SERVICE_WORKER_SOURCE, assetType("sw.js"), "no-cache");
  if (request.method === "GET" && path === "/manifest.webmanifest")
    return new Response(MANIFEST, {
      headers: { "content-type": "application/manifest+json", "cache-control": "public, max-age=300" },
    });
  return app.handle(request);
}

const stop = new AbortController();
const server = Deno.serve({ hostname: config.host, port: config.port, signal: stop.signal }, answer);
void start();
log.info({ host: config.host, port: config.port, version: config.version, runtime: "deno" }, "listening");

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  rt.state.draining = true;
  log.info({ signal }, "draining");
  // 1001 "going away": dashboards reconnect, through Nginx, to another instance.
  for (const socket of sockets) socket.close(1001, "server restarting");
  stop.abort();
  const drained = server.finished.then(() => true);
  const timedOut = new Promise<false>((resolve) =>
    setTimeout(() => resolve(false), config.shutdownTimeoutMs),
  );
  if (!(await Promise.race([drained, timedOut])))
    log.warn({ timeoutMs: config.shutdownTimeoutMs }, "drain bound reached");
  await scheduler.stop();
  hub.stop();
  await lastWrites();
  await features.webhooks.stop().catch(() => undefined);
  await Promise.allSettled([rt.redis.close(), rt.mongo.close()]);
  log.info("stopped");
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", () => void shutdown("SIGTERM"));
Deno.addSignalListener("SIGINT", () => void shutdown("SIGINT"));
