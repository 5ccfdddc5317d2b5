import { afterAll, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "../../helpers/env";

// No container engine runs on these machines, so the image's build stage is proven here:
// exactly the files its COPY lines take, the install and build commands its RUN lines
// give (the system packages it installs are already on this machine), and the binary
// that comes out works, including what it embeds from those files.

const dir = mkdtempSync(join(tmpdir(), "checkin-image-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The build stage: its COPY sources and its RUN commands, in order. */
function buildStage(): { copies: string[][]; runs: string[] } {
  const lines = readFileSync(join(ROOT, "Dockerfile"), "utf8").split("\n");
  const start = lines.findIndex((line) => /^FROM .* AS build$/i.test(line));
  const end = lines.findIndex((line, i) => i > start && /^FROM /i.test(line));
  const stage = lines.slice(start + 1, end);
  return {
    copies: stage
      .filter((l) => l.startsWith("COPY "))
      .map((l) => l.slice(5).trim().split(/\s+/).slice(0, -1)),
    runs: stage.filter((l) => l.startsWith("RUN ")).map((l) => l.slice(4).trim()),
  };
}

test("the Dockerfile's build stage builds a working binary from exactly the files it copies", () => {
  const { copies, runs } = buildStage();
  expect(copies.length).toBeGreaterThan(3);
  for (const sources of copies)
    for (const source of sources) {
      const target = join(dir, source);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(ROOT, source), target, { recursive: true });
    }
  const commands = runs.filter((run) => !run.startsWith("apt-get"));
  expect(commands.some((run) => run.startsWith("npm ci"))).toBe(true);
  for (const command of commands) {
    const run = Bun.spawnSync(["bash", "-c", command], { cwd: dir, env: { ...process.env, CI: "1" } });
    if (run.exitCode !== 0) throw new Error(`${command} failed:\n${run.stderr.toString().slice(-3000)}`);
  }
  const binary = join(dir, "dist/checkin");
  expect(existsSync(binary)).toBe(true);
  const version = Bun.spawnSync([binary, "--version"]);
  expect(version.exitCode).toBe(0);
  // What the binary embeds from deploy/nginx renders without the source tree.
  const out = join(dir, "nginx-out");
  const render = Bun.spawnSync(
    [binary, "nginx", "--ports", "3001,3002", "--out", out, "--mode", "local", "--listen", "127.0.0.1:18099"],
    { cwd: tmpdir() },
  );
  expect(render.exitCode).toBe(0);
  expect(readFileSync(join(out, "checkin.conf"), "utf8")).toContain("127.0.0.1:3002");
}, 300_000);
