import type { Db, Filter, ObjectId } from "mongodb";
import type { Features } from "../features";
import { notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import { groupedInserts } from "../infra/grouped";
import { isDuplicateKey } from "../infra/mongo";
import type { Runtime } from "../runtime";
import type { OpenMarks } from "./marks";
import { createPlaces, type Place, type Places } from "./places";
import { type RegistrationDoc, registrationsOf } from "./repo";

/**
 * A write to one registration, inside its session's open mark: one statement, on its id and
 * session (places.ts). Where the place is not known (or out of date), one read finds it
 * first. Answers the document as it was before the write, or a 404.
 */
function oneRegistrationWriter(db: Db, marks: OpenMarks, places: Places) {
  return async function writingOne(
    id: ObjectId,
    write: (filter: Filter<RegistrationDoc>) => Promise<RegistrationDoc | null>,
    /** What a write that found its registration left it in (null: no status written). */
    left: RegistrationDoc["status"] | "" | null,
    place: Place | null = null,
  ): Promise<RegistrationDoc> {
    const at = place ?? (await registrationsOf(db).findOne({ _id: id }));
    if (!at) throw notFound(phrase("Registration with ID {id} not found", { id: String(id) }));
    const before = await marks.writing(at.sessionId, () => write({ _id: id, sessionId: at.sessionId }), {
      participantId: at.participantId,
      state: (found) => (found ? left : null),
    });
    if (!before && place) {
      // Removed meanwhile, or noted wrongly: MongoDB says which.
      await places.forget(id);
      return writingOne(id, write, left);
    }
    if (!before) throw notFound(phrase("Registration with ID {id} not found", { id: String(id) }));
    if (!place) await places.note(before);
    return before;
  };
}

/**
 * What the API and the admin page do to one registration; the door sees it at once. Each
 * costs a few operations whatever its session's size: the write inside its session's open
 * mark (marks.ts), and the one field of the door's state it changes.
 */
export function registrationActions(
  rt: Runtime,
  features: Pick<Features, "door" | "registrationMarks" | "webhooks">,
) {
  const db = rt.mongo.db;
  const { door: svc, registrationMarks: marks, webhooks } = features;
  // Calls that arrive together share one insert (each still answered with its own outcome).
  const inserts = groupedInserts(() => registrationsOf(db));
  const places = createPlaces(rt.redis.cmd);
  /** Endpoints that asked hear of it, in the session's order (a webhook that cannot be queued is logged, the write stands). */
  const announce = (
    doc: Pick<RegistrationDoc, "_id" | "sessionId" | "participantId">,
    status: string | null,
  ) =>
    webhooks
      .emit({
        type: "registration.changed",
        stream: String(doc.sessionId),
        participantId: doc.participantId,
        data: {
          registrationId: String(doc._id),
          sessionId: String(doc.sessionId),
          participantId: String(doc.participantId),
          status: status ?? "deleted",
        },
      })
      .catch((err: unknown) => rt.log.warn({ err: String(err) }, "webhook for a registration not queued"));
  const writingOne = oneRegistrationWriter(db, marks, places);
  return {
    async create(doc: RegistrationDoc): Promise<void> {
      await marks
        .writing(doc.sessionId, () => inserts.insert(doc), {
          participantId: doc.participantId,
          state: () => doc.status,
        })
        .catch(async (error) => {
          // It exists (a retry of a call whose instance died after writing, say): the door hears
          // of it now, in case that instance died before telling it. The caller still gets its 409.
          if (isDuplicateKey(error)) {
            const existing = await registrationsOf(db).findOne({
              sessionId: doc.sessionId,
              participantId: doc.participantId,
            });
            if (existing)
              await svc.registrationWritten(existing.sessionId, existing.participantId, existing.status);
          }
          throw error;
        });
      await Promise.all([
        svc.registrationWritten(doc.sessionId, doc.participantId, doc.status),
        places.note(doc),
      ]);
      await announce(doc, doc.status);
    },
    async update(id: ObjectId, patch: { status?: RegistrationDoc["status"]; notes?: string }) {
      const change = { ...patch, updatedAt: new Date() };
      const known = await writingOne(
        id,
        (filter) =>
          registrationsOf(db).findOneAndUpdate(filter, { $set: change }, { returnDocument: "before" }),
        patch.status ?? null,
        await places.find(id),
      );
      const updated: RegistrationDoc = { ...known, ...change };
      await svc.registrationWritten(updated.sessionId, updated.participantId, updated.status);
      await announce(updated, updated.status);
      return { before: known, after: updated };
    },
    async remove(id: ObjectId) {
      const removed = await writingOne(
        id,
        (filter) => registrationsOf(db).findOneAndDelete(filter),
        "",
        await places.find(id),
      );
      await Promise.all([
        svc.registrationWritten(removed.sessionId, removed.participantId, null),
        places.forget(id),
      ]);
      await announce(removed, null);
      return removed;
    },
  };
}
