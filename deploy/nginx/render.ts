// Renders the Nginx configuration from one list of backend ports, so scaling
// the cluster is a re-render plus `nginx -t` and a reload. The templates are
// embedded (text imports), so the compiled binary renders it too: `checkin nginx …`.
//
//   checkin nginx --ports 3001,3002 --out /etc/nginx/checkin [--down 3002] \
//     [--mode production --server-name checkin.example.org [--cert-dir DIR]]
//     [--mode local --listen 127.0.0.1:8080] [--access-log FILE]
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import checkinConf from "./checkin.conf.tmpl" with { type: "text" };
import locationsConf from "./locations.conf.tmpl" with { type: "text" };
import mainConf from "./nginx-main.conf.tmpl" with { type: "text" };
import serverLocal from "./server-local.conf.tmpl" with { type: "text" };
import serverProduction from "./server-production.conf.tmpl" with { type: "text" };

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
}

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
  const files: Record<string, string> = {
    "checkin.conf": fill(checkinConf, {
      // Local load tests come from one address; production keeps a flood ceiling per IP.
      API_RATE: local ? "10000r/s" : "100r/s",
      WS_RATE: local ? "10000r/s" : "20r/s",
      HTTP_SERVERS: server(" max_fails=3 fail_timeout=10s"),
      WS_SERVERS: server(" max_fails=3 fail_timeout=10s"),
      SERVER_BLOCKS: serverBlock,
    }),
    "checkin-locations.conf": fill(locationsConf, {
      API_BURST: local ? "10000" : "200",
      WS_BURST: local ? "10000" : "100",
      CONN_LIMIT: local ? "10000" : "200",
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
  });
  for (const file of written) console.log(file);
}
