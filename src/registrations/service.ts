import type { ObjectId } from "mongodb";
import type { CheckinService } from "../checkin/service";
import { notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { Runtime } from "../runtime";
import { type RegistrationDoc, registrationsOf } from "./repo";

/** What the API and the admin page do to one registration; the door sees it at once. */
export function registrationActions(rt: Runtime, svc: CheckinService) {
  const db = rt.mongo.db;
  return {
    async update(id: ObjectId, patch: { status?: RegistrationDoc["status"]; notes?: string }) {
      const updated = await registrationsOf(db).findOneAndUpdate(
        { _id: id },
        { $set: { ...patch, updatedAt: new Date() } },
        { returnDocument: "after" },
      );
      if (!updated) throw notFound(phrase("Registration with ID {id} not found", { id: String(id) }));
      await svc.registrationsChanged(updated.sessionId);
      return updated;
    },
    async remove(id: ObjectId) {
      const removed = await registrationsOf(db).findOneAndDelete({ _id: id });
      if (!removed) throw notFound(phrase("Registration with ID {id} not found", { id: String(id) }));
      await svc.registrationsChanged(removed.sessionId);
      return removed;
    },
  };
}
