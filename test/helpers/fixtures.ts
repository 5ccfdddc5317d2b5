import { type Db, MongoClient, type MongoClientOptions, ObjectId } from "mongodb";
import { spawnInstance, stopProcess } from "../../deploy/local/cluster";
import type { Role } from "../../src/auth/policy";
import { createUser as createAccount, createToken } from "../../src/auth/store";
import { type ParticipantDoc, type ParticipantFields, participantRecord } from "../../src/participants/repo";
import type { RegistrationDoc } from "../../src/registrations/repo";
import { type SessionDoc, type SessionFields, sessionRecord } from "../../src/sessions/repo";
import { freePort, instanceEnv, stackEnv, TEST_LOGS } from "./env";
import { servedInProcess } from "./instance";

/** An API token of `role` stored in the test database, as an Authorization header. */
export async function tokenHeaders(db: Db, role: Role = "admin"): Promise<Record<string, string>> {
  const { token } = await createToken(db, `test ${role}`, role);
  return { authorization: `Bearer ${token}` };
}

/** A staff account with a known password, for tests that sign in through the page. */
export async function createUser(
  db: Db,
  role: Role,
  email = `${role}@example.org`,
  password = "correct horse battery",
  sessionIds: ObjectId[] = [],
) {
  await createAccount(db, { email, name: `Test ${role}`, role, password, sessionIds });
  return { email, password };
}

/** Drops a process suite's database once its servers are stopped (FerretDB slows as they pile up). */
export async function dropDatabase(env: Record<string, string | undefined>): Promise<void> {
  const { client, db } = await openDb(String(env.MONGODB_DB));
  await db.dropDatabase();
  await client.close();
}

/** Direct access to a test database on the real MongoDB-wire server, for seeding and for checking invariants. */
export async function openDb(dbName: string, options: MongoClientOptions = {}) {
  const client = new MongoClient(stackEnv().MONGODB_URI, options);
  await client.connect();
  return { client, db: client.db(dbName) };
}

/** An open session that started 5 minutes ago and runs for an hour, unless patched. */
export function sessionDoc(patch: Partial<SessionFields> = {}): SessionDoc {
  const now = Date.now();
  return sessionRecord({
    name: "Test session",
    location: "Room A",
    startTime: new Date(now - 5 * 60_000),
    endTime: new Date(now + 60 * 60_000),
    status: "open",
    ...patch,
  });
}

export function participantDoc(i: number, patch: Partial<ParticipantFields> = {}): ParticipantDoc {
  return participantRecord({
    name: `Participant ${i}`,
    email: `p${i}-${Math.random().toString(36).slice(2, 8)}@example.org`,
    organization: "Test Org",
    ...patch,
  });
}

export function registrationDoc(
  participantId: ObjectId,
  sessionId: ObjectId,
  status: RegistrationDoc["status"] = "confirmed",
): RegistrationDoc {
  const now = new Date();
  return {
    _id: new ObjectId(),
    participantId,
    sessionId,
    registrationDate: now,
    status,
    createdAt: now,
    updatedAt: now,
    __v: 0,
  };
}

/** A session, its people, each registered (confirmed): the room most door tests start from. */
export async function seedRoom(db: Db, session: SessionDoc, people: ParticipantDoc[]): Promise<void> {
  await db.collection("sessions").insertOne(session);
  if (people.length === 0) return;
  await db.collection("participants").insertMany(people);
  await db.collection("registrations").insertMany(people.map((p) => registrationDoc(p._id, session._id)));
}

/** A process suite's database with one room seeded, and a scanner token's header for it. */
export async function seededRoom(
  env: Record<string, string | undefined>,
  session: SessionDoc,
  people: ParticipantDoc[],
): Promise<{ client: MongoClient; db: Db; auth: Record<string, string> }> {
  const { client, db } = await openDb(String(env.MONGODB_DB));
  await seedRoom(db, session, people);
  return { client, db, auth: await tokenHeaders(db, "scanner") };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers field by field
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function seedInto(db: Db, seed: Seed): Promise<void> {
  if (seed.sessions?.length) await db.collection("sessions").insertMany(seed.sessions);
  if (seed.participants?.length) await db.collection("participants").insertMany(seed.participants);
  if (seed.registrations?.length) await db.collection("registrations").insertMany(seed.registrations);
}

export interface Seed {
  sessions?: SessionDoc[];
  participants?: ParticipantDoc[];
  registrations?: RegistrationDoc[];
}

/**
 * A private database seeded with `seed`, and `count` instances on it started by `start`;
 * `stop()` ends them and drops the database.
 */
async function seeded<T extends { url: string }>(
  label: string,
  count: number,
  seed: Seed,
  extraEnv: Record<string, string>,
  start: (env: Record<string, string | undefined>) => Promise<{ instance: T; stop: () => Promise<unknown> }>,
) {
  const env = instanceEnv(label, extraEnv);
  const { client, db } = await openDb(String(env.MONGODB_DB));
  await seedInto(db, seed);
  const running = await Promise.all(Array.from({ length: count }, () => start(env)));
  return {
    env,
    db,
    instances: running.map((r) => r.instance),
    /** An admin token's Authorization header for this database. */
    auth: await tokenHeaders(db),
    async stop() {
      await Promise.all(running.map((r) => r.stop()));
      await db.dropDatabase();
      await client.close();
    },
  };
}

/**
 * Instances in this test process, each served on a port: what API, page and browser
 * suites start from. Cluster behaviour (kill, SIGTERM, logs, Nginx) keeps real processes.
 */
export const seededInProcess = (
  label: string,
  count: number,
  seed: Seed = {},
  extraEnv: Record<string, string> = {},
) =>
  seeded(label, count, seed, extraEnv, async (env) => {
    const running = await servedInProcess(env);
    return { instance: running.served, stop: running.stop };
  });

/** Real server processes: for suites about processes (kill, SIGTERM, logs) and the cluster. */
export const seededInstances = (
  label: string,
  count: number,
  seed: Seed = {},
  extraEnv: Record<string, string> = {},
) =>
  seeded(label, count, seed, extraEnv, async (env) => {
    const instance = await spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env });
    return { instance, stop: () => stopProcess(instance.proc) };
  });
