import { type Db, MongoClient, ObjectId } from "mongodb";
import { nginxCommand } from "../deploy/nginx/render";
import pkg from "../package.json";
import { adminLogOf } from "./audit/log";
import { randomSecret } from "./auth/password";
import { ROLES, type Role } from "./auth/policy";
import { assignableSessions, createToken, createUser, usersOf } from "./auth/store";
import { ConfigError, loadConfig } from "./config";
import { forgetCopies } from "./copies";
import { seedDemo } from "./demo/seed";
import { simulateDoors } from "./demo/simulate";
import { INDEXES } from "./indexes";
import { KEYS } from "./infra/keys";
import { ensureIndexes } from "./infra/mongo";
import { connectRedis, deleteMatching } from "./infra/redis";
import { busChannel } from "./live/bus";
import { exportArchive, importArchive } from "./ops/archive";
import { serve } from "./server";

// `bun build --define CHECKIN_BUILD='"label"'` labels a build, so two builds of one version differ.
declare const CHECKIN_BUILD: string | undefined;
const VERSION = typeof CHECKIN_BUILD === "string" ? `${pkg.version}+${CHECKIN_BUILD}` : pkg.version;

const USAGE = `usage: checkin [serve|migrate|forget-copies|healthcheck|seed-demo|simulate-doors|export|import|create-admin|create-token|nginx|--version|--help]
  serve        run one instance configured from the environment (default)
  migrate      create every MongoDB index (idempotent) and exit
  forget-copies
               after check-ins or participants were changed in the database by hand: no copy
               packed for starts before is used again (the scheduler's leader packs new ones)
  healthcheck  exit 0 when this instance's /api/v1/health/ready answers 200 (PORT), else 1
  seed-demo    load the demo conference (with a morning of check-in history) into MONGODB_URI unless it holds sessions; print badge codes to try
  simulate-doors RATE URL
               keep about RATE scans per second arriving at URL's open sessions (demo; Ctrl-C stops)
  export FILE  write every collection to FILE (gzip JSON lines): a backup without mongodump
  import FILE [--replace]
               restore an export into empty collections (or replace them); restart instances after
  create-admin --email E --name N [--role admin|scanner|viewer] [--sessions ID,ID]
               create a staff account; the password comes from CHECKIN_PASSWORD or is generated and shown once
  create-token --name N --role admin|scanner|viewer [--sessions ID,ID]
               create an API token for a scanner device or a script; shown once
  nginx --ports P,P --out DIR [--down P] [--mode local --listen ADDR | --mode production --server-name NAME]
               render the Nginx configuration for these instance ports (the ops scripts call this)
  --version   print the version`;

function configOrExit() {
  try {
    return loadConfig(process.env, VERSION);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
}

async function withDb<T>(work: (db: Db, dbName: string) => Promise<T>): Promise<T> {
  const config = configOrExit();
  const client = new MongoClient(config.mongodbUri, { serverSelectionTimeoutMS: 10_000 });
  try {
    return await work(client.db(config.mongodbDbName), config.mongodbDbName);
  } finally {
    await client.close();
  }
}

async function seed(): Promise<void> {
  const summary = await withDb((db) => seedDemo(db));
  console.log(
    `demo: ${summary.created ? "created" : "kept existing data:"} ${summary.sessions} sessions, ` +
      `${summary.participants} participants, ${summary.registrations} registrations`,
  );
  if (summary.openSession) {
    const base = process.env.PUBLIC_URL ?? "";
    console.log(`demo: scanner for "${summary.openSession.name}": ${base}/scan/${summary.openSession.id}`);
    console.log(`demo: registered badges to try: ${summary.tryCodes.registered.join(" ")}`);
    console.log(`demo: unregistered badges (ask for a decision): ${summary.tryCodes.unregistered.join(" ")}`);
  }
  // A demo needs someone to sign in; a real deployment creates its admin with create-admin.
  const password = randomSecret(12);
  const created = await withDb(async (db) => {
    await ensureIndexes(db, INDEXES);
    if ((await usersOf(db).countDocuments({})) > 0) return false;
    await createUser(db, { email: "admin@demo.local", name: "Demo admin", role: "admin", password });
    return true;
  });
  if (created) console.log(`demo: sign in as admin@demo.local with password ${password} (shown once)`);
}

async function migrate(): Promise<void> {
  const dbName = await withDb(async (db, name) => {
    await ensureIndexes(db, INDEXES);
    return name;
  });
  console.log(`migrate: ${INDEXES.length} indexes present in ${dbName}`);
}

async function healthcheck(): Promise<void> {
  const port = Number(process.env.PORT ?? 3001);
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/health/ready`, {
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json()) as { details?: { reasons?: string[] } };
    if (response.status === 200) {
      console.log(`healthcheck: port ${port} ready`);
      return;
    }
    console.error(
      `healthcheck: port ${port} not ready: ${body.details?.reasons?.join("; ") ?? response.status}`,
    );
  } catch (error) {
    console.error(
      `healthcheck: port ${port} not answering: ${error instanceof Error ? error.message : error}`,
    );
  }
  process.exit(1);
}

const failed = (what: string) => (error: unknown) => {
  console.error(`${what} failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
};

async function exportData(file: string | undefined): Promise<void> {
  if (!file) throw new Error("usage: checkin export FILE");
  const header = await withDb((db) => exportArchive(db, file));
  console.log(
    `export: ${file} (${Object.entries(header.counts)
      .map(([c, n]) => `${c} ${n}`)
      .join(", ")})`,
  );
}

async function importData(file: string | undefined, flags: string[]): Promise<void> {
  if (!file) throw new Error("usage: checkin import FILE [--replace]");
  const written = await withDb(async (db) => {
    const counts = await importArchive(db, file, { replace: flags.includes("--replace") });
    // The admin log is not in archives, so it records the restore itself.
    await adminLogOf(db).insertOne({
      _id: new ObjectId(),
      at: new Date(),
      by: { kind: "cli", id: "", name: process.env.USER ?? "operator" },
      method: "RESTORE",
      path: file,
      target: null,
      before: null,
      after: counts,
      status: 200,
    });
    return counts;
  });
  console.log(
    `import: ${
      Object.entries(written)
        .map(([c, n]) => `${c} ${n}`)
        .join(", ") || "nothing"
    }`,
  );
  await announceRestore();
}

/**
 * After a restore, every running instance works from the restored data at once: the door
 * state in Redis is dropped (and the registrations' places, which may name ones gone) and a
 * resync is announced (caches cleared, badge directory
 * read again, door state rebuilt from MongoDB).
 */
async function announceRestore(): Promise<void> {
  const config = configOrExit();
  const target = config.redisSentinel ? { sentinel: config.redisSentinel } : { url: config.redisUrl };
  const redis = connectRedis(target, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  try {
    await redis.connect();
    await deleteMatching(redis, `checkin:${config.mongodbDbName}:door:*`);
    await redis.del(`checkin:${config.mongodbDbName}:${KEYS.registrationPlaces}`);
    await redis.publish(busChannel(config.mongodbDbName), JSON.stringify({ kind: "restored" }));
    console.log("import: running instances were told; they rebuild their state from the restored data");
  } catch (error) {
    console.log(
      `import: Redis could not be reached (${error instanceof Error ? error.message : String(error)}); restart the instances so they rebuild their state`,
    );
  } finally {
    redis.disconnect();
  }
}

function flag(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : undefined;
}

function roleFlag(argv: string[], fallback?: Role): Role {
  const role = flag(argv, "role") ?? fallback;
  if (!role || !(ROLES as readonly string[]).includes(role))
    throw new Error(`--role must be one of ${ROLES.join(", ")}`);
  return role as Role;
}

/** --sessions ID,ID: a scanner limited to those sessions. */
const sessionsFlag = (argv: string[]) =>
  flag(argv, "sessions")
    ?.split(",")
    .map((id) => id.trim());

async function createAccount(argv: string[]): Promise<void> {
  const email = flag(argv, "email")?.trim().toLowerCase();
  const name = flag(argv, "name")?.trim();
  if (!email || !name) throw new Error("usage: checkin create-admin --email E --name N [--role R]");
  const role = roleFlag(argv, "admin");
  const given = process.env.CHECKIN_PASSWORD;
  if (given !== undefined && given.length < 12)
    throw new Error("CHECKIN_PASSWORD must have at least 12 characters");
  const password = given ?? randomSecret(12);
  await withDb(async (db) => {
    await ensureIndexes(db, INDEXES);
    await createUser(db, {
      email,
      name,
      role,
      password,
      sessionIds: await assignableSessions(db, role, sessionsFlag(argv)),
    });
  });
  console.log(`create-admin: ${role} account ${email} created`);
  if (given === undefined) console.log(`create-admin: password (shown once): ${password}`);
}

async function createApiToken(argv: string[]): Promise<void> {
  const name = flag(argv, "name")?.trim();
  if (!name) throw new Error("usage: checkin create-token --name N --role R");
  const role = roleFlag(argv);
  const { token } = await withDb(async (db) => {
    await ensureIndexes(db, INDEXES);
    return createToken(db, name, role, await assignableSessions(db, role, sessionsFlag(argv)));
  });
  console.log(token);
}

async function simulate(argv: string[]): Promise<void> {
  const rate = Number(argv[0]);
  const url = argv[1] ?? process.env.PUBLIC_URL;
  if (!(rate > 0 && rate <= 1000) || !url)
    throw new Error("usage: checkin simulate-doors RATE URL (RATE: scans per second, 0 to 1000)");
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => stop.abort());
  console.log(`simulate-doors: about ${rate} scans/s at ${url} (Ctrl-C stops)`);
  await withDb((db) => simulateDoors(db, url, rate, stop.signal));
}

function main(argv: string[]): void {
  const command = argv[0] ?? "serve";
  switch (command) {
    case "--version":
    case "version":
      console.log(VERSION);
      return;
    case "--help":
    case "help":
      console.log(USAGE);
      return;
    case "serve":
      serve(configOrExit());
      return;
    case "seed-demo":
      seed().catch(failed("seed-demo"));
      return;
    case "migrate":
      migrate().catch(failed("migrate"));
      return;
    case "forget-copies":
      withDb(async (db, name) => {
        await forgetCopies(db);
        console.log(`forget-copies: the door and directory copies of ${name} are forgotten`);
      }).catch(failed("forget-copies"));
      return;
    case "healthcheck":
      healthcheck().catch(failed("healthcheck"));
      return;
    case "create-admin":
      createAccount(argv).catch(failed("create-admin"));
      return;
    case "create-token":
      createApiToken(argv).catch(failed("create-token"));
      return;
    case "export":
      exportData(argv[1]).catch(failed("export"));
      return;
    case "import":
      importData(argv[1], argv.slice(2)).catch(failed("import"));
      return;
    case "simulate-doors":
      simulate(argv.slice(1)).catch(failed("simulate-doors"));
      return;
    case "nginx":
      Promise.resolve()
        .then(() => nginxCommand(argv.slice(1)))
        .catch(failed("nginx"));
      return;
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      process.exit(64);
  }
}

main(process.argv.slice(2));
