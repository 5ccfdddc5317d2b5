// Local cluster: N instances of the server on consecutive ports plus Nginx in
// front, all children of this process. Used by `npm start`, the tests and the
// benchmarks, so all three run the same topology as production.
//
//   bun deploy/local/cluster.ts      (INSTANCES, BASE_PORT, NGINX_PORT from the environment)
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { writeNginx } from "../nginx/render";

const ROOT = resolve(import.meta.dir, "../..");

export interface ClusterOptions {
  ports: number[];
  nginxPort: number;
  /** Folder for logs and the rendered Nginx configuration. */
  dir: string;
  /** Environment for every instance; PORT and INSTANCE_ID are set per instance. */
  env: Record<string, string | undefined>;
  /** The command that runs one instance; defaults to the sources under Bun. */
  command?: string[];
  /** Per instance (by its place in `ports`), a command other than `command` (a mixed Bun and Deno cluster). */
  commandFor?: (index: number) => string[] | undefined;
  readyTimeoutMs?: number;
}

export interface Instance {
  port: number;
  id: string;
  url: string;
  proc: Subprocess;
}

export interface Cluster {
  url: string;
  instances: Instance[];
  nginx: Subprocess;
  startInstance(port: number): Promise<Instance>;
  stop(): Promise<void>;
}

/** Polls a health path until it answers 200; fails early when the process has exited. */
export async function waitHealthy(
  url: string,
  timeoutMs: number,
  proc?: Subprocess,
  path = "ready",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (proc?.exitCode !== null && proc?.exitCode !== undefined) {
      throw new Error(`${url}: process exited with code ${proc.exitCode} before it was ${path}`);
    }
    try {
      const response = await fetch(`${url}/api/v1/health/${path}`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await Bun.sleep(100);
  }
  throw new Error(`${url} not ${path} within ${timeoutMs} ms: ${last}`);
}

export interface SpawnOptions {
  port: number;
  env: Record<string, string | undefined>;
  logDir: string;
  command?: string[];
  /** Working directory (the sources' root by default). */
  cwd?: string;
  /** "ready" waits for MongoDB and Redis too; "live" only for the process to answer. */
  waitFor?: "ready" | "live";
  timeoutMs?: number;
}

/**
 * The engine's heap sized for an instance rather than for the whole machine, as the systemd
 * unit sets it: the heap then grows by smaller steps (RSS under load 146 → 133 MB on the 10×
 * conference). A sizing hint, not a limit.
 */
const HEAP_SIZING = { BUN_JSC_forceRAMSize: "100000000" };

/** An instance under Deno, as `npm run serve:deno` starts it (same environment, same core). */
export const DENO_COMMAND = [
  join(ROOT, "node_modules/.bin/deno"),
  "run",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-sys",
  "--unstable-sloppy-imports",
  join(ROOT, "src/deno.ts"),
];

/** Starts one server process with PORT and INSTANCE_ID derived from the port, as systemd's checkin@PORT does. */
export async function spawnInstance(options: SpawnOptions): Promise<Instance> {
  const id = `instance-${options.port}`;
  mkdirSync(options.logDir, { recursive: true });
  const out = openSync(join(options.logDir, `${id}.log`), "a");
  const proc = Bun.spawn(options.command ?? [process.execPath, join(ROOT, "src/main.ts"), "serve"], {
    cwd: options.cwd ?? ROOT,
    env: { ...HEAP_SIZING, ...options.env, PORT: String(options.port), INSTANCE_ID: id },
    stdout: out,
    stderr: out,
  });
  const instance = { port: options.port, id, url: `http://127.0.0.1:${options.port}`, proc };
  try {
    await waitHealthy(instance.url, options.timeoutMs ?? 60_000, proc, options.waitFor ?? "ready");
  } catch (error) {
    await stopProcess(proc, "SIGKILL");
    throw error;
  }
  return instance;
}

export async function stopProcess(proc: Subprocess, signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000) {
  if (proc.exitCode !== null) return;
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  await proc.exited;
  clearTimeout(timer);
}

/** The local cluster's cookie secret: random, made once, kept under .local/ (never a constant in the code). */
export function localJwtSecret(): string {
  const file = join(ROOT, ".local/jwt-secret");
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const secret = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) =>
      b.toString(16).padStart(2, "0"),
    ).join("");
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = resolve(options.dir);
  const env = { JWT_SECRET: localJwtSecret(), ...options.env };
  const logs = join(dir, "logs");
  mkdirSync(logs, { recursive: true });
  const timeout = options.readyTimeoutMs ?? 60_000;
  const { ports } = options;

  const instances: Instance[] = [];
  const startInstance = async (port: number): Promise<Instance> => {
    const instance = await spawnInstance({
      port,
      env,
      logDir: logs,
      command: options.commandFor?.(ports.indexOf(port)) ?? options.command,
      timeoutMs: timeout,
    });
    const existing = instances.findIndex((candidate) => candidate.port === port);
    if (existing >= 0) instances[existing] = instance;
    else instances.push(instance);
    return instance;
  };

  try {
    await Promise.all(ports.map(startInstance));
  } catch (error) {
    await Promise.all(instances.map((instance) => stopProcess(instance.proc)));
    throw error;
  }

  const nginxDir = join(dir, "nginx");
  writeNginx({ ports, outDir: nginxDir, mode: "local", listen: `127.0.0.1:${options.nginxPort}` });
  const nginxLog = openSync(join(logs, "nginx.log"), "a");
  let nginx: ReturnType<typeof Bun.spawn>;
  try {
    nginx = Bun.spawn(["nginx", "-p", nginxDir, "-c", join(nginxDir, "nginx.conf"), "-g", "daemon off;"], {
      stdout: nginxLog,
      stderr: nginxLog,
    });
  } catch (error) {
    // No Nginx on PATH (run through `npm run bench`, which installs it): no instance left behind.
    await Promise.all(instances.map((instance) => stopProcess(instance.proc)));
    throw error;
  }
  const url = `http://127.0.0.1:${options.nginxPort}`;
  try {
    await waitHealthy(url, 15_000, nginx);
  } catch (error) {
    await Promise.all([
      ...instances.map((instance) => stopProcess(instance.proc)),
      stopProcess(nginx, "SIGQUIT"),
    ]);
    throw error;
  }

  return {
    url,
    instances,
    nginx,
    startInstance,
    async stop() {
      await Promise.all(instances.map((instance) => stopProcess(instance.proc)));
      await stopProcess(nginx, "SIGQUIT");
    },
  };
}

function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

if (import.meta.main) {
  const basePort = envInt("BASE_PORT", 3001);
  const cluster = await startCluster({
    ports: Array.from({ length: envInt("INSTANCES", 2) }, (_, i) => basePort + i),
    nginxPort: envInt("NGINX_PORT", 8080),
    dir: process.env.CLUSTER_DIR ?? join(ROOT, ".local/cluster"),
    env: process.env,
  });
  console.log(
    `cluster: ${cluster.instances.map((i) => `${i.id} on :${i.port}`).join(", ")}; logs in .local/cluster/logs`,
  );
  console.log(`URL: ${cluster.url}/`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("cluster: stopping");
    await cluster.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  // An instance that dies on its own is a failure the operator must see, not a silent gap.
  for (const instance of cluster.instances) {
    void instance.proc.exited.then((code) => {
      if (!stopping) console.error(`cluster: ${instance.id} exited with code ${code}; see its log`);
    });
  }
}
