import { type Collection, type Db, ObjectId } from "mongodb";
import { badRequest } from "../http/errors";
import { type Locale, phrase } from "../i18n/locale";
import type { IndexSpec } from "../infra/mongo";
import type { Bus } from "../live/bus";
import { hashPassword, randomSecret, sha256Hex } from "./password";
import type { Role } from "./policy";

export interface UserDoc {
  _id: ObjectId;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  createdAt: Date;
  disabled: boolean;
  /** A scanner's sessions; absent means all. */
  sessionIds?: ObjectId[];
  /** Bumped by "sign out everywhere": cookies carrying an older one are refused. */
  sessionVersion?: number;
  /** The language pages are written in for this person, unless a device chose another. */
  language?: Locale;
}

export interface TokenDoc {
  _id: ObjectId;
  name: string;
  role: Role;
  /** SHA-256 of the token: the token itself is shown once and never stored. */
  hash: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  /** A scanner's sessions; absent means all. */
  sessionIds?: ObjectId[];
}

export interface Principal {
  kind: "user" | "token";
  id: string;
  name: string;
  role: Role;
  /** The sessions a scanner is assigned to (IDs); absent means all. */
  sessions?: string[];
  /** An account's session version (see UserDoc). */
  version?: number;
  /** An account's language (see UserDoc). */
  language?: Locale;
}

/** Session IDs as given (one, several, or none); each must name an existing session. */
async function existingSessions(db: Db, given: string | string[] | undefined): Promise<ObjectId[]> {
  const list = given === undefined ? [] : Array.isArray(given) ? given : [given];
  const ids = [...new Set(list.map((id) => id.trim().toLowerCase()))].filter(Boolean);
  const malformed = ids.find((id) => !/^[0-9a-fA-F]{24}$/.test(id));
  if (malformed)
    throw badRequest(
      phrase('"{value}" is not a session ID (24 hexadecimal characters)', { value: malformed }),
    );
  const found = await db
    .collection("sessions")
    .find({ _id: { $in: ids.map((id) => ObjectId.createFromHexString(id)) } }, { projection: { _id: 1 } })
    .toArray();
  const known = new Set(found.map((s) => String(s._id)));
  const missing = ids.find((id) => !known.has(id));
  if (missing) throw badRequest(phrase("There is no session with ID {id} to assign", { id: missing }));
  return ids.map((id) => ObjectId.createFromHexString(id));
}

/** Sessions to limit a new token or account to; only a scanner's limit means anything. */
export async function assignableSessions(
  db: Db,
  role: Role,
  given: string | string[] | undefined,
): Promise<ObjectId[]> {
  const ids = await existingSessions(db, given);
  if (ids.length > 0 && role !== "scanner") {
    throw badRequest(
      phrase("Only scanners can be limited to sessions; a {role} works every session", { role }),
    );
  }
  return ids;
}

/** The assignment as principals carry it: only a non-empty list restricts. */
const assignedSessions = (ids?: ObjectId[]) => (ids && ids.length > 0 ? { sessions: ids.map(String) } : {});

/** A staff account as the session cookie carries it. */
export const userPrincipal = (user: UserDoc): Principal => ({
  kind: "user",
  id: String(user._id),
  name: user.name,
  role: user.role,
  version: user.sessionVersion ?? 0,
  ...(user.language ? { language: user.language } : {}),
  ...assignedSessions(user.sessionIds),
});

const ACCOUNT_TTL_MS = 5000;

/**
 * Accounts as every request checks them: read from MongoDB at most every few seconds
 * per instance, and dropped on every instance the moment a change is announced, so a
 * disabled account, a new role or assignment, or "sign out everywhere" applies at once.
 */
export function createAccounts(db: Db, bus: Bus) {
  const known = new Map<string, { principal: Principal | null; until: number }>();
  void bus.listen((event) => {
    if (event.kind === "account") known.delete(event.userId);
    else if (event.kind === "resync" || event.kind === "restored") known.clear();
  });
  return {
    /** The account as it is now; null if it does not exist or is disabled. */
    async current(id: string): Promise<Principal | null> {
      const hit = known.get(id);
      if (hit && hit.until > Date.now()) return hit.principal;
      const user = ObjectId.isValid(id) ? await usersOf(db).findOne({ _id: new ObjectId(id) }) : null;
      const principal = user && !user.disabled ? userPrincipal(user) : null;
      known.set(id, { principal, until: Date.now() + ACCOUNT_TTL_MS });
      return principal;
    },
    /** After any change to an account: every instance reads it again before its next request. */
    async changed(id: string): Promise<void> {
      known.delete(id);
      await bus.publish({ kind: "account", userId: id });
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;

export const AUTH_INDEXES: IndexSpec[] = [
  { collection: "users", key: { email: 1 }, options: { unique: true, name: "user_email_unique" } },
  { collection: "api_tokens", key: { hash: 1 }, options: { unique: true, name: "token_hash_unique" } },
];

export const usersOf = (db: Db): Collection<UserDoc> => db.collection<UserDoc>("users");
export const tokensOf = (db: Db): Collection<TokenDoc> => db.collection<TokenDoc>("api_tokens");

const TOKEN_TTL_MS = 60_000;

/** Creates an API token; the returned secret is the only copy. */
export async function createToken(
  db: Db,
  name: string,
  role: Role,
  sessionIds: ObjectId[] = [],
): Promise<{ token: string; doc: TokenDoc }> {
  const token = `ck_${randomSecret(32)}`;
  const doc: TokenDoc = {
    _id: new ObjectId(),
    name,
    role,
    hash: await sha256Hex(token),
    prefix: token.slice(0, 9),
    createdAt: new Date(),
    revokedAt: null,
    ...(sessionIds.length > 0 ? { sessionIds } : {}),
  };
  await tokensOf(db).insertOne(doc);
  return { token, doc };
}

const tokenPrincipal = (doc: TokenDoc): Principal => ({
  kind: "token",
  id: String(doc._id),
  name: doc.name,
  role: doc.role,
  ...assignedSessions(doc.sessionIds),
});

/** Tokens an instance remembers at most (the oldest is forgotten first). */
const TOKENS_KEPT = 5000;

/**
 * Bearer tokens, looked up once and then answered from this instance's memory. A
 * revocation is announced on the bus and forgotten by every instance at once; the
 * lifetime only bounds how long a lost announcement could matter. Only tokens that exist
 * are remembered, and at most TOKENS_KEPT: a stream of made-up tokens cannot grow the
 * memory, and each costs its sender `beforeLookup` (a rate limit) before the database.
 */
export function createTokens(db: Db, bus: Bus) {
  const known = new Map<string, { principal: Principal; until: number }>();
  void bus.listen((event) => {
    if (event.kind === "token") known.delete(event.hash);
    else if (event.kind === "resync" || event.kind === "restored") known.clear();
  });
  return {
    async principalFor(token: string, beforeLookup?: () => Promise<void>): Promise<Principal | null> {
      if (!/^ck_[A-Za-z0-9_-]{20,100}$/.test(token)) {
        await beforeLookup?.();
        return null;
      }
      const hash = await sha256Hex(token);
      const hit = known.get(hash);
      if (hit && hit.until > Date.now()) return hit.principal;
      known.delete(hash);
      await beforeLookup?.();
      const doc = await tokensOf(db).findOne({ hash, revokedAt: null });
      if (!doc) return null;
      const principal = tokenPrincipal(doc);
      if (known.size >= TOKENS_KEPT) known.delete(known.keys().next().value as string);
      known.set(hash, { principal, until: Date.now() + TOKEN_TTL_MS });
      return principal;
    },
    /** How many tokens this instance remembers (bounded by TOKENS_KEPT). */
    remembered: () => known.size,
    /** Revoked on every instance at once. */
    async revoke(id: ObjectId): Promise<TokenDoc | null> {
      const doc = await tokensOf(db).findOneAndUpdate(
        { _id: id, revokedAt: null },
        { $set: { revokedAt: new Date() } },
        { returnDocument: "after" },
      );
      if (doc) {
        known.delete(doc.hash);
        await bus.publish({ kind: "token", hash: doc.hash, tokenId: String(doc._id) });
      }
      return doc;
    },
  };
}

export type Tokens = ReturnType<typeof createTokens>;

/** A staff account; the password is hashed here and never stored in clear. */
export async function createUser(
  db: Db,
  fields: {
    email: string;
    name: string;
    role: Role;
    password: string;
    sessionIds?: ObjectId[];
    language?: Locale;
  },
): Promise<UserDoc> {
  const doc: UserDoc = {
    _id: new ObjectId(),
    email: fields.email.trim().toLowerCase(),
    name: fields.name.trim(),
    role: fields.role,
    passwordHash: await hashPassword(fields.password),
    createdAt: new Date(),
    disabled: false,
    ...(fields.sessionIds?.length ? { sessionIds: fields.sessionIds } : {}),
    ...(fields.language ? { language: fields.language } : {}),
  };
  await usersOf(db).insertOne(doc);
  return doc;
}
