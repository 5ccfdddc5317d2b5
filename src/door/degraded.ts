import type { Db, ObjectId } from "mongodb";
import { type CheckInDoc, checkinsOf } from "../checkin/repo";
import type { Person } from "../participants/directory";
import { registrationsOf } from "../registrations/repo";
import type { SessionDoc } from "../sessions/repo";
import type { RegistrationState } from "./decide";

// Without Redis (degraded mode) the room's questions go to MongoDB. What may be a moment old
// is kept a moment on this instance: a session's registrations (REGISTRATIONS_MS), its counts
// (COUNTS_MS) and its free seats (seats.ts), each of which reads many documents. Nobody is admitted twice or over capacity for it: MongoDB's unique indexes
// (one check-in per person, one holder per seat) decide every admission, and the person's
// own check-in is always read, so an exit and a re-entry are never mistaken.

const REGISTRATIONS_MS = 2000;
const COUNTS_MS = 1000;

export interface MongoFacts {
  registration: RegistrationState;
  existing: CheckInDoc | null;
  count: number;
  taken: number;
}

/** A value read at most once per `ms` per key; a failed read is not kept. */
function reused<T>(ms: number) {
  const kept = new Map<string, { at: number; value: Promise<T> }>();
  return (key: string, read: () => Promise<T>): Promise<T> => {
    const hit = kept.get(key);
    if (hit && Date.now() - hit.at < ms) return hit.value;
    const value = read();
    kept.set(key, { at: Date.now(), value });
    value.catch(() => kept.delete(key));
    return value;
  };
}

export function createDegradedFacts(db: Db) {
  const registrations = reused<Map<string, RegistrationState>>(REGISTRATIONS_MS);
  const counts = reused<{ count: number; taken: number }>(COUNTS_MS);
  const statusesOf = (sessionId: ObjectId) =>
    registrations(String(sessionId), async () => {
      const docs = await registrationsOf(db)
        .find({ sessionId }, { projection: { participantId: 1, status: 1, _id: 0 } })
        .toArray();
      return new Map(docs.map((r) => [String(r.participantId), r.status as RegistrationState]));
    });
  const countsOf = (session: SessionDoc) =>
    counts(String(session._id), async () => {
      const docs = await checkinsOf(db)
        .find({ sessionId: session._id }, { projection: { checkedOutAt: 1, _id: 0 } })
        .toArray();
      return { count: docs.length, taken: docs.filter((d) => !d.checkedOutAt).length };
    });
  return async (session: SessionDoc, participant: Person | null): Promise<MongoFacts> => {
    const [statuses, existing, figures] = await Promise.all([
      statusesOf(session._id),
      participant ? checkinsOf(db).findOne({ sessionId: session._id, participantId: participant._id }) : null,
      countsOf(session),
    ]);
    return {
      registration: participant ? (statuses.get(String(participant._id)) ?? "none") : "none",
      existing,
      count: figures.count,
      taken: session.capacityMode === "occupancy" ? figures.taken : figures.count,
    };
  };
}
