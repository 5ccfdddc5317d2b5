import type { Collection, Db } from "mongodb";
import { unavailable } from "../http/errors";
import type { IndexSpec } from "../infra/mongo";
import type { Bus } from "../live/bus";

// A sign-in that was signed out. The cookie is a signed token, so it stays well-formed
// after sign-out: the sign-in's id is written down (MongoDB, the source of truth, then
// announced on the bus) and every instance refuses cookies that carry it until the
// sign-in would have ended anyway. Each instance keeps the ids in memory: one lookup
// per request would cost every page and scan a round trip.

interface SignedOutDoc {
  /** The sign-in's id (the cookie's `sid`). */
  _id: string;
  userId: string;
  at: Date;
  /** When the sign-in would have ended by itself: the record is no longer needed after. */
  until: Date;
}

const RETRY_MS = 2000;

export const SIGN_IN_INDEXES: IndexSpec[] = [{ collection: "signed_out", key: { until: 1 } }];

const signedOutOf = (db: Db): Collection<SignedOutDoc> => db.collection<SignedOutDoc>("signed_out");

export function createSignIns(db: Db, bus: Bus) {
  /** Signed-out sign-in id → when it would have ended (ms). */
  const ended = new Map<string, number>();
  const prune = () => {
    const now = Date.now();
    for (const [id, until] of ended) if (until <= now) ended.delete(id);
  };
  /** Everything signed out that still matters, from the source of truth (at start, after a missed message). */
  let loaded = false;
  const load = async () => {
    const docs = await signedOutOf(db)
      .find({ until: { $gt: new Date() } })
      .toArray();
    for (const doc of docs) ended.set(doc._id, doc.until.getTime());
    loaded = true;
  };
  /** The first read, tried again until it succeeds: until then no cookie can be trusted. */
  const firstLoad = (): Promise<void> =>
    load().catch(async () => {
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      return firstLoad();
    });
  void bus.listen((event) => {
    if (event.kind === "signed-out") ended.set(event.signInId, event.until);
    else if (event.kind === "resync" || event.kind === "restored") void load().catch(() => undefined);
  });
  const pruning = setInterval(prune, 10 * 60_000);
  pruning.unref?.();
  return {
    load: firstLoad,
    /**
     * Whether a sign-in was signed out. Before the first read succeeded the answer is not
     * known, and a signed-out cookie must not pass for a live one: a 503 in words instead.
     */
    isEnded(signInId: string): boolean {
      if (!loaded) throw unavailable("This server is still reading who signed out; retry in a few seconds.");
      return ended.has(signInId);
    },
    /** Ends a sign-in on every instance; stored first, so an instance started later knows it too. */
    async end(signInId: string, userId: string, until: number): Promise<void> {
      ended.set(signInId, until);
      await signedOutOf(db).updateOne(
        { _id: signInId },
        { $setOnInsert: { userId, at: new Date(), until: new Date(until) } },
        { upsert: true },
      );
      await bus.publish({ kind: "signed-out", signInId, until });
      // Old records are useless: removed now and then, by whoever signs out.
      if (Math.random() < 0.05)
        await signedOutOf(db)
          .deleteMany({ until: { $lt: new Date() } })
          .catch(() => undefined);
    },
  };
}

export type SignIns = ReturnType<typeof createSignIns>;
