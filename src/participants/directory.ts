import type Redis from "ioredis";
import { BSON, type Db, type ObjectId } from "mongodb";
import { type ParticipantDoc, participantsOf } from "./repo";

// Badge code -> participant, for the whole event, in Redis. On the busiest morning
// nearly every scan is a participant's first: a per-code cache would miss every time
// and send each scan to MongoDB (a table scan on FerretDB). The directory is loaded
// in one query and written through on every participant change.
//
// Every entry carries a version (the document's updatedAt); a write only lands if it
// is newer than what is there, so out-of-order writes and a reload racing a change
// can never bring an old version back. Two hashes: code -> "v|participantId|doc"
// and participantId -> "v|code" (the participant's current code, "-" once deleted);
// a code is only trusted while it is still its participant's current code, so a
// replaced or deleted badge stops working at once. A miss is never taken as
// "unknown badge": the caller asks MongoDB.

const BY_CODE = "participants:by-qr";
const CODE_OF = "participants:qr-of";

const PUT = `
local current = redis.call("hget", KEYS[2], ARGV[1])
if current then
  local version, code = string.match(current, "^(%d+)|(.*)$")
  if tonumber(version) > tonumber(ARGV[3]) then return 0 end
  if code ~= "-" and code ~= ARGV[2] then redis.call("hdel", KEYS[1], code) end
end
redis.call("hset", KEYS[2], ARGV[1], ARGV[3] .. "|" .. ARGV[2])
if ARGV[2] ~= "-" then redis.call("hset", KEYS[1], ARGV[2], ARGV[3] .. "|" .. ARGV[1] .. "|" .. ARGV[4]) end
return 1`;

const BY_QR = `
local entry = redis.call("hget", KEYS[1], ARGV[1])
if not entry then return false end
local id, doc = string.match(entry, "^%d+|([^|]+)|(.*)$")
if not id then return false end
local current = redis.call("hget", KEYS[2], id)
if not current or string.match(current, "^%d+|(.*)$") ~= ARGV[1] then return false end
return doc`;

const BY_ID = `
local current = redis.call("hget", KEYS[2], ARGV[1])
if not current then return false end
local code = string.match(current, "^%d+|(.*)$")
if code == "-" then return false end
local entry = redis.call("hget", KEYS[1], code)
if not entry then return false end
local id, doc = string.match(entry, "^%d+|([^|]+)|(.*)$")
if id ~= ARGV[1] then return false end
return doc`;

const encode = (p: ParticipantDoc) => BSON.EJSON.stringify(p, { relaxed: false });
const decode = (text: string) => BSON.EJSON.parse(text, { relaxed: false }) as ParticipantDoc;
const version = (p: ParticipantDoc) => p.updatedAt.getTime();

export function createDirectory(redis: Redis, db: Db) {
  const put = (p: ParticipantDoc) =>
    redis.eval(PUT, 2, BY_CODE, CODE_OF, String(p._id), p.qrCode, version(p), encode(p));
  const lookup = async (script: string, arg: string) => {
    try {
      const doc = (await redis.eval(script, 2, BY_CODE, CODE_OF, arg)) as string | null;
      return doc ? decode(doc) : undefined;
    } catch {
      return undefined; // Redis trouble: MongoDB answers.
    }
  };

  return {
    /** The participant with this code, or undefined when the directory does not know it. */
    byQr: (qrCode: string) => lookup(BY_QR, qrCode),
    byId: (id: ObjectId) => lookup(BY_ID, String(id)),
    /** Write-through after a create or update (or a lookup that had to ask MongoDB). */
    async put(participant: ParticipantDoc): Promise<void> {
      await put(participant).catch(() => undefined);
    },
    /** After a delete: the participant's code stops resolving everywhere. */
    async remove(id: ObjectId, at = Date.now()): Promise<void> {
      await redis.eval(PUT, 2, BY_CODE, CODE_OF, String(id), "-", at, "").catch(() => undefined);
    },
    /** Merges every participant from MongoDB: at start-up, and after writes behind the API. */
    async reload(): Promise<number> {
      const all = await participantsOf(db).find({}).toArray();
      for (let i = 0; i < all.length; i += 500) {
        const batch = redis.pipeline();
        for (const p of all.slice(i, i + 500)) {
          batch.eval(PUT, 2, BY_CODE, CODE_OF, String(p._id), p.qrCode, version(p), encode(p));
        }
        await batch.exec();
      }
      return all.length;
    },
  };
}
