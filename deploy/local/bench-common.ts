import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { MongoClient } from "mongodb";
import { createToken } from "../../src/auth/store";

export const ROOT = resolve(import.meta.dir, "../..");

export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of at least 0`);
  return value;
}

/** The compiled binary systemd runs, built from the sources now: what is measured is what ships. */
export function shippedBinary(): string[] {
  const built = Bun.spawnSync(["bun", "run", "build"], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`bun run build failed: ${built.stderr.toString()}`);
  return [join(ROOT, "dist/checkin"), "serve"];
}

/** A throw-away database on the local stack for one benchmark run. */
export async function benchDatabase(prefix: string) {
  const { MONGODB_URI, REDIS_URL } = process.env;
  if (!MONGODB_URI || !REDIS_URL) throw new Error("run through `npm run bench`, which starts the stack");
  const dbName = `${prefix}_${Date.now().toString(36)}`;
  const client = new MongoClient(MONGODB_URI);
  await client.connect();
  const db = client.db(dbName);
  const { token } = await createToken(db, "benchmark", "admin");
  return {
    dbName,
    db,
    /** An admin token's Authorization header for this database. */
    auth: { authorization: `Bearer ${token}` },
    clusterDir: join(ROOT, `.local/${prefix}-cluster`),
    async drop() {
      await db.dropDatabase();
      await client.close();
    },
  };
}

/** Writes one run's figures as JSON under bench/results and returns the file. */
export function writeResult<T extends { date: string }>(name: string, result: T): string {
  const dir = join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${result.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** A port nothing listens on right now, for an instance the benchmark starts. */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}
