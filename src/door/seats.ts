import type { Db, ObjectId } from "mongodb";
import { checkinsOf } from "../checkin/repo";
import type { Stamps } from "../infra/stamps";
import { sessionsOf } from "../sessions/repo";
import type { Door } from "./state";

// Every check-in of a capacity-enforced session holds a seat number in [0, capacity);
// the unique (sessionId, seat) index makes a second holder of a seat impossible. Redis
// hands seats out (see door.ts); this module is MongoDB's side: seats when Redis is
// away, and re-seating a session when its capacity or enforcement changes.

const FREEZE_MS = 30_000;
const DRAIN_MS = 5000;
const WAIT_STEP_MS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The capacity in force, read from MongoDB (never from a cache that may predate a change). */
export async function enforcedCapacity(db: Db, sessionId: ObjectId): Promise<number> {
  const session = await sessionsOf(db).findOne(
    { _id: sessionId },
    { projection: { capacity: 1, capacityEnforced: 1 } },
  );
  return session?.capacityEnforced && session.capacity > 0 ? session.capacity : 0;
}

/** Seat numbers free in MongoDB's view. */
export async function freeSeatsInDb(db: Db, sessionId: ObjectId): Promise<number[]> {
  const capacity = await enforcedCapacity(db, sessionId);
  const docs = await checkinsOf(db)
    .find({ sessionId }, { projection: { seat: 1, _id: 0 } })
    .toArray();
  const taken = new Set(docs.map((d) => d.seat));
  return Array.from({ length: capacity }, (_, seat) => seat).filter((seat) => !taken.has(seat));
}

/**
 * Seats MongoDB showed free, kept on this instance a moment (SEATS_MS) and handed out one by
 * one: without Redis every scan of a busy room would otherwise read all of its check-ins.
 * A stale list costs at most a retry: the unique (sessionId, seat) index refuses a seat
 * another instance took, and the next one is tried.
 */
const SEATS_MS = 1000;
const freeSeatLists = new WeakMap<Db, Map<string, { at: number; free: Promise<number[]> }>>();

/** Without Redis: a random free seat from MongoDB (null: full); the unique index settles races. */
export async function claimSeatFromDb(db: Db, sessionId: ObjectId): Promise<number | null> {
  const lists = freeSeatLists.get(db) ?? new Map<string, { at: number; free: Promise<number[]> }>();
  freeSeatLists.set(db, lists);
  const key = String(sessionId);
  const read = () => {
    const list = { at: Date.now(), free: freeSeatsInDb(db, sessionId) };
    list.free.catch(() => lists.delete(key));
    lists.set(key, list);
    return list.free;
  };
  const kept = lists.get(key);
  const reused = kept && Date.now() - kept.at < SEATS_MS ? kept.free : null;
  let free = await (reused ?? read());
  // Nothing left in a kept list: someone may have left since, so MongoDB is asked again.
  if (free.length === 0 && reused) free = await read();
  if (free.length === 0) return null;
  const [seat] = free.splice(Math.floor(Math.random() * free.length), 1);
  return seat ?? null;
}

/**
 * Makes a change of capacity or enforcement: freeze claims, apply it, let the claims in
 * flight land, give every check-in a seat under the new rule (numbers in [0, capacity)
 * while there is room, "over:<participant>" beyond it when capacity was lowered below
 * the count, "free:<participant>" when capacity is not enforced or, in an occupancy room,
 * for those who left), then rebuild the
 * session's door state from MongoDB, which lifts the freeze.
 */
export async function reseat<T>(
  door: Door,
  db: Db,
  stamps: Stamps,
  sessionId: ObjectId,
  change: () => Promise<T>,
): Promise<T> {
  await door.freeze(sessionId, FREEZE_MS);
  try {
    const changed = await change();
    for (let ms = 0; ms < DRAIN_MS && (await door.inFlight(sessionId)) > 0; ms += WAIT_STEP_MS)
      await sleep(WAIT_STEP_MS);
    const capacity = await enforcedCapacity(db, sessionId);
    const occupancy = (await sessionsOf(db).findOne({ _id: sessionId }))?.capacityMode === "occupancy";
    const docs = await checkinsOf(db)
      .find({ sessionId }, { projection: { _id: 1, seat: 1, participantId: 1, checkedOutAt: 1 } })
      .sort({ checkInTime: 1 })
      .toArray();
    // In an occupancy room only the people inside hold a seat.
    const holds = (doc: (typeof docs)[number]) => capacity > 0 && !(occupancy && doc.checkedOutAt);
    const fits = (seat: number | string) => typeof seat === "number" && seat < capacity;
    const kept = new Set(
      docs
        .filter(holds)
        .map((d) => d.seat)
        .filter(fits),
    );
    const free = Array.from({ length: capacity }, (_, i) => i).filter((i) => !kept.has(i));
    for (const doc of docs) {
      if (holds(doc) && fits(doc.seat)) continue;
      const seat = holds(doc) ? (free.shift() ?? `over:${doc.participantId}`) : `free:${doc.participantId}`;
      if (seat !== doc.seat)
        await stamps.during(({ at, changeWindow }) =>
          checkinsOf(db).updateOne({ _id: doc._id }, { $set: { seat, updatedAt: at, changeWindow } }),
        );
    }
    return changed;
  } finally {
    await door.replace(sessionId).catch(async () => {
      await door.forget(sessionId).catch(() => undefined);
    });
  }
}
