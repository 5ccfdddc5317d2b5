import type { ObjectId } from "mongodb";

// Every Redis key the product writes, in one place. The database prefix
// ("checkin:<db>:") is added by the connection itself (ioredis keyPrefix), so two
// deployments or test databases sharing one Redis never see each other's keys.

type Id = ObjectId | string;

export const KEYS = {
  /** A session's door state: registrations, roster, count, seat build (see checkin/door.ts). */
  door: (session: Id) => `door:${session}`,
  /** A session's free seat numbers. */
  seats: (session: Id) => `door:${session}:seats`,
  /** Seats leased to door devices for offline work (door/leases.ts). */
  leases: (session: Id) => `door:${session}:leases`,
  /** What a nonce belongs to: its first request, then that request's answer (checkin/nonces.ts). */
  nonce: (nonce: string) => `nonce:${nonce}`,
  /** Stands in for an absent key, so a script always receives the same number of keys. */
  none: "none",
  /** One rate-limit window of one caller. */
  rateWindow: (caller: string, window: number) => `ratelimit:${caller}:${window}`,
  /** Whether a full room may be recounted in MongoDB now (at most once a second). */
  recount: (session: Id) => `recount:${session}`,
  lock: (name: string) => `lock:${name}`,
  /** Each instance's low water (door/stamps.ts), by instance id: "<ms>:<published at ms>". */
  lowWaters: "door-copies:low-waters",
  /** Each registration's session and participant, by registration id (registrations/places.ts). */
  registrationPlaces: "registrations:places",
  /** Failed sign-ins of one account (lowercased email) in the current lockout window. */
  /** `who`: "account:<email>" or "address:<ip>". */
  loginFailures: (who: string) => `login-failures:${who}`,
} as const;
