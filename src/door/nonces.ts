import type Redis from "ioredis";
import { BSON } from "mongodb";
import { AppError, unavailable } from "../http/errors";
import { KEYS } from "../infra/keys";

// A nonce (the door's, or an Idempotency-Key) belongs to the first request that carried
// it, whatever that request's outcome: it is taken before anything is decided, with
// what the request asked (badge, session, direction, the staff's choice), and then
// holds that request's answer. The same request again gets the first answer; anything
// else under that nonce is refused and changes nothing. Entries and exits share it.

const KEPT_MS = 24 * 3600_000;
const PENDING = "P|";

/** Takes the nonce for this request, or returns what is there already. */
const TAKE = `
if redis.call("set", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return false end
return redis.call("get", KEYS[1])
`;
/** Gives a nonce back when its request failed before answering (only if still that request's). */
const RELEASE = `
if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end
return 0
`;

export const nonceReused = () =>
  new AppError(
    422,
    "This nonce (Idempotency-Key) was already used for a different scan (another badge, direction or choice); nothing was changed. Send a new one.",
  );

/** What a nonce holds once its request is answered: the answer, or the refusal in words. */
type Kept<T> =
  | { request: string; answer: T }
  | { request: string; refused: { status: number; phrase: AppError["phrase"]; errors?: AppError["errors"] } };

export type Taken<T> = { kind: "first" } | { kind: "answered"; answer: T } | { kind: "untracked" };

/**
 * `strict`: without Redis nothing is admitted (DISTRIBUTED_LOCK_MODE=strict), so a nonce
 * that cannot be taken pauses the scan at once, in the room's own words, rather than
 * waiting for the room to time out too; otherwise the database's guards decide.
 */
export function createNonces(redis: Redis, strict: boolean, onUnavailable: () => void = () => {}) {
  return {
    /**
     * `first`: this request owns the nonce and must `answer` (or `release`) it;
     * `answered`: the first answer of this same request; `untracked`: Redis is away (the
     * database's own guards decide). A different request under the nonce is refused (422).
     */
    async take<T>(nonce: string, fingerprint: string): Promise<Taken<T>> {
      const key = KEYS.nonce(nonce);
      let held: string | null;
      try {
        held = (await redis.eval(TAKE, 1, key, PENDING + fingerprint, KEPT_MS)) as string | null;
      } catch {
        onUnavailable();
        if (strict)
          throw unavailable(
            "Check-in is paused: the coordination service (Redis) is unavailable. Retry in a few seconds.",
          );
        return { kind: "untracked" };
      }
      if (held === null) return { kind: "first" };
      if (held.startsWith(PENDING)) {
        if (held.slice(PENDING.length) !== fingerprint) throw nonceReused();
        // The same request while its first try has no answer yet: a proxy re-sending it
        // because the instance that had it died, or a double tap. It goes through too:
        // MongoDB's unique indexes and the check-in's own nonce make it the same admission.
        return { kind: "first" };
      }
      const kept = BSON.EJSON.parse(held, { relaxed: false }) as Kept<T>;
      if (kept.request !== fingerprint) throw nonceReused();
      if ("refused" in kept)
        throw new AppError(kept.refused.status, kept.refused.phrase, kept.refused.errors);
      return { kind: "answered", answer: kept.answer };
    },
    /** The first answer (or refusal), kept for the nonce's retries. */
    async answer<T>(nonce: string, kept: Kept<T>): Promise<void> {
      await redis
        .set(KEYS.nonce(nonce), BSON.EJSON.stringify(kept, { relaxed: false }), "PX", KEPT_MS)
        .catch(() => undefined);
    },
    /** The request failed without an answer: its retry may try again. */
    async release(nonce: string, fingerprint: string): Promise<void> {
      await redis.eval(RELEASE, 1, KEYS.nonce(nonce), PENDING + fingerprint).catch(() => undefined);
    },
  };
}

export type Nonces = ReturnType<typeof createNonces>;

/** Runs `work` as the nonce's first request, or answers as the first one did. */
export async function once<T>(
  nonces: Nonces,
  nonce: string | undefined,
  fingerprint: string,
  work: () => Promise<T>,
  replayed: (answer: T) => T,
): Promise<T> {
  if (!nonce) return work();
  const taken = await nonces.take<T>(nonce, fingerprint);
  if (taken.kind === "answered") return replayed(taken.answer);
  if (taken.kind === "untracked") return work();
  let answer: T;
  try {
    answer = await work();
  } catch (error) {
    // A refusal in words is this request's answer too (its retry hears it again); a
    // failure (the database away, a timeout) leaves the nonce free for the retry.
    if (error instanceof AppError && error.status < 500 && error.status !== 429) {
      const { status, phrase, errors } = error;
      await nonces.answer(nonce, {
        request: fingerprint,
        refused: { status, phrase, ...(errors ? { errors } : {}) },
      });
    } else await nonces.release(nonce, fingerprint);
    throw error;
  }
  await nonces.answer(nonce, { request: fingerprint, answer });
  return answer;
}
