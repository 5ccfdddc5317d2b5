import { Elysia } from "elysia";
import type { Db, ObjectId } from "mongodb";
import { emptyParticipantEntries } from "../audit/log";
import { checkinsOf, scanlogOf } from "../checkin/repo";
import { ok } from "../http/envelope";
import { bulkWriteInSteps } from "../infra/mongo";
import type { Stamps } from "../infra/stamps";
import { ERASED_NAME, participantsOf } from "../participants/repo";
import { sessionsOf } from "../sessions/repo";

// Personal data that leaves when it should: once the event's last session has been over for
// the retention the organiser set, a scheduled job pseudonymises every participant (contact
// data and badge code gone; the name kept only where the organiser chose to keep it, for
// certificates), and removes from check-ins and the scan log what identifies devices and
// staff and the badge codes read. Ids stay, so every count and report stays as it was.
// Backups age out under their own retention (deploy/backup.sh).

export interface RetentionPolicy {
  /** Days after the event's last session ends; null keeps everything. */
  retentionDays: number | null;
  /** Keep participants' names (certificates need them); contact data goes either way. */
  retentionKeepNames: boolean;
}

/** When the policy falls due: the last session's end plus the retention (null: never). */
export function retentionDue(lastEnd: Date | null, policy: RetentionPolicy): Date | null {
  if (policy.retentionDays === null || lastEnd === null) return null;
  return new Date(lastEnd.getTime() + policy.retentionDays * 86_400_000);
}

export interface RetentionRun {
  due: Date | null;
  applied: boolean;
  participants: number;
}

/** Applies the policy if it is due; idempotent (people already pseudonymised are left alone). */
/** How a change to check-ins is stamped (door/stamps.ts). */
type Stamped = Stamps["during"];

export async function applyRetention(
  db: Db,
  policy: RetentionPolicy,
  stamped: Stamped,
  now = new Date(),
): Promise<RetentionRun> {
  const last = await sessionsOf(db)
    .find({}, { projection: { endTime: 1 } })
    .sort({ endTime: -1 })
    .limit(1)
    .toArray();
  const due = retentionDue(last[0]?.endTime ?? null, policy);
  if (!due || now < due) return { due, applied: false, participants: 0 };
  const people = await participantsOf(db)
    .find({ erasedAt: { $exists: false } }, { projection: { _id: 1 } })
    .toArray();
  await bulkWriteInSteps(
    participantsOf(db),
    people.map(({ _id }) => ({
      updateOne: {
        filter: { _id },
        update: {
          $set: {
            ...(policy.retentionKeepNames ? {} : { name: ERASED_NAME }),
            email: `erased-${_id}@erased.invalid`,
            qrCode: `ERASED-${crypto.randomUUID()}`,
            isActive: false,
            referredParticipantIds: [] as ObjectId[],
            erasedAt: now,
            updatedAt: now,
          },
          $unset: { organization: "", phone: "", notes: "", doorNote: "", walkInNonce: "" },
        },
      },
    })),
  );
  await Promise.all([
    stamped(({ at, changeWindow }) =>
      checkinsOf(db).updateMany(
        {},
        {
          // Stamped, so the door's copies of the check-ins are scrubbed too (door/copies.ts).
          $set: { updatedAt: at, changeWindow },
          $unset: {
            device: "",
            checkedInBy: "",
            checkedInById: "",
            lastEntryById: "",
            notes: "",
            instance: "",
          },
        },
      ),
    ),
    scanlogOf(db).updateMany({}, { $unset: { qrCode: "", device: "", by: "", byId: "" } }),
    emptyParticipantEntries(db),
  ]);
  return { due, applied: true, participants: people.length };
}

/** Applies the policy when due, then every instance forgets the old badges at once. */
export async function retentionRound(
  db: Db,
  policy: RetentionPolicy,
  directory: { reloadEverywhere(): Promise<void> },
  stamped: Stamped,
): Promise<RetentionRun> {
  const run = await applyRetention(db, policy, stamped);
  if (run.applied && run.participants > 0) await directory.reloadEverywhere();
  return run;
}

/** For admins: run the retention now (the scheduler runs it by itself; it changes nothing before it is due). */
export function retentionRoutes(
  db: Db,
  policy: () => RetentionPolicy,
  directory: { reloadEverywhere(): Promise<void> },
  stamped: Stamped,
) {
  return new Elysia({ name: "privacy-retention" }).post(
    "/api/v1/settings/retention/run",
    async ({ request }) => {
      const run = await retentionRound(db, policy(), directory, stamped);
      return ok(
        request,
        run,
        run.applied
          ? "Retention applied: personal data pseudonymised"
          : "Retention is not due yet: nothing changed",
      );
    },
  );
}
