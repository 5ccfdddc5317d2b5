import type { Db, ObjectId } from "mongodb";
import { emptyParticipantEntries } from "../audit/log";
import { checkinsOf, scanlogOf } from "../checkin/repo";
import type { Features } from "../features";
import { AppError, badRequest, fieldError, notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import { isDuplicateKey } from "../infra/mongo";
import type { Runtime } from "../runtime";
import type { CreateParticipant, PatchParticipant } from "./fields";
import { isValidQrCode, normaliseQrCode } from "./qr";
import { normaliseEmail, type ParticipantDoc, participantRecord, participantsOf } from "./repo";

// What the API and the admin page do to participants: one service both call.

/** The name an erased person's record keeps: it still counts, it names nobody. */
import { ERASED_NAME } from "./repo";

function checkedQr(raw: string): string {
  const code = normaliseQrCode(raw);
  if (!isValidQrCode(code)) {
    throw badRequest("Validation failed", [
      fieldError("qrCode", "qrCode must look like QR-XXXX (letters, digits, dashes; at most 50 characters)"),
    ]);
  }
  return code;
}

async function rejectDuplicate(
  db: Db,
  error: unknown,
  fields: { email?: string; qrCode?: string },
): Promise<never> {
  if (isDuplicateKey(error)) {
    if (
      fields.email &&
      (await participantsOf(db).findOne({ email: fields.email }, { projection: { _id: 1 } }))
    ) {
      throw new AppError(
        409,
        phrase('Participant with email "{email}" already exists', { email: fields.email }),
      );
    }
    throw new AppError(
      409,
      phrase('Participant with qrCode "{code}" already exists', { code: fields.qrCode ?? "" }),
    );
  }
  throw error;
}

/** A walk-in also carries the door form's nonce (never from the API). */
type NewParticipant = typeof CreateParticipant.static & { walkInNonce?: string };

export function newParticipant(body: NewParticipant): ParticipantDoc {
  return participantRecord({ ...body, qrCode: body.qrCode ? checkedQr(body.qrCode) : undefined });
}

/** What the API and the admin page do to participants, in one place. */
export function participantActions(rt: Runtime, { door: svc, directory, webhooks }: Features) {
  const db = rt.mongo.db;
  return {
    async create(body: NewParticipant): Promise<ParticipantDoc> {
      const doc = newParticipant(body);
      await participantsOf(db)
        .insertOne(doc)
        .catch((error) => rejectDuplicate(db, error, doc));
      // Write-through: a scan of this badge on any instance finds it at once.
      await directory.changed(doc);
      await webhooks
        .emit({
          type: "participant.created",
          stream: "participants",
          participantId: doc._id,
          data: {
            participantId: String(doc._id),
            ...(doc.organization ? { organization: doc.organization } : {}),
          },
        })
        .catch((err: unknown) =>
          rt.log.warn({ err: String(err) }, "webhook for a new participant not queued"),
        );
      return doc;
    },
    async update(id: ObjectId, patch: typeof PatchParticipant.static): Promise<ParticipantDoc> {
      const set: Partial<ParticipantDoc> = { ...(patch as Partial<ParticipantDoc>), updatedAt: new Date() };
      if (patch.email !== undefined) set.email = normaliseEmail(patch.email);
      if (patch.qrCode !== undefined) set.qrCode = checkedQr(patch.qrCode);
      const updated = await participantsOf(db)
        .findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: "after" })
        .catch((error) => rejectDuplicate(db, error, set));
      if (!updated) throw notFound(phrase("Participant with ID {id} not found", { id: String(id) }));
      await directory.changed(updated);
      return updated;
    },
    /**
     * Erasure on request (GDPR art. 17): everything that identifies the person goes, and the
     * counts stay. The record keeps its id (registrations and check-ins still count) under a
     * placeholder name. Its badge code is replaced by one nobody holds, so the old badge is
     * unknown everywhere, door devices included from their next list. Earlier admin-log copies
     * of the record are emptied, and the scan log loses the badge codes read for them.
     */
    async erase(id: ObjectId): Promise<ParticipantDoc> {
      const now = new Date();
      const known = await participantsOf(db).findOne({ _id: id }, { projection: { email: 1 } });
      const erased = await participantsOf(db).findOneAndUpdate(
        { _id: id },
        {
          $set: {
            name: ERASED_NAME,
            email: `erased-${id}@erased.invalid`,
            qrCode: `ERASED-${crypto.randomUUID()}`,
            isActive: false,
            status: "regular",
            ambassadorPoints: 0,
            referredParticipantIds: [],
            travelGrantApplied: false,
            travelGrantApproved: null,
            erasedAt: now,
            updatedAt: now,
          },
          $unset: { organization: "", phone: "", notes: "", doorNote: "", walkInNonce: "" },
        },
        { returnDocument: "after" },
      );
      if (!erased) throw notFound(phrase("Participant with ID {id} not found", { id: String(id) }));
      await Promise.all([
        participantsOf(db).updateMany(
          { referredParticipantIds: id },
          { $pull: { referredParticipantIds: id } },
        ),
        // Stamped, so the door's copies drop the notes too.
        svc.stamps.during(({ at, changeWindow }) =>
          checkinsOf(db).updateMany(
            { participantId: id },
            { $set: { updatedAt: at, changeWindow }, $unset: { notes: "" } },
          ),
        ),
        scanlogOf(db).updateMany({ participantId: id }, { $unset: { qrCode: "" } }),
        emptyParticipantEntries(db, String(id), known?.email),
        webhooks.forget(id),
      ]);
      await directory.changed(erased);
      return erased;
    },
    async remove(id: ObjectId): Promise<ParticipantDoc> {
      const removed = await participantsOf(db).findOneAndDelete({ _id: id });
      if (!removed) throw notFound(phrase("Participant with ID {id} not found", { id: String(id) }));
      await participantsOf(db).updateMany(
        { referredParticipantIds: id },
        { $pull: { referredParticipantIds: id } },
      );
      await directory.changed(removed, { removed: true });
      await svc.removeParticipantRecords(id);
      return removed;
    },
  };
}
