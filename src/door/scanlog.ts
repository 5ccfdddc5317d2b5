import type { Db } from "mongodb";
import { type ScanLogDoc, scanlogOf } from "../checkin/repo";

// The scan log is complete (every scan, whatever its outcome) but written in groups:
// entries that arrive while a write is under way go together in the next insertMany.
// A caller's promise settles only once its own entry is stored, so an answer sent
// after it never stands for an entry that was lost; under load many scans share one
// write instead of each paying its own.

const MAX_BATCH = 500;

export function createScanLog(db: Db) {
  let queue: { entry: ScanLogDoc; done: (error?: unknown) => void }[] = [];
  let writing = false;

  async function drain(): Promise<void> {
    writing = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      try {
        await scanlogOf(db).insertMany(
          batch.map((b) => b.entry),
          { ordered: false },
        );
        for (const b of batch) b.done();
      } catch (error) {
        for (const b of batch) b.done(error);
      }
    }
    writing = false;
  }

  return {
    write(entry: ScanLogDoc): Promise<void> {
      return new Promise((resolve, reject) => {
        queue.push({ entry, done: (error) => (error === undefined ? resolve() : reject(error)) });
        if (!writing) void drain();
      });
    },
  };
}

export type ScanLog = ReturnType<typeof createScanLog>;
