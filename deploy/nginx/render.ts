// Renders the Nginx configuration from one list of backend ports, so scaling
// the cluster is a re-render plus `nginx -t` and a reload. The templates are
// embedded (text imports), so the compiled binary renders it too: `checkin nginx …`.
//
//   checkin nginx --ports 3001,3002 --out /etc/nginx/checkin [--down 3002] \
//     [--mode production --server-name checkin.example.org [--cert-dir DIR]]
//     [--mode local --listen 127.0.0.1:8080] [--access-log FILE]
//     [--limits production|load-test] [--fail-timeout SECONDS] [--status on|off]
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import checkinConf from "./checkin.conf.tmpl" with { type: "text" };
import locationsConf from "./locations.conf.tmpl" with { type: "text" };
import mainConf from "./nginx-main.conf.tmpl" with { type: "text" };
import serverLocal from "./server-local.conf.tmpl" with { type: "text" };
import serverProduction from "./server-production.conf.tmpl" with { type: "text" };
import statusServer from "./status-server.conf.tmpl" with { type: "text" };

export interface NginxOptions {
  ports: number[];
  outDir: string;
  mode: "local" | "production";
  listen?: string;
  serverName?: string;
  certDir?: string;
  accessLog?: string;
  /** Ports kept in the lists but marked down: a rolling deploy takes one out at a time. */
  down?: number[];
  /**
   * Flood ceilings: "production" (per-address rates and connection caps sized for a venue
   * behind one NAT), or "load-test" (none to speak of, for a load generator on one address).
   * By default production for the TLS site and load-test for a local listen.
   */
  limits?: "production" | "load-test";
  /**
   * The loopback status server Prometheus scrapes (127.0.0.1:9145): always for the TLS site,
   * and for a local listen installed as the site (install.sh --listen); not for the clusters
   * of tests and benches, many of which run at once.
   */
  status?: boolean;
  /** Seconds a failing instance is left out of rotation (the seed's 30 s by default). */
  failTimeout?: number;
}

/**
 * The ceilings per client address. A venue's doors and dashboards can share one NAT
 * address, so they stop floods, never a venue: 100 requests/s with a burst of 200 is ten
 * times what 20 doors scanning flat out send, and 500 sockets per address is more
 * dashboards and doors than a venue runs. The fair per-person limit is the application's.
 */
const LIMITS = {
  production: { apiRate: "100r/s", wsRate: "20r/s", apiBurst: 200, wsBurst: 100, conn: 200, wsConn: 500 },
  "load-test": {
    apiRate: "10000r/s",
    wsRate: "10000r/s",
    apiBurst: 10000,
    wsBurst: 10000,
    conn: 10000,
    wsConn: 10000,
  },
} as const;

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template placeholder {{${key}}} has no value`);
    return value;
  });
}

/** The rendered files, by name; pure apart from reading the templates. */
export function renderNginx(options: NginxOptions): Record<string, string> {
  if (options.ports.length === 0) throw new Error("at least one backend port is needed");
  for (const port of options.ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a port: ${port}`);
  }
  const outDir = resolve(options.outDir);
  const local = options.mode === "local";
  const down = new Set(options.down ?? []);
  for (const port of down) {
    if (!options.ports.includes(port))
      throw new Error(`port ${port} is not in the list, so it cannot be down`);
  }
  if (down.size >= options.ports.length) throw new Error("at least one backend must stay up");
  const server = (extra: string) =>
    options.ports
      .map((port) => `    server 127.0.0.1:${port}${down.has(port) ? " down" : extra};`)
      .join("\n");
  const accessLog =
    options.accessLog ?? (local ? join(outDir, "access.log") : "/var/log/nginx/checkin.access.log");
  const serverBlock = local
    ? fill(serverLocal, {
        LISTEN: options.listen ?? "127.0.0.1:8080",
        ACCESS_LOG: accessLog,
        LOCATIONS: join(outDir, "checkin-locations.conf"),
      })
    : fill(serverProduction, {
        SERVER_NAME: options.serverName ?? "checkin.example.org",
        CERT_DIR: options.certDir ?? `/etc/letsencrypt/live/${options.serverName ?? "checkin.example.org"}`,
        ACCESS_LOG: accessLog,
        LOCATIONS: join(outDir, "checkin-locations.conf"),
      });
  const withStatus = options.status ?? !local;
  const limits = LIMITS[options.limits ?? (local ? "load-test" : "production")];
  const failTimeout = options.failTimeout ?? 30;
  if (!Number.isInteger(failTimeout) || failTimeout < 1)
    throw new Error("--fail-timeout must be whole seconds");
  const files: Record<string, string> = {
    "checkin.conf": fill(checkinConf, {
      API_RATE: limits.apiRate,
      WS_RATE: limits.wsRate,
      HTTP_SERVERS: server(` max_fails=3 fail_timeout=${failTimeout}s`),
      WS_SERVERS: server(` max_fails=3 fail_timeout=${failTimeout}s`),
      SERVER_BLOCKS: withStatus ? `${serverBlock.trimEnd()}\n\n${statusServer}` : serverBlock,
    }),
    "checkin-locations.conf": fill(locationsConf, {
      API_BURST: String(limits.apiBurst),
      WS_BURST: String(limits.wsBurst),
      CONN_LIMIT: String(limits.conn),
      WS_CONN_LIMIT: String(limits.wsConn),
    }),
  };
  // A standalone main config: what the local cluster runs, and what `nginx -t` checks in tests.
  files["nginx.conf"] = fill(mainConf, { PREFIX: outDir });
  return files;
}

export function writeNginx(options: NginxOptions): string[] {
  const outDir = resolve(options.outDir);
  mkdirSync(join(outDir, "tmp"), { recursive: true });
  const files = renderNginx(options);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(outDir, name), content);
  return Object.keys(files).map((name) => join(outDir, name));
}

function limitsOf(value: string | undefined): "production" | "load-test" {
  if (value === "production" || value === "load-test") return value;
  throw new Error(`--limits must be production or load-test, not ${value}`);
}

/** `checkin nginx --ports … --out …`: writes the files and prints their paths. */
export function nginxCommand(argv: string[]): void {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = String(argv[i]);
    if (!key.startsWith("--") || argv[i + 1] === undefined)
      throw new Error(`expected --name value, got "${key}"`);
    args.set(key.slice(2), String(argv[i + 1]));
  }
  const list = (name: string) =>
    (args.get(name) ?? "")
      .split(",")
      .filter(Boolean)
      .map((port) => Number(port));
  const out = args.get("out");
  if (!out) throw new Error("--out DIR is required");
  const mode = args.get("mode") ?? "local";
  if (mode !== "local" && mode !== "production")
    throw new Error(`--mode must be local or production, not ${mode}`);
  const written = writeNginx({
    ports: list("ports"),
    down: list("down"),
    outDir: out,
    mode,
    listen: args.get("listen"),
    serverName: args.get("server-name"),
    certDir: args.get("cert-dir"),
    accessLog: args.get("access-log"),
    ...(args.has("limits") ? { limits: limitsOf(args.get("limits")) } : {}),
    ...(args.has("fail-timeout") ? { failTimeout: Number(args.get("fail-timeout")) } : {}),
    ...(args.has("status") ? { status: args.get("status") === "on" } : {}),
  });
  for (const file of written) console.log(file);
}
