import type { ObjectId } from "mongodb";
import type { CheckinService } from "../door/service";
import { notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { Runtime } from "../runtime";
import { type RegistrationDoc, registrationsOf } from "./repo";
import { writingRegistrations } from "./rosters";

/** What the API and the admin page do to one registration; the door sees it at once. */
export function registrationActions(rt: Runtime, svc: CheckinService) {
  const db = rt.mongo.db;
  /** A write to one registration, its session's packed copy told before and after. */
  async function writingOne<T>(id: ObjectId, write: () => Promise<T | null>): Promise<T> {
    const known = await registrationsOf(db).findOne({ _id: id }, { projection: { sessionId: 1 } });
    const done = known ? await writingRegistrations(db, [known.sessionId], write) : null;
    if (!done) throw notFound(phrase("Registration with ID {id} not found", { id: String(id) }));
    return done;
  }
  return {
    async update(id: ObjectId, patch: { status?: RegistrationDoc["status"]; notes?: string }) {
      const updated = await writingOne(id, () =>
        registrationsOf(db).findOneAndUpdate(
          { _id: id },
          { $set: { ...patch, updatedAt: new Date() } },
          { returnDocument: "after" },
        ),
      );
      await svc.registrationsChanged(updated.sessionId);
      return updated;
    },
    async remove(id: ObjectId) {
      const removed = await writingOne(id, () => registrationsOf(db).findOneAndDelete({ _id: id }));
      await svc.registrationsChanged(removed.sessionId);
      return removed;
    },
  };
}
