import type { ObjectId } from "mongodb";
import type { Features } from "../features";
import { notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import { groupedInserts } from "../infra/grouped";
import { isDuplicateKey } from "../infra/mongo";
import type { Runtime } from "../runtime";
import { type RegistrationDoc, registrationsOf } from "./repo";

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
  /**
   * A write to one registration, inside its session's open mark: the one read finds its
   * session, then one statement writes it (the MongoDB-wire server on the local stack finds
   * a document by scanning its collection, so each lookup saved counts).
   */
  async function writingOne(
    id: ObjectId,
    write: (known: RegistrationDoc) => Promise<boolean>,
    /** What a write that found its registration left it in (null: no status written). */
    left: RegistrationDoc["status"] | "" | null,
  ) {
    const known = await registrationsOf(db).findOne({ _id: id });
    const done = known
      ? await marks.writing(known.sessionId, () => write(known), {
          participantId: known.participantId,
          state: (found) => (found ? left : null),
        })
      : false;
    if (!known || !done) throw notFound(phrase("Registration with ID {id} not found", { id: String(id) }));
    return known;
  }
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
      await svc.registrationWritten(doc.sessionId, doc.participantId, doc.status);
      await announce(doc, doc.status);
    },
    async update(id: ObjectId, patch: { status?: RegistrationDoc["status"]; notes?: string }) {
      const change = { ...patch, updatedAt: new Date() };
      const known = await writingOne(
        id,
        async () => (await registrationsOf(db).updateOne({ _id: id }, { $set: change })).matchedCount === 1,
        patch.status ?? null,
      );
      const updated: RegistrationDoc = { ...known, ...change };
      await svc.registrationWritten(updated.sessionId, updated.participantId, updated.status);
      await announce(updated, updated.status);
      return { before: known, after: updated };
    },
    async remove(id: ObjectId) {
      const removed = await writingOne(
        id,
        async () => (await registrationsOf(db).deleteOne({ _id: id })).deletedCount === 1,
        "",
      );
      await svc.registrationWritten(removed.sessionId, removed.participantId, null);
      await announce(removed, null);
      return removed;
    },
  };
}
