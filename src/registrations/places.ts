import type Redis from "ioredis";
import { ObjectId } from "mongodb";
import { KEYS } from "../infra/keys";
import type { RegistrationDoc } from "./repo";

// Where each registration is: its session and participant, which no write ever changes.
// Kept in Redis by the calls that create and remove single registrations, so a status change
// or a removal is one statement in MongoDB (find-and-modify on its id and session) instead of
// a read and then a write; FerretDB spends about as much on the read as on the write. Only a
// shortcut: a registration not found here (Redis emptied, written by an import) is read from
// MongoDB first, as before, and noted for next time.

export type Place = Pick<RegistrationDoc, "sessionId" | "participantId">;

/** "<session>:<participant>", 49 characters. */
const encode = (place: Place) => `${place.sessionId.toHexString()}:${place.participantId.toHexString()}`;

export function decodePlace(value: string | null): Place | null {
  const [session, participant] = value?.split(":") ?? [];
  if (!session || !participant || !ObjectId.isValid(session) || !ObjectId.isValid(participant)) return null;
  return { sessionId: new ObjectId(session), participantId: new ObjectId(participant) };
}

export function createPlaces(redis: Redis) {
  return {
    /** Null when not known (or Redis cannot say): the caller reads MongoDB. */
    find: (id: ObjectId): Promise<Place | null> =>
      redis.hget(KEYS.registrationPlaces, id.toHexString()).then(decodePlace, () => null),
    /** Best effort: a place not noted costs the next change one read. */
    note: (doc: Place & { _id: ObjectId }): Promise<void> =>
      redis.hset(KEYS.registrationPlaces, doc._id.toHexString(), encode(doc)).then(
        () => undefined,
        () => undefined,
      ),
    forget: (id: ObjectId): Promise<void> =>
      redis.hdel(KEYS.registrationPlaces, id.toHexString()).then(
        () => undefined,
        () => undefined,
      ),
  };
}

export type Places = ReturnType<typeof createPlaces>;
