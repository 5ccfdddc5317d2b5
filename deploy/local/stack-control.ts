import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./bench-common";

/** Whether the local stack runs PostgreSQL itself (under FerretDB), so it may stop and start it. */
export const managedPostgres = (): boolean => existsSync(join(ROOT, ".local/run/postgres.pid"));

/** Runs `deploy/local/stack.sh <command>` (stop-postgres, restart-postgres, …); throws if it fails. */
export function stackCommand(command: string): void {
  const result = Bun.spawnSync(["bash", join(ROOT, "deploy/local/stack.sh"), command], { env: process.env });
  if (result.exitCode !== 0) throw new Error(`stack.sh ${command} failed: ${result.stderr.toString()}`);
}
