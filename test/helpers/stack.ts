import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./env";

// A second local stack in a folder of its own (ports of its own, optionally inside a network
// namespace), started and stopped by the project's own stack.sh: what the failover and
// multi-host suites run against besides the suite's stack.

export interface OwnStack {
  /** The NAME=value lines stack.sh printed. */
  vars: Record<string, string>;
  dir: string;
  run: (...args: string[]) => { code: number; out: string };
  stop: () => void;
}

export function startOwnStack(env: Record<string, string>, netns?: string): OwnStack {
  const dir = mkdtempSync(join(tmpdir(), "checkin-stack-"));
  // PostgreSQL runs as its own user, who keeps its data here when it may enter the folder.
  chmodSync(dir, 0o755);
  const base = {
    ...process.env,
    CHECKIN_LOCAL_DIR: dir,
    // FerretDB is built once per checkout; this stack uses that build.
    CHECKIN_TOOLS_DIR: join(ROOT, ".local/tools"),
    ...env,
  } as Record<string, string>;
  const run = (...args: string[]) => {
    const command = ["bash", join(ROOT, "deploy/local/stack.sh"), ...args];
    const result = Bun.spawnSync(netns ? ["ip", "netns", "exec", netns, ...command] : command, {
      env: base,
      stderr: "pipe",
    });
    return { code: result.exitCode, out: `${result.stdout.toString()}${result.stderr.toString()}` };
  };
  const started = run("start");
  if (started.code !== 0) {
    run("stop");
    throw new Error(`stack.sh start failed:\n${started.out}`);
  }
  const vars = Object.fromEntries(
    started.out
      .split("\n")
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] as string, m[2] as string]),
  );
  return {
    vars,
    dir,
    run,
    stop() {
      run("stop");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A block of consecutive ports unlikely to be taken (the stack uses base…base+1 and
 * base+100…base+102): below Linux's ephemeral range (32768 on), where an outgoing connection of
 * any test may hold a port (a failover stack once found its Redis port taken that way).
 */
export const portBlock = () => 20_000 + Math.floor(Math.random() * 1200) * 10;
