import { type Collection, type Db, ObjectId } from "mongodb";
import type { Principal } from "../auth/store";
import { tokensOf, usersOf } from "../auth/store";
import { AppError, notFound } from "../http/errors";
import { type Phrase, phrase, say } from "../i18n/locale";
import type { IndexSpec } from "../infra/mongo";
import { offlineScan } from "./offline";
import { EXIT_TEXT, reasonText } from "./reasons";
import type { CheckinService } from "./service";

// Scans a door device queued under one account, while another person is signed in on
// it. They are never sent under the newcomer's name: they can be handed to an admin,
// who replays them (each as the queued scan it was, at its own time, with its own
// nonce) or discards them; both are in the admin log. Scans queued by an account that
// has since been disabled or revoked are refused with a report, never replayed.

export interface HandedScan {
  sessionId: ObjectId;
  code: string;
  direction: "entry" | "exit";
  scannedAt: Date;
  nonce: string;
  provisional?: string;
  device?: string;
  /** The device's seat lease, against which its door admitted the person offline. */
  lease?: string;
}

export interface HandoverDoc {
  _id: ObjectId;
  at: Date;
  /** Who handed them over: the person signed in on the device (proven). */
  handedOverBy: { kind: string; id: string; name: string };
  /** Whose queue it was, as the device recorded it ("user:<id>" or "token:<id>", and a name). */
  queuedBy: { account: string; name: string };
  scans: HandedScan[];
  status: "waiting" | "replayed" | "discarded" | "refused";
  settledAt?: Date;
  settledBy?: { kind: string; id: string; name: string };
  /** Per scan, in order: what the server made of it, in words. */
  results?: { nonce: string; outcome: string; message: string }[];
  /** Why nothing was replayed, when refused. */
  refusal?: string;
}

export const HANDOVER_INDEXES: IndexSpec[] = [{ collection: "handovers", key: { status: 1, at: -1 } }];
export const handoversOf = (db: Db): Collection<HandoverDoc> => db.collection<HandoverDoc>("handovers");

/** A device hands over the queues of the few people who worked it; more waiting is a flood. */
const WAITING_PER_SENDER = 20;

/** Refuses a sender whose earlier hand-overs already wait in numbers: a flood, not a shift change. */
async function assertFewWaiting(db: Db, from: Principal): Promise<void> {
  const waiting = await handoversOf(db).countDocuments({
    status: "waiting",
    "handedOverBy.kind": from.kind,
    "handedOverBy.id": from.id,
  });
  if (waiting >= WAITING_PER_SENDER)
    throw new AppError(
      429,
      phrase(
        "{n} hand-overs from this account already wait for an admin: ask one to replay or discard them first",
        { n: waiting },
      ),
    );
}

const who = (principal: Principal) => ({ kind: principal.kind, id: principal.id, name: principal.name });

/** Whether the account that queued the scans can still work a door. */
async function stillActive(db: Db, account: string): Promise<boolean> {
  const [kind, id] = account.split(":");
  if (!id || !ObjectId.isValid(id)) return false;
  if (kind === "user")
    return (await usersOf(db).countDocuments({ _id: new ObjectId(id), disabled: false })) > 0;
  if (kind === "token")
    return (await tokensOf(db).countDocuments({ _id: new ObjectId(id), revokedAt: null })) > 0;
  return false;
}

export function createHandovers(db: Db, svc: CheckinService) {
  const settle = async (id: ObjectId, admin: Principal, change: Partial<HandoverDoc>) => {
    const done = await handoversOf(db).findOneAndUpdate(
      { _id: id, status: "waiting" },
      { $set: { ...change, settledAt: new Date(), settledBy: who(admin) } },
      { returnDocument: "after" },
    );
    if (!done) throw new AppError(409, "These scans were already replayed or discarded");
    return done;
  };

  /** One queued scan, replayed as it was queued; what it became, in words. */
  async function replayOne(scan: HandedScan, doc: HandoverDoc, admin: Principal) {
    const by = `${admin.name} · ${say("en", phrase("queued by {name}", { name: doc.queuedBy.name }))}`;
    const byId = `${admin.kind}:${admin.id}`;
    try {
      const offline = offlineScan({ scannedAt: scan.scannedAt.toISOString(), provisional: scan.provisional });
      if (scan.direction === "exit") {
        const left = await svc.exit({
          sessionId: scan.sessionId,
          participant: { qrCode: scan.code },
          by,
          byId,
          device: scan.device,
          nonce: scan.nonce,
          scannedAt: offline?.scannedAt,
        });
        return { outcome: left.outcome, message: say("en", phrase(EXIT_TEXT[left.outcome])) };
      }
      const result = await svc.scan({
        sessionId: scan.sessionId,
        participant: { qrCode: scan.code },
        method: "qr",
        acceptUnregistered: false,
        by,
        byId,
        device: scan.device,
        nonce: scan.nonce,
        offline,
        ...(scan.lease ? { lease: scan.lease } : {}),
      });
      return {
        outcome: result.verdict.reason,
        message: say("en", reasonText(result.verdict, result.session)),
      };
    } catch (error) {
      if (error instanceof AppError) return { outcome: "refused", message: error.message };
      throw error;
    }
  }

  return {
    /** Stores a device's queue of someone else's scans for an admin. */
    async receive(from: Principal, queuedBy: HandoverDoc["queuedBy"], scans: HandedScan[]) {
      await assertFewWaiting(db, from);
      const doc: HandoverDoc = {
        _id: new ObjectId(),
        at: new Date(),
        handedOverBy: who(from),
        queuedBy,
        scans,
        status: "waiting",
      };
      await handoversOf(db).insertOne(doc);
      return doc;
    },
    list: () => handoversOf(db).find({}).sort({ at: -1 }).limit(100).toArray(),
    /** Replays them in order; refused as a whole when the queuing account is disabled or revoked. */
    async replay(id: ObjectId, admin: Principal): Promise<HandoverDoc> {
      const doc = await handoversOf(db).findOne({ _id: id });
      if (!doc) throw notFound(phrase("No handed-over scans with ID {id}", { id: String(id) }));
      if (doc.status !== "waiting") throw new AppError(409, "These scans were already replayed or discarded");
      if (!(await stillActive(db, doc.queuedBy.account))) {
        const refusal: Phrase = phrase(
          "{name}'s account is disabled or revoked: their queued scans are not replayed. Check the people in by hand if they attended.",
          { name: doc.queuedBy.name },
        );
        return settle(id, admin, { status: "refused", refusal: say("en", refusal) });
      }
      // Claimed first, so two admins cannot replay one queue twice (the nonces would hold anyway).
      await settle(id, admin, { status: "replayed" });
      const results: NonNullable<HandoverDoc["results"]> = [];
      for (const scan of doc.scans)
        results.push({ nonce: scan.nonce, ...(await replayOne(scan, doc, admin)) });
      await handoversOf(db).updateOne({ _id: id }, { $set: { results } });
      return { ...doc, status: "replayed", results };
    },
    discard: (id: ObjectId, admin: Principal) => settle(id, admin, { status: "discarded" }),
  };
}

export type Handovers = ReturnType<typeof createHandovers>;
