import { afterAll, expect, test } from "bun:test";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../helpers/env";

// systemd-analyze verify on the units, inside a throw-away root laid out as
// deploy/install lays out a server (binary, environment file, data folder).

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function layout(): string {
  const root = mkdtempSync(join(tmpdir(), "checkin-systemd-"));
  roots.push(root);
  for (const dir of [
    "opt/checkin/bin",
    "etc/systemd/system",
    "etc/checkin",
    "var/lib/checkin",
    "usr/lib/systemd",
  ]) {
    mkdirSync(join(root, dir), { recursive: true });
  }
  cpSync("/usr/lib/systemd/system", join(root, "usr/lib/systemd/system"), { recursive: true });
  writeFileSync(join(root, "opt/checkin/bin/checkin"), "#!/bin/sh\n");
  chmodSync(join(root, "opt/checkin/bin/checkin"), 0o755);
  mkdirSync(join(root, "opt/checkin/deploy"), { recursive: true });
  writeFileSync(join(root, "opt/checkin/deploy/backup.sh"), "#!/bin/sh\n");
  chmodSync(join(root, "opt/checkin/deploy/backup.sh"), 0o755);
  for (const unit of [
    "checkin@.service",
    "checkin.target",
    "checkin-backup.service",
    "checkin-backup.timer",
  ]) {
    cpSync(join(ROOT, "systemd", unit), join(root, "etc/systemd/system", unit));
  }
  cpSync(join(ROOT, "systemd/checkin.env.example"), join(root, "etc/checkin/checkin.env"));
  return root;
}

function verify(root: string, ...units: string[]) {
  const result = Bun.spawnSync(["systemd-analyze", "verify", `--root=${root}`, ...units]);
  return { code: result.exitCode, output: (result.stdout.toString() + result.stderr.toString()).trim() };
}

test("the template unit and the target pass systemd-analyze verify without a warning", () => {
  const root = layout();
  const { code, output } = verify(
    root,
    "checkin@3001.service",
    "checkin@3002.service",
    "checkin.target",
    "checkin-backup.service",
    "checkin-backup.timer",
  );
  expect(output).toBe("");
  expect(code).toBe(0);
});

test("the unit carries the hardening and limits a review expects", () => {
  const unit = readFileSync(join(ROOT, "systemd/checkin@.service"), "utf8");
  for (const line of [
    "Environment=PORT=%i",
    "User=checkin",
    "Restart=always",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "CapabilityBoundingSet=",
    "LimitNOFILE=65536",
    "KillSignal=SIGTERM",
  ]) {
    expect(unit).toContain(`\n${line}\n`);
  }
  // The stop timeout leaves room for the 10 s drain.
  expect(Number(/TimeoutStopSec=(\d+)/.exec(unit)?.[1])).toBeGreaterThan(10);
});

test("verify does catch a broken unit (the check can fail)", () => {
  const root = layout();
  const path = join(root, "etc/systemd/system/checkin@.service");
  writeFileSync(path, readFileSync(path, "utf8").replace("[Service]", "[Service]\nRestart=sometimes"));
  const { output } = verify(root, "checkin@3001.service");
  expect(output).toContain("Failed to parse service restart specifier");
});
