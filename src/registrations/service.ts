import type { ObjectId } from "mongodb";
import type { Features } from "../features";
import { notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { Runtime } from "../runtime";
import { type RegistrationDoc, registrationsOf } from "./repo";

/**
 * What the API and the admin page do to one registration; the door sees it at once. Each
 * costs a few operations whatever its session's size: the write inside its session's open
 * mark (marks.ts), and the one field of the door's state it changes.
 */
export function registrationActions(rt: Runtime, features: Pick<Features, "door" | "registrationMarks">) {
  const db = rt.mongo.db;
  const { door: svc, registrationMarks: marks } = features;
  /** A write to one registration, inside its session's open mark. */
  async function writingOne<T>(id: ObjectId, write: () => Promise<T | null>): Promise<T> {
    const known = await registrationsOf(db).findOne({ _id: id }, { projection: { sessionId: 1 } });
    const done = known ? await marks.writing(known.sessionId, write) : null;
    if (!done) throw notFound(phrase("Registration with ID {id} not found", { id: String(id) }));
    return done;
  }
  return {
    async create(doc: RegistrationDoc): Promise<void> {
      await marks.writing(doc.sessionId, () => registrationsOf(db).insertOne(doc));
      await svc.registrationWritten(doc.sessionId, doc.participantId, doc.status);
    },
    async update(id: ObjectId, patch: { status?: RegistrationDoc["status"]; notes?: string }) {
      const updated = await writingOne(id, () =>
        registrationsOf(db).findOneAndUpdate(
          { _id: id },
          { $set: { ...patch, updatedAt: new Date() } },
          { returnDocument: "after" },
        ),
      );
      await svc.registrationWritten(updated.sessionId, updated.participantId, updated.status);
      return updated;
    },
    async remove(id: ObjectId) {
      const removed = await writingOne(id, () => registrationsOf(db).findOneAndDelete({ _id: id }));
      await svc.registrationWritten(removed.sessionId, removed.participantId, null);
      return removed;
    },
  };
}
