import type { Db, ObjectId } from "mongodb";
import { type ParticipantDoc, participantsOf } from "../participants/repo";
import { type SessionDoc, sessionsOf } from "../sessions/repo";

// The one join of the product: records that name a participant and a session (check-ins,
// registrations) with both, in two queries for any number of records. Either may have
// been deleted since, so both are optional.

export interface Joined<T> {
  doc: T;
  participant?: ParticipantDoc;
  session?: SessionDoc;
}

const ids = (values: ObjectId[]) => [...new Map(values.map((id) => [String(id), id])).values()];

export async function withPeopleAndSessions<T extends { participantId: ObjectId; sessionId: ObjectId }>(
  db: Db,
  docs: T[],
): Promise<Joined<T>[]> {
  const [people, sessions] = await Promise.all([
    participantsOf(db)
      .find({ _id: { $in: ids(docs.map((d) => d.participantId)) } })
      .toArray(),
    sessionsOf(db)
      .find({ _id: { $in: ids(docs.map((d) => d.sessionId)) } })
      .toArray(),
  ]);
  const p = new Map(people.map((x) => [String(x._id), x]));
  const s = new Map(sessions.map((x) => [String(x._id), x]));
  return docs.map((doc) => ({
    doc,
    participant: p.get(String(doc.participantId)),
    session: s.get(String(doc.sessionId)),
  }));
}
