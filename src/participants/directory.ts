import type Redis from "ioredis";
import { BSON, type Db } from "mongodb";
import { type ParticipantDoc, participantsOf } from "./repo";

// Badge code -> participant, for the whole event, in one Redis hash. On the busiest
// morning nearly every scan is a participant's first: a per-code cache would miss
// every time and send each scan to MongoDB (a table scan on FerretDB). The directory
// is loaded in one query and kept current by write-through on every participant
// change. A miss is never taken as "unknown badge": the caller asks MongoDB, so a
// badge written behind the API (import, restore) works at once.

const DIR = "participants:by-qr";
const FRESH = "participants:by-qr:fresh";
const VERSION = "participants:by-qr:version";
const BUILDING = "participants:by-qr:building";

const encode = (p: ParticipantDoc) => BSON.EJSON.stringify(p, { relaxed: false });
const decode = (text: string) => BSON.EJSON.parse(text, { relaxed: false }) as ParticipantDoc;

export function createDirectory(redis: Redis, db: Db, ttlMs: number) {
  async function rebuild(): Promise<void> {
    if ((await redis.set(BUILDING, "1", "PX", 30_000, "NX")) !== "OK") return;
    try {
      const version = await redis.get(VERSION);
      const all = await participantsOf(db).find({}).toArray();
      const tmp = `${DIR}:tmp`;
      const tx = redis.multi().del(tmp);
      for (let i = 0; i < all.length; i += 500) {
        tx.hset(tmp, ...all.slice(i, i + 500).flatMap((p) => [p.qrCode, encode(p)]));
      }
      if (all.length > 0) tx.rename(tmp, DIR);
      else tx.del(DIR);
      await tx.exec();
      // A participant written meanwhile may be missing from the copy: let the next miss reload.
      if ((await redis.get(VERSION)) === version) await redis.set(FRESH, "1", "PX", ttlMs);
    } finally {
      await redis.del(BUILDING);
    }
  }

  return {
    /** The participant with this code, or undefined when the directory does not have it. */
    async byQr(qrCode: string): Promise<ParticipantDoc | undefined> {
      try {
        const hit = await redis.hget(DIR, qrCode);
        if (hit) return decode(hit);
        if (!(await redis.exists(FRESH))) void rebuild().catch(() => undefined);
      } catch {
        // Redis trouble: MongoDB answers.
      }
      return undefined;
    },
    /** Write-through after a create or update; `previousQr` is removed when the code changed. */
    async put(participant: ParticipantDoc, previousQr?: string): Promise<void> {
      const tx = redis.multi().incr(VERSION);
      if (previousQr && previousQr !== participant.qrCode) tx.hdel(DIR, previousQr);
      await tx
        .hset(DIR, participant.qrCode, encode(participant))
        .exec()
        .catch(() => redis.del(FRESH).catch(() => undefined));
    },
    async remove(qrCode: string): Promise<void> {
      await redis
        .multi()
        .incr(VERSION)
        .hdel(DIR, qrCode)
        .exec()
        .catch(() => redis.del(FRESH).catch(() => undefined));
    },
    /** Reload from MongoDB now: at start-up, and after writes that bypass the API (seed, import). */
    async reload(): Promise<void> {
      await redis.del(FRESH);
      await rebuild();
    },
  };
}

export type Directory = ReturnType<typeof createDirectory>;
