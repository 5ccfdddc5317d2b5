import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, instanceEnv, ROOT } from "../helpers/env";
import { openDb } from "../helpers/fixtures";
import { buildRoot, Sandbox } from "../helpers/sandbox";

// The operations scripts for real: a systemd (PID 1 of its own namespaces, over a Debian
// root from debootstrap) runs checkin@PORT units from systemd/ behind the root's Nginx,
// installed and driven by deploy/*.sh. The units' hardening runs unrelaxed here (see
// test/helpers/sandbox.ts). Redis and MongoDB are the host's stack, over loopback.

const BASE = 3301;
const RELEASE = "/opt/checkin-release";
const env = instanceEnv("systemd");
const work = join(ROOT, ".local/e2e");
let sandbox: Sandbox;
let front: string;
let token: string;

function compile(label: string): string {
  const out = join(work, `checkin-${label}`);
  const result = Bun.spawnSync(
    [
      process.execPath,
      "build",
      "--compile",
      "--minify",
      `--define=CHECKIN_BUILD="${label}"`,
      join(ROOT, "src/main.ts"),
      "--outfile",
      out,
    ],
    { cwd: ROOT },
  );
  if (result.exitCode !== 0) throw new Error(`bun build failed: ${result.stderr}`);
  return out;
}

const script = (name: string, ...args: string[]) =>
  sandbox.exec(["bash", `${RELEASE}/deploy/${name}`, ...args]);
/** A script while a stream of requests runs: the stream goes on during it, not only after. */
const scriptLive = (name: string, ...args: string[]) =>
  sandbox.execLive(["bash", `${RELEASE}/deploy/${name}`, ...args]);

beforeAll(async () => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const root = buildRoot((line) => console.log(`systemd e2e: ${line}`));
  const release = join(root, RELEASE.slice(1));
  rmSync(release, { recursive: true, force: true });
  cpSync(join(ROOT, "deploy"), join(release, "deploy"), {
    recursive: true,
    filter: (p) => !p.includes("/local"),
  });
  cpSync(join(ROOT, "systemd"), join(release, "systemd"), { recursive: true });
  for (const label of ["e2e-a", "e2e-b"]) cpSync(compile(label), join(release, `checkin-${label}`));
  // A build that prints its version but never serves: what a broken release looks like.
  writeFileSync(
    join(release, "checkin-broken"),
    '#!/bin/sh\nif [ "$1" = --version ]; then echo 0.0.0-broken; exit 0; fi\necho "broken build" >&2\nexit 3\n',
  );
  chmodSync(join(release, "checkin-broken"), 0o755);
  // Left from an earlier run: a fresh install each time.
  for (const path of ["etc/checkin", "opt/checkin", "etc/nginx/checkin", "etc/nginx/conf.d/checkin.conf"]) {
    rmSync(join(root, path), { recursive: true, force: true });
  }
  mkdirSync(join(root, "etc/checkin"), { recursive: true, mode: 0o750 });
  writeFileSync(
    join(root, "etc/checkin/checkin.env"),
    [
      `MONGODB_URI=${env.MONGODB_URI}`,
      `MONGODB_DB=${env.MONGODB_DB}`,
      `REDIS_URL=${env.REDIS_URL}`,
      `JWT_SECRET=${"e2e-secret-".repeat(6)}`,
      "NODE_ENV=production",
      "LOG_LEVEL=warn",
      "THROTTLE_LIMIT=1000000",
      "SHUTDOWN_TIMEOUT_MS=5000",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  front = `http://127.0.0.1:${await freePort()}`;
  sandbox = new Sandbox(root);
  await sandbox.start();
  const created = Bun.spawnSync(
    [join(release, "checkin-e2e-a"), "create-token", "--name", "e2e stream", "--role", "viewer"],
    { env: env as Record<string, string> },
  );
  token = created.stdout.toString().trim();
  expect(token).toStartWith("ck_");
}, 600_000);

afterAll(async () => {
  await sandbox?.stop();
  const { client, db } = await openDb(String(env.MONGODB_DB));
  await db.dropDatabase();
  await client.close();
});

/** GETs through Nginx from `workers` loops until stopped: every answer that is not 200 is a failure. */
function stream(workers = 4) {
  let running = true;
  const seen = { ok: 0, failed: [] as string[], instances: new Set<string>() };
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const response = await fetch(`${front}/api/v1/sessions`, {
          headers: { authorization: `Bearer ${token}` },
        });
        await response.arrayBuffer();
        if (response.status === 200) {
          seen.ok++;
          seen.instances.add(response.headers.get("x-instance-id") ?? "?");
        } else seen.failed.push(String(response.status));
      } catch (error) {
        seen.failed.push(String(error));
      }
    }
  });
  return {
    seen,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return seen;
    },
  };
}

const version = (port: number) =>
  fetch(`http://127.0.0.1:${port}/api/v1/health`)
    .then((r) => r.json() as Promise<{ version: string }>)
    .then((h) => h.version);

test("install: two hardened instances under systemd behind Nginx", async () => {
  const install = script(
    "install.sh",
    "--binary",
    `${RELEASE}/checkin-e2e-a`,
    "--ports",
    `${BASE},${BASE + 1}`,
    "--listen",
    front.replace("http://", ""),
    // The stream below is a load generator on one address.
    "--limits",
    "load-test",
    "--start",
  );
  expect(`${install.code} ${install.err}`).not.toContain("error");
  expect(install.code).toBe(0);
  expect(sandbox.run(["systemctl", "is-active", `checkin@${BASE}`, `checkin@${BASE + 1}`]).trim()).toBe(
    "active\nactive",
  );
  expect(sandbox.run(["stat", "-c", "%a %U", "/etc/checkin/checkin.env"]).trim()).toBe("600 root");
  expect(sandbox.run(["systemctl", "show", "-P", "User", `checkin@${BASE}`]).trim()).toBe("checkin");
  // The hardening is in force, not merely written down.
  const pid = sandbox.run(["systemctl", "show", "-P", "MainPID", `checkin@${BASE}`]).trim();
  const status = sandbox.run(["cat", `/proc/${pid}/status`]);
  expect(status).toMatch(/NoNewPrivs:\s+1/);
  expect(status).toMatch(/Seccomp:\s+2/);
  expect(status).toMatch(/CapEff:\s+0+\n/);
  expect(sandbox.exec(["nsenter", "-t", pid, "-m", "-r", "touch", "/opt/checkin/x"]).err).toContain(
    "Read-only file system",
  );
  expect((await fetch(`${front}/api/v1/health/ready`)).status).toBe(200);
  expect(sandbox.run(["grep", "worker_connections", "/etc/nginx/nginx.conf"])).toContain(
    "worker_connections 4096;",
  );
  const health = script("health.sh");
  expect(health.code).toBe(0);
  expect(health.out).toContain("health: all well");
  // Running it again changes nothing and still succeeds; a new build is deploy.sh's work.
  expect(script("install.sh", "--binary", `${RELEASE}/checkin-e2e-a`).code).toBe(0);
  const sneaky = script("install.sh", "--binary", `${RELEASE}/checkin-e2e-b`);
  expect(sneaky.code).toBe(1);
  expect(sneaky.err).toContain("deploy/deploy.sh");
}, 120_000);

test("the backup timer is set, its run writes private files, and the drill restores one into a fresh database", async () => {
  const { client, db } = await openDb(String(env.MONGODB_DB));
  const now = Date.now();
  await db.collection("sessions").insertMany(
    [1, 2, 3].map((i) => ({
      name: `Drill session ${i}`,
      startTime: new Date(now + i * 3600_000),
      endTime: new Date(now + (i + 1) * 3600_000),
      status: "scheduled",
      capacity: 10,
      capacityEnforced: true,
      requiresRegistration: false,
      createdAt: new Date(),
      updatedAt: new Date(),
    })),
  );
  expect(sandbox.run(["systemctl", "is-enabled", "checkin-backup.timer"]).trim()).toBe("enabled");
  expect(sandbox.run(["systemctl", "show", "-P", "TimersCalendar", "checkin-backup.timer"])).toContain(
    "02:00:00",
  );
  // What the timer starts at 02:00, started now.
  const ran = sandbox.exec(["systemctl", "start", "checkin-backup.service"]);
  expect(`${ran.code} ${ran.err}`).toBe("0 ");
  const files = sandbox.run(["ls", "/var/backups/checkin"]).trim().split("\n");
  const archive = files.find((f) => f.endsWith(".ndjson.gz"));
  const config = files.find((f) => f.startsWith("checkin-config-"));
  expect(archive).toBeDefined();
  expect(config).toBeDefined();
  for (const file of [archive, config])
    expect(sandbox.run(["stat", "-c", "%a", `/var/backups/checkin/${file}`]).trim()).toBe("600");
  expect(sandbox.run(["tar", "-tzf", `/var/backups/checkin/${config}`])).toContain("etc/checkin/checkin.env");
  // The drill: that backup into a fresh database, then the same counts.
  const drillDb = `${env.MONGODB_DB}_drill`;
  const restore = Bun.spawnSync(
    [join(work, "checkin-e2e-a"), "import", join(sandbox.root, "var/backups/checkin", String(archive))],
    { env: { ...(env as Record<string, string>), MONGODB_DB: drillDb } },
  );
  expect(`${restore.exitCode} ${restore.stderr.toString().slice(-300)}`).toStartWith("0");
  const drill = client.db(drillDb);
  for (const name of ["sessions", "participants", "registrations", "checkins"])
    expect({ name, count: await drill.collection(name).countDocuments() }).toEqual({
      name,
      count: await db.collection(name).countDocuments(),
    });
  expect(await drill.collection("sessions").countDocuments()).toBeGreaterThanOrEqual(3);
  await drill.dropDatabase();
  await client.close();
}, 120_000);

test("scale up to 3: the new instance is ready before Nginx sends it traffic", async () => {
  const scaled = script("scale.sh", "up", "3");
  expect(`${scaled.code} ${scaled.err.replace(/Created symlink .*\n/g, "")}`).toBe("0 ");
  expect(sandbox.run(["cat", "/etc/checkin/ports"]).trim()).toBe(`${BASE} ${BASE + 1} ${BASE + 2}`);
  // Prometheus scrapes every running instance: the new one is in its target file.
  expect(sandbox.run(["cat", "/etc/checkin/prometheus-targets.json"])).toContain(`127.0.0.1:${BASE + 2}`);
  const load = stream();
  await Bun.sleep(1500);
  const seen = await load.stop();
  expect(seen.failed).toEqual([]);
  expect([...seen.instances].sort()).toEqual([
    `checkin-${BASE}`,
    `checkin-${BASE + 1}`,
    `checkin-${BASE + 2}`,
  ]);
}, 120_000);

test("rolling deploy of a new build under a steady stream: zero failed requests", async () => {
  const load = stream();
  await Bun.sleep(500);
  const deploy = await scriptLive("deploy.sh", "--binary", `${RELEASE}/checkin-e2e-b`);
  await Bun.sleep(500);
  const seen = await load.stop();
  expect(deploy.code).toBe(0);
  expect(seen.failed).toEqual([]);
  expect(seen.ok).toBeGreaterThan(100);
  for (const port of [BASE, BASE + 1, BASE + 2]) expect(await version(port)).toBe("0.1.0+e2e-b");
  const status = script("status.sh");
  expect(status.out).toContain("previous: 0.1.0+e2e-a");
  console.log(`systemd e2e: rolling deploy served ${seen.ok} requests, 0 failed`);
}, 300_000);

test("a broken build is rolled back by itself, and the stream never notices", async () => {
  const load = stream();
  const deploy = await scriptLive("deploy.sh", "--binary", `${RELEASE}/checkin-broken`, "--timeout", "8");
  const seen = await load.stop();
  expect(deploy.code).toBe(1);
  expect(deploy.err).toContain("rolling back");
  expect(seen.failed).toEqual([]);
  for (const port of [BASE, BASE + 1, BASE + 2]) expect(await version(port)).toBe("0.1.0+e2e-b");
  expect(sandbox.run(["/opt/checkin/bin/checkin", "--version"]).trim()).toBe("0.1.0+e2e-b");
  expect(sandbox.run(["/opt/checkin/bin/checkin.failed", "--version"]).trim()).toBe("0.0.0-broken");
  expect(script("health.sh").code).toBe(0);
}, 300_000);

test("rollback: to the build before, to a named kept one, under a steady stream with zero failed requests", async () => {
  const ports = [BASE, BASE + 1, BASE + 2];
  const load = stream();
  await Bun.sleep(300);
  const back = await scriptLive("rollback.sh");
  expect(`${back.code} ${back.err}`).toBe("0 ");
  for (const port of ports) expect(await version(port)).toBe("0.1.0+e2e-a");
  expect(script("status.sh").out).toContain("previous: 0.1.0+e2e-b");
  const named = await scriptLive("rollback.sh", "0.1.0+e2e-b");
  expect(named.code).toBe(0);
  for (const port of ports) expect(await version(port)).toBe("0.1.0+e2e-b");
  const seen = await load.stop();
  expect(seen.failed).toEqual([]);
  expect(seen.ok).toBeGreaterThan(50);
  expect(script("rollback.sh", "--list").out.split("\n")).toEqual(
    expect.arrayContaining(["0.1.0+e2e-b", "0.1.0+e2e-a"]),
  );
  expect(script("rollback.sh", "9.9.9").err).toContain("no kept build 9.9.9");
  // A kept build given to deploy.sh by its path is deployed, never overwritten on the way.
  const kept = "/opt/checkin/releases/0.1.0+e2e-a/checkin";
  const redeploy = script("deploy.sh", "--binary", kept);
  expect(redeploy.code).toBe(0);
  for (const port of ports) expect(await version(port)).toBe("0.1.0+e2e-a");
  expect(sandbox.run(["cmp", kept, `${RELEASE}/checkin-e2e-a`]).trim()).toBe("");
  console.log(`systemd e2e: two rollbacks served ${seen.ok} requests, 0 failed`);
}, 300_000);

test("a deploy cut off half-way leaves no instance out of Nginx, and running it again finishes it", async () => {
  const ports = [BASE, BASE + 1, BASE + 2];
  // A dropped SSH session: the shell gets SIGHUP a few seconds in, an instance or two switched.
  const cut = sandbox.exec([
    "timeout",
    "-s",
    "HUP",
    "3",
    "bash",
    `${RELEASE}/deploy/deploy.sh`,
    "--binary",
    `${RELEASE}/checkin-e2e-b`,
  ]);
  expect(cut.code).not.toBe(0);
  expect(sandbox.run(["cat", "/etc/nginx/checkin/checkin.conf"])).not.toMatch(/ down;/);
  const again = script("deploy.sh", "--binary", `${RELEASE}/checkin-e2e-b`);
  expect(`${again.code} ${again.err}`).toBe("0 ");
  for (const port of ports) expect(await version(port)).toBe("0.1.0+e2e-b");
  expect(script("status.sh").out).toContain("previous: 0.1.0+e2e-a");
}, 300_000);

test("kill -9 of an instance: systemd restarts it while Nginx keeps serving", async () => {
  const unit = `checkin@${BASE + 1}`;
  const pid = sandbox.run(["systemctl", "show", "-P", "MainPID", unit]).trim();
  const load = stream();
  await Bun.sleep(300);
  sandbox.run(["kill", "-9", pid]);
  let restarted = false;
  for (let i = 0; i < 100 && !restarted; i++) {
    await Bun.sleep(200);
    const now = sandbox.run(["systemctl", "show", "-P", "MainPID", unit]).trim();
    restarted =
      now !== "0" &&
      now !== pid &&
      (await fetch(`http://127.0.0.1:${BASE + 1}/api/v1/health/ready`).catch(() => null))?.status === 200;
  }
  const seen = await load.stop();
  expect(restarted).toBe(true);
  expect(Number(sandbox.run(["systemctl", "show", "-P", "NRestarts", unit]).trim())).toBeGreaterThanOrEqual(
    1,
  );
  expect(seen.failed).toEqual([]);
}, 120_000);

test("a hung instance (SIGSTOP) is killed and restarted by the watchdog while Nginx keeps serving", async () => {
  const unit = `checkin@${BASE + 1}`;
  expect(sandbox.run(["systemctl", "show", "-P", "WatchdogUSec", unit]).trim()).toBe("15s");
  const pid = sandbox.run(["systemctl", "show", "-P", "MainPID", unit]).trim();
  const load = stream();
  sandbox.run(["kill", "-STOP", pid]);
  let restarted = false;
  for (let i = 0; i < 200 && !restarted; i++) {
    await Bun.sleep(250);
    const now = sandbox.run(["systemctl", "show", "-P", "MainPID", unit]).trim();
    restarted =
      now !== "0" &&
      now !== pid &&
      (await fetch(`http://127.0.0.1:${BASE + 1}/api/v1/health/ready`).catch(() => null))?.status === 200;
  }
  const seen = await load.stop();
  expect(restarted).toBe(true);
  expect(sandbox.run(["journalctl", "-u", unit, "--no-pager"])).toContain("Watchdog timeout");
  expect(seen.failed).toEqual([]);
  console.log(`systemd e2e: hung instance restarted by the watchdog; ${seen.ok} requests served meanwhile`);
}, 120_000);

test("scale to 2 by count: removed from Nginx and Prometheus first, then stopped", async () => {
  const load = stream();
  const scaled = script("scale.sh", "to", "2");
  const seen = await load.stop();
  expect(scaled.code).toBe(0);
  expect(seen.failed).toEqual([]);
  expect(sandbox.exec(["systemctl", "is-active", `checkin@${BASE + 2}`]).out.trim()).toBe("inactive");
  expect(sandbox.run(["cat", "/etc/checkin/prometheus-targets.json"])).not.toContain(`127.0.0.1:${BASE + 2}`);
}, 120_000);
