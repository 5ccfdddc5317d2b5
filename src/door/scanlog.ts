import type { Db } from "mongodb";
import { type ScanLogDoc, scanlogOf } from "../checkin/repo";
import { groupedInserts } from "../infra/grouped";

// The scan log is complete (every scan, whatever its outcome) but written in groups
// (infra/grouped.ts): a caller's promise settles only once its own entry is stored, so an
// answer sent after it never stands for an entry that was lost; under load many scans
// share one write instead of each paying its own.

export function createScanLog(db: Db, recorded?: (entry: ScanLogDoc) => Promise<void>) {
  const entries = groupedInserts(() => scanlogOf(db));
  return {
    /** Stored, then handed to whoever follows the log (the webhooks' queue) before the caller answers. */
    async write(entry: ScanLogDoc): Promise<void> {
      await entries.insert(entry);
      await recorded?.(entry);
    },
  };
}

export type ScanLog = ReturnType<typeof createScanLog>;
