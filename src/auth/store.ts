import type Redis from "ioredis";
import { type Collection, type Db, ObjectId } from "mongodb";
import { cached, store } from "../infra/cache";
import type { IndexSpec } from "../infra/mongo";
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
}

export interface Principal {
  kind: "user" | "token";
  id: string;
  name: string;
  role: Role;
}

export const AUTH_INDEXES: IndexSpec[] = [
  { collection: "users", key: { email: 1 }, options: { unique: true, name: "user_email_unique" } },
  { collection: "api_tokens", key: { hash: 1 }, options: { unique: true, name: "token_hash_unique" } },
];

export const usersOf = (db: Db): Collection<UserDoc> => db.collection<UserDoc>("users");
export const tokensOf = (db: Db): Collection<TokenDoc> => db.collection<TokenDoc>("api_tokens");

const TOKEN_TTL_MS = 60_000;
const tokenKey = (hash: string) => `token:${hash}`;

/** Creates an API token; the returned secret is the only copy. */
export async function createToken(
  db: Db,
  name: string,
  role: Role,
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
  };
  await tokensOf(db).insertOne(doc);
  return { token, doc };
}

/** The principal behind a bearer token; cached in Redis and written through on revoke. */
export async function principalForToken(redis: Redis, db: Db, token: string): Promise<Principal | null> {
  if (!token.startsWith("ck_")) return null;
  const hash = await sha256Hex(token);
  const doc = await cached(redis, tokenKey(hash), TOKEN_TTL_MS, TOKEN_TTL_MS, () =>
    tokensOf(db).findOne({ hash, revokedAt: null }),
  );
  return doc ? { kind: "token", id: String(doc._id), name: doc.name, role: doc.role } : null;
}

/** Revoked on every instance at once: the cache entry is replaced by a tombstone. */
export async function revokeToken(redis: Redis, db: Db, id: ObjectId): Promise<TokenDoc | null> {
  const doc = await tokensOf(db).findOneAndUpdate(
    { _id: id, revokedAt: null },
    { $set: { revokedAt: new Date() } },
    { returnDocument: "after" },
  );
  if (doc) await store(redis, tokenKey(doc.hash), null, TOKEN_TTL_MS);
  return doc;
}

/** A staff account; the password is hashed here and never stored in clear. */
export async function createUser(
  db: Db,
  fields: { email: string; name: string; role: Role; password: string },
): Promise<UserDoc> {
  const doc: UserDoc = {
    _id: new ObjectId(),
    email: fields.email.trim().toLowerCase(),
    name: fields.name.trim(),
    role: fields.role,
    passwordHash: await hashPassword(fields.password),
    createdAt: new Date(),
    disabled: false,
  };
  await usersOf(db).insertOne(doc);
  return doc;
}
