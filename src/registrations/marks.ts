import { type Db, ObjectId } from "mongodb";
import { bulkWriteInSteps } from "../infra/mongo";
import { type MarkDoc, marksOf, packFromMarks, refreshRoster } from "./rosters";

// Registrations written one call at a time (the API, the admin page) keep each session's
// packed copy honest (rosters.ts) without paying for it on every call: an instance keeps
// one open mark per session it writes to, inserted before its first write, and sets it done
// once its writes to that session have been quiet for a moment, listing the state each write
// left its participant in; then the session's copy is packed again from the last copy and
// those lists (packFromMarks), so a burst costs what it wrote, whatever the session's size
// (the session is read whole only when the lists cannot tell). While the mark
// is open the copy is not trusted, so a start in the middle of a burst reads that session's
// registrations instead: slower, never wrong. A burst longer than MARK_AGAIN_MS marks the
// session again, so its mark never looks like a dead writer's.

/** Writes to a session this long apart end its burst: the mark is set done and the copy packed. */
const QUIET_MS = 2000;
/** A burst that wrote to more people than this lists none (the list would outgrow a document): its session is read whole. */
const LISTED_AT_MOST = 50_000;
/** An open mark is renewed this often (WRITER_DEAD_MS is far longer). */
const MARK_AGAIN_MS = 2 * 60_000;

interface Open {
  marks: MarkDoc[];
  /** Resolves once the first mark is stored: no write of the burst may start before. */
  stored: Promise<void>;
  inFlight: number;
  lastAt: number;
  timer: ReturnType<typeof setTimeout> | null;
  /** The state each participant was left in by this burst's writes (rosters.ts, MarkDoc.wrote). */
  wrote: Map<string, string>;
  /** Writes running per participant: two at once leave an order nobody knows. */
  running: Map<string, number>;
  tangled: Set<string>;
  /** A write that did not say what it wrote: the burst lists nothing. */
  unlisted: boolean;
}

/** What a write to one registration left its participant in: a status, "" removed, null nothing. */
export interface Wrote<T> {
  participantId: ObjectId;
  state: (result: T) => string | null;
}

/** The burst's marks set done, the whole list on the last (a participant under two marks is read from MongoDB). */
function marksDone(state: Open) {
  const wrote = Object.fromEntries(state.wrote);
  const last = state.marks.length - 1;
  return state.marks.map((m, i) => ({
    updateOne: {
      filter: { _id: m._id },
      update: { $set: state.unlisted ? { done: true } : { done: true, wrote: i === last ? wrote : {} } },
    },
  }));
}

export function createOpenMarks(
  db: Db,
  onError: (error: unknown) => void = () => undefined,
  /**
   * Reads the session whole when its marks cannot tell what was written (the door also reads
   * it back then, healing any update a dead instance missed).
   */
  readAll: (sessionId: ObjectId) => Promise<unknown> = (sessionId) => refreshRoster(db, sessionId),
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
    await bulkWriteInSteps(marksOf(db), marksDone(state));
    if ((await packFromMarks(db, sessionId)) === "read") await readAll(sessionId);
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
    /** Runs one write to a session's registrations inside the session's open mark; `wrote` says what it left. */
    async writing<T>(sessionId: ObjectId, write: () => Promise<T>, wrote?: Wrote<T>): Promise<T> {
      const key = String(sessionId);
      let state = open.get(key);
      if (!state) {
        const fresh: Open = {
          marks: [],
          stored: Promise.resolve(),
          inFlight: 0,
          lastAt: Date.now(),
          timer: null,
          wrote: new Map(),
          running: new Map(),
          tangled: new Set(),
          unlisted: false,
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
      const burst = state;
      const participant = wrote?.participantId.toHexString() ?? "";
      if (!wrote) burst.unlisted = true;
      const alongside = burst.running.get(participant) ?? 0;
      if (alongside > 0) burst.tangled.add(participant);
      burst.running.set(participant, alongside + 1);
      // Until the write says otherwise, its outcome is not known.
      let left: string | null = "?";
      try {
        await state.stored;
        const result = await write();
        left = wrote ? wrote.state(result) : null;
        return result;
      } finally {
        burst.running.set(participant, (burst.running.get(participant) ?? 1) - 1);
        if (wrote && left !== null) burst.wrote.set(participant, burst.tangled.has(participant) ? "?" : left);
        if (burst.wrote.size > LISTED_AT_MOST) {
          burst.unlisted = true;
          burst.wrote.clear();
        }
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
