import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../helpers/env";

// The operations scripts without a systemd: shellcheck, usage and errors, the event-day
// freeze, and what --dry-run says each would do. test/systemd/ runs them for real.

const etc = mkdtempSync(join(tmpdir(), "checkin-ops-"));
writeFileSync(join(etc, "ports"), "3001 3002\n");
afterAll(() => rmSync(etc, { recursive: true, force: true }));

const SCRIPTS = [
  "install.sh",
  "deploy.sh",
  "rollback.sh",
  "scale.sh",
  "health.sh",
  "status.sh",
  "backup.sh",
  "restore.sh",
];

function script(name: string, args: string[], env: Record<string, string> = {}) {
  const result = Bun.spawnSync(["bash", join(ROOT, "deploy", name), ...args], {
    env: { PATH: process.env.PATH ?? "", CHECKIN_ETC: etc, CHECKIN_HOME: join(etc, "home"), ...env },
  });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
}

test("shellcheck finds nothing at warning level", () => {
  const result = Bun.spawnSync([
    "shellcheck",
    "-S",
    "warning",
    "-x",
    ...SCRIPTS.map((name) => join(ROOT, "deploy", name)),
  ]);
  expect(result.stdout.toString()).toBe("");
  expect(result.exitCode).toBe(0);
});

test("every script explains itself and refuses what it does not know", () => {
  for (const name of SCRIPTS) {
    const help = script(name, ["--help"]);
    expect(`${name} ${help.code}`).toBe(`${name} 0`);
    expect(help.out).toContain(`deploy/${name}`);
    const wrong = script(name, ["--bogus"]);
    expect(`${name} ${wrong.code}`).not.toBe(`${name} 0`);
    expect(wrong.err).toMatch(/error: /);
  }
});

test("the event-day freeze refuses a deploy unless the override word is given", () => {
  const binary = join(etc, "new-checkin");
  writeFileSync(binary, "#!/bin/sh\necho 9.9.9\n", { mode: 0o755 });
  const frozen = script("deploy.sh", ["--binary", binary, "--dry-run"], { EVENT_DAY_FREEZE: "true" });
  expect(frozen.code).toBe(1);
  expect(frozen.err).toContain("event-day freeze is on");
  expect(frozen.out).not.toContain("dry-run:");
  const wrongWord = script("deploy.sh", ["--binary", binary, "--dry-run", "--override", "yes"], {
    EVENT_DAY_FREEZE: "true",
  });
  expect(wrongWord.code).toBe(1);
  // The env file as people write it: quotes, capitals, a comment, Windows line ends.
  writeFileSync(join(etc, "checkin.env"), 'EVENT_DAY_FREEZE="TRUE" # event day\r\n');
  const envFrozen = script("deploy.sh", ["--binary", binary, "--dry-run"]);
  expect(envFrozen.err).toContain("event-day freeze is on");
  expect(script("status.sh", []).out).toContain("event-day freeze: ON");
  rmSync(join(etc, "checkin.env"));
  writeFileSync(join(etc, "FREEZE"), "");
  const fileFrozen = script("deploy.sh", ["--binary", binary, "--dry-run"]);
  expect(fileFrozen.err).toContain("event-day freeze is on");
  const forced = script("deploy.sh", ["--binary", binary, "--dry-run", "--override", "DEPLOY"]);
  rmSync(join(etc, "FREEZE"));
  expect(forced.code).toBe(0);
  expect(forced.out).toContain("event-day freeze overridden");
  // One port at a time: out of Nginx, restart, ready, back in.
  const steps = forced.out.split("\n").filter((line) => line.startsWith("dry-run:"));
  const order = steps.map((line) =>
    line.includes("--down 3001")
      ? "out 3001"
      : line.includes("--down 3002")
        ? "out 3002"
        : line.includes("restart checkin@3001")
          ? "restart 3001"
          : line.includes("restart checkin@3002")
            ? "restart 3002"
            : null,
  );
  expect(order.filter(Boolean)).toEqual(["out 3001", "restart 3001", "out 3002", "restart 3002"]);
});

test("scale starts or stops instance N as the seed says, reaches a count with `to`, and keeps one", () => {
  const up = script("scale.sh", ["up", "3", "--dry-run"]);
  expect(up.code).toBe(0);
  expect(up.out).toContain("systemctl enable --now checkin@3003");
  expect(up.out).toContain('write "3001 3002 3003"');
  expect(up.out).toContain('"targets":["127.0.0.1:3001","127.0.0.1:3002","127.0.0.1:3003"]');
  expect(script("scale.sh", ["up", "2", "--dry-run"]).out).toContain("already runs");
  const to = script("scale.sh", ["to", "4", "--dry-run"]);
  expect(to.out).toContain("systemctl enable --now checkin@3003");
  expect(to.out).toContain("systemctl enable --now checkin@3004");
  const down = script("scale.sh", ["down", "2", "--dry-run"]);
  expect(down.out).toContain("systemctl disable --now checkin@3002");
  expect(down.out.indexOf("render")).toBeLessThan(down.out.indexOf("disable --now"));
  expect(down.out.indexOf("targets")).toBeLessThan(down.out.indexOf("disable --now"));
  expect(script("scale.sh", ["down", "7", "--dry-run"]).err).toContain("is not running");
  const toOne = script("scale.sh", ["to", "1", "--dry-run"]);
  expect(toOne.out).toContain("systemctl disable --now checkin@3002");
  expect(toOne.out).not.toContain("checkin@3001");
  expect(script("scale.sh", ["up", "zero"]).err).toContain("positive whole number");
});

test("a missing or empty port list stops every script before it touches anything", () => {
  const empty = mkdtempSync(join(tmpdir(), "checkin-ops-empty-"));
  writeFileSync(join(empty, "ports"), "\n");
  const binary = join(etc, "new-checkin");
  for (const [name, args] of [
    ["deploy.sh", ["--binary", binary, "--dry-run"]],
    ["rollback.sh", ["--dry-run"]],
    ["scale.sh", ["up", "3", "--dry-run"]],
    ["health.sh", []],
    ["status.sh", []],
  ] as const) {
    const result = script(name, [...args], { CHECKIN_ETC: empty });
    expect(`${name} ${result.code}`).toBe(`${name} 1`);
    expect(result.err).toContain("lists no ports");
    expect(result.out).not.toContain("dry-run:");
  }
  rmSync(empty, { recursive: true, force: true });
});

test("a first install with TLS but no certificate yet is refused before anything changes", () => {
  const binary = join(etc, "new-checkin");
  writeFileSync(binary, "#!/bin/sh\necho 9.9.9\n", { mode: 0o755 });
  const result = script("install.sh", ["--binary", binary, "--server-name", "no-cert-yet.example.org"]);
  expect(result.code).toBe(1);
  expect(result.err).toContain("no certificate for no-cert-yet.example.org");
  expect(result.err).toContain("certbot certonly");
  expect(result.out).toBe("");
  expect(
    script("install.sh", ["--binary", binary, "--listen", "127.0.0.1:80", "--limits", "none"]).err,
  ).toContain("--limits must be production or load-test");
});
