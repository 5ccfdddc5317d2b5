import type { Collection, Document, OptionalUnlessRequiredId } from "mongodb";

// Inserts that arrive while a write is under way go together in the next insertMany: at low
// load each goes alone at once (no added wait), under load many share one round trip and
// one transaction of the MongoDB-wire server. Each caller's promise settles only with its
// own document: resolved once it is stored, rejected with its own error (a duplicate key,
// say) when it is not, so an answer sent after it never stands for a write that was lost.

const MAX_BATCH = 500;

/** One document's failure in an unordered insertMany (the others were stored). */
interface WriteError {
  index: number;
  code?: number;
  errmsg?: string;
}

/** Per-document errors of an unordered bulk insert, or null when the outcome of the batch is unknown. */
function perDocument(error: unknown, size: number): Map<number, Error & { code?: number }> | null {
  const writeErrors = (error as { writeErrors?: WriteError[] | WriteError } | null)?.writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  if (list.length === 0) return null;
  const failed = new Map<number, Error & { code?: number }>();
  for (const w of list) {
    if (typeof w.index !== "number" || w.index < 0 || w.index >= size) return null;
    failed.set(w.index, Object.assign(new Error(w.errmsg ?? "insert failed"), { code: w.code }));
  }
  return failed;
}

export interface GroupOptions {
  maxBatch?: number;
  /**
   * Wait this long after the first document before writing, to gather more (0: write at once).
   * For writes nobody waits on (the admin log, after the answer): one insert per this many ms.
   */
  gatherMs?: number;
}

export function groupedInserts<T extends Document>(
  collection: () => Collection<T>,
  { maxBatch = MAX_BATCH, gatherMs = 0 }: GroupOptions = {},
) {
  let queue: { doc: OptionalUnlessRequiredId<T>; done: (error?: unknown) => void }[] = [];
  let writing: Promise<void> | null = null;
  let gathering: ReturnType<typeof setTimeout> | null = null;

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        try {
          await collection().insertMany(
            batch.map((b) => b.doc),
            { ordered: false },
          );
          for (const b of batch) b.done();
        } catch (error) {
          const failed = perDocument(error, batch.length);
          for (const [i, b] of batch.entries()) b.done(failed ? failed.get(i) : error);
        }
      }
    } finally {
      // In the same turn as the last look at the queue: a document queued after it starts a new write.
      writing = null;
    }
  }

  function write(): Promise<void> {
    if (gathering) clearTimeout(gathering);
    gathering = null;
    if (!writing && queue.length > 0) writing = drain();
    return writing ?? Promise.resolve();
  }

  return {
    /** Stores one document with whatever else is waiting; settles with its own outcome. */
    insert(doc: OptionalUnlessRequiredId<T>): Promise<void> {
      return new Promise((resolve, reject) => {
        queue.push({ doc, done: (error) => (error === undefined ? resolve() : reject(error)) });
        if (writing || gathering) return;
        if (gatherMs > 0) gathering = setTimeout(write, gatherMs);
        else void write();
      });
    },
    /** Writes what is waiting now (an instance stopping, a reader about to look). */
    async flush(): Promise<void> {
      while (queue.length > 0 || writing) await (writing ?? write());
    },
  };
}
