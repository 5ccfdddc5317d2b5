// Renders the Nginx configuration from one list of backend ports, so scaling
// the cluster is a re-render plus `nginx -t` and a reload.
//
//   bun deploy/nginx/render.ts --ports 3001,3002 --out /etc/nginx/checkin \
//     [--mode production --server-name checkin.example.org [--cert-dir DIR]]
//     [--mode local --listen 127.0.0.1:8080]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface NginxOptions {
  ports: number[];
  outDir: string;
  mode: "local" | "production";
  listen?: string;
  serverName?: string;
  certDir?: string;
  accessLog?: string;
}

const TEMPLATES = import.meta.dir;

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template placeholder {{${key}}} has no value`);
    return value;
  });
}

function read(name: string): string {
  return readFileSync(join(TEMPLATES, name), "utf8");
}

/** The rendered files, by name; pure apart from reading the templates. */
export function renderNginx(options: NginxOptions): Record<string, string> {
  if (options.ports.length === 0) throw new Error("at least one backend port is needed");
  for (const port of options.ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a port: ${port}`);
  }
  const outDir = resolve(options.outDir);
  const local = options.mode === "local";
  const server = (extra: string) =>
    options.ports.map((port) => `    server 127.0.0.1:${port}${extra};`).join("\n");
  const accessLog =
    options.accessLog ?? (local ? join(outDir, "access.log") : "/var/log/nginx/checkin.access.log");
  const serverBlock = local
    ? fill(read("server-local.conf.tmpl"), {
        LISTEN: options.listen ?? "127.0.0.1:8080",
        ACCESS_LOG: accessLog,
        LOCATIONS: join(outDir, "checkin-locations.conf"),
      })
    : fill(read("server-production.conf.tmpl"), {
        SERVER_NAME: options.serverName ?? "checkin.example.org",
        CERT_DIR: options.certDir ?? `/etc/letsencrypt/live/${options.serverName ?? "checkin.example.org"}`,
        ACCESS_LOG: accessLog,
        LOCATIONS: join(outDir, "checkin-locations.conf"),
      });
  const files: Record<string, string> = {
    "checkin.conf": fill(read("checkin.conf.tmpl"), {
      // Local load tests come from one address; production keeps a flood ceiling per IP.
      API_RATE: local ? "10000r/s" : "100r/s",
      WS_RATE: local ? "10000r/s" : "20r/s",
      HTTP_SERVERS: server(" max_fails=3 fail_timeout=10s"),
      WS_SERVERS: server(" max_fails=3 fail_timeout=10s"),
      SERVER_BLOCKS: serverBlock,
    }),
    "checkin-locations.conf": fill(read("locations.conf.tmpl"), {
      API_BURST: local ? "10000" : "200",
      WS_BURST: local ? "10000" : "100",
      CONN_LIMIT: local ? "10000" : "200",
    }),
  };
  // A standalone main config: what the local cluster runs, and what `nginx -t` checks in tests.
  files["nginx.conf"] = fill(read("nginx-main.conf.tmpl"), { PREFIX: outDir });
  return files;
}

export function writeNginx(options: NginxOptions): string[] {
  const outDir = resolve(options.outDir);
  mkdirSync(join(outDir, "tmp"), { recursive: true });
  const files = renderNginx(options);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(outDir, name), content);
  return Object.keys(files).map((name) => join(outDir, name));
}

if (import.meta.main) {
  const args = new Map<string, string>();
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2)
    args.set(String(argv[i]).replace(/^--/, ""), String(argv[i + 1] ?? ""));
  const ports = (args.get("ports") ?? "").split(",").filter(Boolean).map(Number);
  const mode = args.get("mode") === "production" ? "production" : "local";
  const written = writeNginx({
    ports,
    outDir: args.get("out") ?? ".local/nginx",
    mode,
    listen: args.get("listen"),
    serverName: args.get("server-name"),
    certDir: args.get("cert-dir"),
  });
  for (const file of written) console.log(file);
}
