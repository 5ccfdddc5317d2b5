import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Instance, spawnInstance, stopProcess } from "../../../deploy/local/cluster";
import { freePort, instanceEnv, ROOT, TEST_LOGS } from "../../helpers/env";
import { dropDatabase, openDb, tokenHeaders } from "../../helpers/fixtures";

// The one compiled binary, started from a folder that holds nothing else.

const dir = mkdtempSync(join(tmpdir(), "checkin-binary-"));
const binary = join(dir, "checkin");
let instance: Instance;
const env = instanceEnv("binary");
let auth: Record<string, string>;

beforeAll(async () => {
  const { client, db } = await openDb(String(env.MONGODB_DB));
  auth = await tokenHeaders(db, "scanner");
  await client.close();
  const build = Bun.spawnSync(
    [
      process.execPath,
      "build",
      "--compile",
      "--minify",
      "--no-compile-autoload-dotenv",
      "--no-compile-autoload-bunfig",
      "src/main.ts",
      "--outfile",
      binary,
    ],
    { cwd: ROOT },
  );
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
  instance = await spawnInstance({
    port: await freePort(),
    logDir: TEST_LOGS,
    env,
    command: [binary, "serve"],
    cwd: dir,
  });
});

afterAll(async () => {
  await stopProcess(instance.proc);
  rmSync(dir, { recursive: true, force: true });
  await dropDatabase(env);
});

test("prints its version and usage", () => {
  const version = Bun.spawnSync([binary, "--version"], { cwd: dir });
  expect(version.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  const unknown = Bun.spawnSync([binary, "frobnicate"], { cwd: dir });
  expect(unknown.exitCode).toBe(64);
  expect(unknown.stderr.toString()).toContain("usage: checkin");
  expect(statSync(binary).size).toBeGreaterThan(1_000_000);
});

test("serves pages and embedded assets from any folder", async () => {
  for (const path of [
    "/assets/htmx.min.js",
    "/assets/hx-ws.js",
    "/assets/app.css",
    "/assets/scanner.js",
    "/assets/jsQR.js",
    "/scan",
  ]) {
    const response = await fetch(`${instance.url}${path}`, { headers: auth });
    expect(`${path} ${response.status}`).toBe(`${path} 200`);
    expect((await response.text()).length).toBeGreaterThan(100);
  }
});

test("migrate and healthcheck answer with exit codes", async () => {
  const migrate = Bun.spawnSync([binary, "migrate"], { cwd: dir, env });
  expect(migrate.exitCode).toBe(0);
  expect(migrate.stdout.toString()).toContain("indexes present");
  // After check-ins were changed by hand: no copy packed before is used again.
  const forget = Bun.spawnSync([binary, "forget-copies"], { cwd: dir, env });
  expect(forget.stdout.toString()).toContain("directory copies of");
  expect(forget.exitCode).toBe(0);
  const { client, db } = await openDb(String(env.MONGODB_DB));
  const epoch = await db.collection("door_copy_heads").findOne({ _id: "epoch" as never });
  await client.close();
  expect(String(epoch?.value)).toMatch(/^[0-9a-f]{24}$/);
  const healthy = Bun.spawnSync([binary, "healthcheck"], {
    cwd: dir,
    env: { ...env, PORT: String(instance.port) },
  });
  expect(healthy.exitCode).toBe(0);
  const nobody = Bun.spawnSync([binary, "healthcheck"], {
    cwd: dir,
    env: { ...env, PORT: String(await freePort()) },
  });
  expect(nobody.exitCode).toBe(1);
  expect(nobody.stderr.toString()).toContain("not answering");
  const badConfig = Bun.spawnSync([binary, "serve"], {
    cwd: dir,
    env: { ...env, DISTRIBUTED_LOCK_MODE: "maybe" },
  });
  expect(badConfig.exitCode).toBe(78);
  expect(badConfig.stderr.toString().trim()).toBe(
    'configuration error: DISTRIBUTED_LOCK_MODE: expected one of strict, degraded, got "maybe"',
  );
});
