import { type Db, ObjectId } from "mongodb";
import { bulkWriteInSteps } from "../infra/mongo";
import { type MarkDoc, marksOf, refreshRoster } from "./rosters";

// Registrations written one call at a time (the API, the admin page) keep each session's
// packed copy honest (rosters.ts) without paying for it on every call: an instance keeps
// one open mark per session it writes to, inserted before its first write, and sets it done
// once its writes to that session have been quiet for a moment; then it packs the session
// again (one read of the session's registrations per burst, not per write). While the mark
// is open the copy is not trusted, so a start in the middle of a burst reads that session's
// registrations instead: slower, never wrong. A burst longer than MARK_AGAIN_MS marks the
// session again, so its mark never looks like a dead writer's.

/** Writes to a session this long apart end its burst: the mark is set done and the copy packed. */
const QUIET_MS = 2000;
/** An open mark is renewed this often (WRITER_DEAD_MS is far longer). */
const MARK_AGAIN_MS = 2 * 60_000;

interface Open {
  marks: MarkDoc[];
  /** Resolves once the first mark is stored: no write of the burst may start before. */
  stored: Promise<void>;
  inFlight: number;
  lastAt: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export function createOpenMarks(
  db: Db,
  onError: (error: unknown) => void = () => undefined,
  /** Packs the session again once its burst is over (the door also reads it back, healing any update a dead instance missed). */
  packAgain: (sessionId: ObjectId) => Promise<unknown> = (sessionId) => refreshRoster(db, sessionId),
) {
  const open = new Map<string, Open>();

  const insertMark = async (state: Open, sessionId: ObjectId) => {
    const mark: MarkDoc = { _id: new ObjectId(), sessionId, at: new Date(), done: false };
    state.marks.push(mark);
    await marksOf(db).insertOne(mark);
  };

  async function close(key: string, sessionId: ObjectId): Promise<void> {
    const state = open.get(key);
    if (!state || state.inFlight > 0 || Date.now() - state.lastAt < QUIET_MS) return schedule(key, sessionId);
    open.delete(key);
    await bulkWriteInSteps(
      marksOf(db),
      state.marks.map((m) => ({ updateOne: { filter: { _id: m._id }, update: { $set: { done: true } } } })),
    );
    await packAgain(sessionId);
  }

  function schedule(key: string, sessionId: ObjectId): void {
    const state = open.get(key);
    if (!state || state.timer) return;
    state.timer = setTimeout(() => {
      state.timer = null;
      close(key, sessionId).catch(onError);
    }, QUIET_MS);
  }

  return {
    /** Runs one write to a session's registrations inside the session's open mark. */
    async writing<T>(sessionId: ObjectId, write: () => Promise<T>): Promise<T> {
      const key = String(sessionId);
      let state = open.get(key);
      if (!state) {
        const fresh: Open = {
          marks: [],
          stored: Promise.resolve(),
          inFlight: 0,
          lastAt: Date.now(),
          timer: null,
        };
        // A mark that could not be stored leaves nothing open: the next write tries again.
        fresh.stored = insertMark(fresh, sessionId).catch((error: unknown) => {
          if (open.get(key) === fresh) open.delete(key);
          throw error;
        });
        open.set(key, fresh);
        state = fresh;
      } else if (Date.now() - (state.marks.at(-1)?.at.getTime() ?? 0) > MARK_AGAIN_MS) {
        const current = state;
        current.stored = current.stored.then(() => insertMark(current, sessionId));
      }
      state.inFlight++;
      try {
        await state.stored;
        return await write();
      } finally {
        state.inFlight--;
        state.lastAt = Date.now();
        schedule(key, sessionId);
      }
    },
    /** Ends every burst now (an instance stopping): marks done, copies packed. */
    async flush(): Promise<void> {
      for (const [key, state] of [...open]) {
        if (state.timer) clearTimeout(state.timer);
        state.timer = null;
        state.lastAt = 0;
        await state.stored.catch(() => undefined);
        await close(key, state.marks[0]?.sessionId as ObjectId).catch(onError);
      }
    },
  };
}

export type OpenMarks = ReturnType<typeof createOpenMarks>;
