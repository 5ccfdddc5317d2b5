import { afterAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import { freePort } from "../../helpers/env";

// The local stack from a checkout other users cannot enter (a clone under /root, any
// folder of mode 700): PostgreSQL's own user must still reach its data, the user's
// folders keep their permissions, and a start that fails half-way stops what it started.

const ROOT = join(import.meta.dir, "../../..");
const base = mkdtempSync("/tmp/checkin-private-");
chmodSync(base, 0o700);
const checkout = join(base, "checkout");
mkdirSync(join(checkout, "deploy/local"), { recursive: true });
for (const part of ["lib.sh", "stack.sh", "sql"])
  cpSync(join(ROOT, "deploy/local", part), join(checkout, "deploy/local", part), { recursive: true });
// The tools (FerretDB built once) are shared; everything else is this checkout's own.
mkdirSync(join(checkout, ".local"), { recursive: true });
symlinkSync(join(ROOT, ".local/tools"), join(checkout, ".local/tools"));
const pgHome = `/var/lib/checkin-stack/${createHash("sha256").update(checkout).digest("hex").slice(0, 12)}`;

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
  rmSync(pgHome, { recursive: true, force: true });
});

async function stack(command: string, ports: Record<string, number>) {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  delete env.REDIS_URL;
  delete env.MONGODB_URI;
  const proc = Bun.spawn(["bash", join(checkout, "deploy/local/stack.sh"), command], {
    env: {
      ...env,
      STACK_REDIS_PORT: String(ports.redis),
      STACK_PG_PORT: String(ports.pg),
      STACK_MONGO_PORT: String(ports.mongo),
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { out, err, code };
}

const listening = async (port: number) => {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
};

test("from a mode-700 folder: the stack starts, answers, stops; the folder stays 700", async () => {
  const ports = { redis: await freePort(), pg: await freePort(), mongo: await freePort() };
  const started = await stack("start", ports);
  expect(started.err).not.toContain("error");
  expect(started.code).toBe(0);
  expect(started.out).toContain(`MONGODB_URI=mongodb://127.0.0.1:${ports.mongo}/checkin`);
  const client = new MongoClient(`mongodb://127.0.0.1:${ports.mongo}/`, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  await client.db("firstrun").collection("probe").insertOne({ ok: 1 });
  expect(await client.db("firstrun").collection("probe").countDocuments()).toBe(1);
  await client.close();
  expect(statSync(base).mode & 0o777).toBe(0o700);
  // As root, PostgreSQL's user could not enter the checkout: its data lives in a folder of its own.
  if (process.getuid?.() === 0) expect(existsSync(join(pgHome, "pg/PG_VERSION"))).toBe(true);
  expect((await stack("stop", ports)).code).toBe(0);
  expect(await listening(ports.redis)).toBe(false);
  expect(await listening(ports.mongo)).toBe(false);
}, 180_000);

test("a start that fails half-way stops what it had started", async () => {
  // PostgreSQL cannot have its port: Redis was started first and must not be left running.
  const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const ports = { redis: await freePort(), pg: taken.port, mongo: await freePort() };
  const failed = await stack("start", ports);
  taken.stop(true);
  expect(failed.code).not.toBe(0);
  expect(failed.err).toContain("PostgreSQL did not start");
  expect(failed.err).toContain("stopped what it had started (redis");
  expect(await listening(ports.redis)).toBe(false);
}, 180_000);
