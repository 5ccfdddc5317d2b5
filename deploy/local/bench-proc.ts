// What the benchmark reads off the machine and the servers while it runs: CPU seconds
// per process tree (from /proc), resident memory, Redis commands (INFO commandstats)
// and MongoDB operations (serverStatus), each as a snapshot that two readings subtract.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type Redis from "ioredis";
import type { Db } from "mongodb";

const TICKS_PER_SECOND = 100;

function stat(pid: number): { ppid: number; cpu: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces: fields start after the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by each process and its descendants, a descendant that is another
 * root's counted there only (the benchmark's instances are children of the load generator).
 */
export function cpuSeconds(roots: Record<string, number[]>): Record<string, number> {
  const all = new Map<number, { ppid: number; cpu: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s) all.set(Number(entry), s);
  }
  const rootPids = new Set(Object.values(roots).flat());
  const treeCpu = (pid: number): number => {
    let total = all.get(pid)?.cpu ?? 0;
    for (const [child, s] of all) if (s.ppid === pid && !rootPids.has(child)) total += treeCpu(child);
    return total;
  };
  return Object.fromEntries(
    Object.entries(roots).map(([name, pids]) => [name, pids.reduce((sum, pid) => sum + treeCpu(pid), 0)]),
  );
}

export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

/** The local stack's server processes, from its pid files (absent when the stack is external). */
export function stackPids(root: string): Record<string, number[]> {
  const run = join(root, ".local/run");
  const read = (name: string) => {
    const file = join(run, `${name}.pid`);
    return existsSync(file) ? [Number(readFileSync(file, "utf8").trim())] : [];
  };
  return { redis: read("redis"), "mongodb-wire": read("mongo"), postgresql: read("postgres") };
}

export async function redisCommands(redis: Redis): Promise<Record<string, number>> {
  const text = (await redis.info("commandstats")) as string;
  const calls: Record<string, number> = {};
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls[match[1] as string] = Number(match[2]);
  return calls;
}

export async function mongoOperations(db: Db): Promise<Record<string, number>> {
  const status = await db.admin().command({ serverStatus: 1 });
  const commands = (status.metrics?.commands ?? {}) as Record<
    string,
    { total?: number | { toNumber(): number } }
  >;
  const ops: Record<string, number> = {};
  for (const name of [
    "insert",
    "find",
    "update",
    "delete",
    "findAndModify",
    "aggregate",
    "count",
    "getMore",
  ]) {
    const total = commands[name]?.total;
    ops[name] = typeof total === "number" ? total : Number(total ?? 0);
  }
  return ops;
}

/** b − a for every key, zero entries dropped. */
export function difference(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = Math.round(((b[key] ?? 0) - (a[key] ?? 0)) * 1000) / 1000;
    if (d !== 0) out[key] = d;
  }
  return out;
}

export const sum = (values: Record<string, number>) => Object.values(values).reduce((s, v) => s + v, 0);
