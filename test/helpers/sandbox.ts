import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./env";

// A real systemd as PID 1 of its own PID + mount (+ UTS, IPC, cgroup) namespaces, over a
// Debian root made with debootstrap; the network namespace is the host's, so services in
// it listen on the host's loopback. Commands run inside with nsenter.
//
// The root's own directory is bind-mounted onto itself: with `/` a mount point, systemd's
// per-service mount namespaces work, so the units' hardening (ProtectSystem, PrivateTmp,
// PrivateDevices, …) runs as shipped and no test-only drop-in relaxes it. (Without that
// bind mount every one of those directives fails with 226/NAMESPACE.)

const SYSROOT = join(ROOT, ".local/sysroot");
const PACKAGES = "systemd,systemd-sysv,nginx-light,curl,ca-certificates,passwd,procps";
/** Units that must not run with the host's network and without a console. */
const MASKED = [
  "systemd-networkd.service",
  "systemd-networkd.socket",
  "systemd-networkd-wait-online.service",
  "systemd-resolved.service",
  "getty@tty1.service",
  "console-getty.service",
  "apt-daily.timer",
  "apt-daily-upgrade.timer",
  "e2scrub_all.timer",
  "e2scrub_reap.service",
  "fstrim.timer",
  "dpkg-db-backup.timer",
];

function sh(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  const result = Bun.spawnSync(args, {
    stdin: options.input === undefined ? "ignore" : new TextEncoder().encode(options.input),
    env: options.env ?? (process.env as Record<string, string>),
  });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
}

function must(args: string[], what: string) {
  const result = sh(args);
  if (result.code !== 0) throw new Error(`${what} failed (${result.code}): ${result.err || result.out}`);
  return result.out;
}

function cgroup2Base(): string {
  for (const path of ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]) {
    if (sh(["stat", "-fc", "%T", path]).out.trim() === "cgroup2fs") return path;
  }
  throw new Error("the host has no cgroup2 mount; systemd cannot run in a namespace here");
}

/** The Debian root, built once and kept under .local (about 50 s and 280 MB). */
export function buildRoot(log: (line: string) => void = () => {}): string {
  if (existsSync(join(SYSROOT, ".built"))) return SYSROOT;
  const suite = /VERSION_CODENAME=(\w+)/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "bookworm";
  rmSync(SYSROOT, { recursive: true, force: true });
  mkdirSync(SYSROOT, { recursive: true });
  log(`debootstrap ${suite} into ${SYSROOT}`);
  must(
    [
      "debootstrap",
      "--variant=minbase",
      `--include=${PACKAGES}`,
      suite,
      SYSROOT,
      "http://deb.debian.org/debian",
    ],
    "debootstrap",
  );
  writeFileSync(join(SYSROOT, "etc/hostname"), "checkin-sandbox\n");
  for (const unit of MASKED) {
    sh(["ln", "-sf", "/dev/null", join(SYSROOT, "etc/systemd/system", unit)]);
  }
  // Debian's default site would take the host's port 80.
  rmSync(join(SYSROOT, "etc/nginx/sites-enabled/default"), { force: true });
  writeFileSync(join(SYSROOT, ".built"), new Date().toISOString());
  return SYSROOT;
}

export class Sandbox {
  readonly root: string;
  private readonly cgroup: string;
  private unshare?: ReturnType<typeof Bun.spawn>;
  private pid1 = 0;

  constructor(root: string, name = `checkin-e2e-${process.pid}`) {
    this.root = root;
    this.cgroup = join(cgroup2Base(), name);
  }

  /** Boots systemd and waits until it reports `running` (or `degraded`, reported as an error). */
  async start(): Promise<void> {
    mkdirSync(this.cgroup, { recursive: true });
    // PID 1 moves itself into an empty cgroup2 directory and only then unshares the cgroup
    // namespace, so nothing foreign sits in the namespace's root cgroup.
    const boot = `
      mount --bind "$R" "$R"
      mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
      mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
      mount -t tmpfs -o mode=755,nosuid,size=10m dev "$R/dev"
      for n in null zero full random urandom tty; do touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
      mkdir -p "$R/dev/pts" "$R/dev/shm"
      mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
      ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
      mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
      echo 0 > "$CG/cgroup.procs"
      exec unshare --cgroup /bin/bash -euc '
        mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"
        exec chroot "$R" /usr/bin/env -i container=other /lib/systemd/systemd'`;
    this.unshare = Bun.spawn(
      [
        "setsid",
        "unshare",
        "--fork",
        "--pid",
        "--mount",
        "--uts",
        "--ipc",
        "--propagation",
        "private",
        "bash",
        "-euc",
        boot,
      ],
      {
        env: { ...process.env, R: this.root, CG: this.cgroup },
        stdin: "ignore",
        stdout: "ignore",
        stderr: "pipe",
      },
    );
    const outer = this.unshare.pid;
    for (let i = 0; i < 200 && !this.pid1; i++) {
      const child = Number(
        sh(["cat", `/proc/${outer}/task/${outer}/children`])
          .out.trim()
          .split(" ")[0],
      );
      if (child && sh(["cat", `/proc/${child}/comm`]).out.trim() === "systemd") this.pid1 = child;
      else await Bun.sleep(50);
    }
    if (!this.pid1) throw new Error("systemd did not start in the namespace");
    for (let i = 0; i < 200 && this.exec(["test", "-S", "/run/systemd/private"]).code !== 0; i++)
      await Bun.sleep(50);
    const state = this.exec(["timeout", "60", "systemctl", "is-system-running", "--wait"]).out.trim();
    if (state !== "running") {
      throw new Error(`systemd is ${state}: ${this.exec(["systemctl", "--failed", "--no-pager"]).out}`);
    }
  }

  /** A command inside: every namespace of PID 1, its root and its working directory. */
  exec(args: string[], input?: string) {
    return sh(["nsenter", "-t", String(this.pid1), "-m", "-p", "-u", "-i", "-C", "-r", "-w", ...args], {
      input,
    });
  }

  /**
   * Like exec, without blocking this process: what it serves or fetches meanwhile (a steady
   * stream of requests during a deploy) goes on while the command runs.
   */
  async execLive(args: string[]) {
    const child = Bun.spawn(
      ["nsenter", "-t", String(this.pid1), "-m", "-p", "-u", "-i", "-C", "-r", "-w", ...args],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    const [out, err, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    return { code, out, err };
  }

  /** Like exec, but a failure throws with what the command printed. */
  run(args: string[]): string {
    const result = this.exec(args);
    if (result.code !== 0) {
      throw new Error(`${args.join(" ")} failed (${result.code}):\n${result.out}\n${result.err}`);
    }
    return result.out;
  }

  /** Powers systemd off (everything in the namespace ends), then removes the cgroup. */
  async stop(): Promise<void> {
    if (this.pid1) this.exec(["systemctl", "poweroff", "--no-block"]);
    const exited = this.unshare?.exited ?? Promise.resolve(0);
    const deadline = Bun.sleep(15_000).then(() => "timeout");
    if ((await Promise.race([exited, deadline])) === "timeout" && this.pid1) {
      sh(["kill", "-9", String(this.pid1)]);
      await exited;
    }
    if (existsSync(this.cgroup) && statSync(this.cgroup).isDirectory()) {
      sh(["find", this.cgroup, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"]);
    }
  }
}
