import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import type { Db, MongoClient, ObjectId } from "mongodb";
import { spawnInstance, stopProcess } from "../../../deploy/local/cluster";
import { KEYS } from "../../../src/infra/keys";
import { eachRoster, idsWith } from "../../../src/registrations/rosters";
import { freePort, instanceEnv, ROOT, stackEnv, TEST_LOGS } from "../../helpers/env";
import {
  openDb,
  participantDoc,
  postJson,
  registrationDoc,
  sessionDoc,
  tokenHeaders,
} from "../../helpers/fixtures";

// Backup and restore with the project's own scripts and the binary's export/import,
// against the real MongoDB-wire server: export then import gives the same data.

const dir = mkdtempSync(join(tmpdir(), "checkin-backup-"));
const source = instanceEnv("backupsrc");
const target = instanceEnv("backupdst");
const checkinBin = `${process.execPath} ${join(ROOT, "src/main.ts")}`;
let src: { client: MongoClient; db: Db };
let dst: { client: MongoClient; db: Db };

beforeAll(async () => {
  src = await openDb(String(source.MONGODB_DB));
  dst = await openDb(String(target.MONGODB_DB));
  const session = sessionDoc({ name: "Backed up", capacity: 3 });
  const people = Array.from({ length: 25 }, (_, i) => participantDoc(i, { name: `Person ${i} « é »` }));
  await src.db.collection("sessions").insertOne(session);
  await src.db.collection("participants").insertMany(people);
  await src.db.collection("registrations").insertMany(people.map((p) => registrationDoc(p._id, session._id)));
});

afterAll(async () => {
  for (const side of [src, dst]) {
    await side.db.dropDatabase();
    await side.client.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

const script = (name: string, args: string[], env: Record<string, string | undefined>) => {
  const result = Bun.spawnSync(["bash", join(ROOT, "deploy", name), ...args], {
    env: { ...env, CHECKIN_BIN: checkinBin, BACKUP_DIR: dir },
  });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
};

/** The first line of a hand-made archive announcing `counts`. */
const archiveHeader = (counts: Record<string, number>) =>
  JSON.stringify({
    format: "checkin-archive",
    version: 1,
    exportedAt: new Date().toISOString(),
    database: "x",
    counts,
  });

const sorted = async (db: Db, name: string) =>
  JSON.stringify(await db.collection(name).find({}).sort({ _id: 1 }).toArray());

test("backup, then restore into an empty database, gives the same data", async () => {
  const backup = script("backup.sh", ["--keep", "3"], source);
  expect(backup.err).toBe("");
  expect(backup.code).toBe(0);
  const file = /backup: (\S+\.ndjson\.gz)/.exec(backup.out)?.[1];
  expect(file).toBeDefined();

  const restore = script("restore.sh", [file as string], target);
  expect(restore.code).toBe(0);
  for (const name of ["sessions", "participants", "registrations"]) {
    expect(await sorted(dst.db, name)).toBe(await sorted(src.db, name));
  }
  expect(await dst.db.collection("participants").countDocuments({})).toBe(25);

  // A second restore without --replace refuses to mix data; with it, it replaces.
  const again = script("restore.sh", [file as string], target);
  expect(again.code).not.toBe(0);
  expect(again.err).toContain("already holds 1 documents; restore with --replace");
  // A packed copy of the registrations being replaced (here: nobody registered) must not be
  // what a start reads after the restore.
  const session = (await dst.db.collection("sessions").findOne({})) as { _id: ObjectId };
  await dst.db
    .collection<{ _id: string; sessionId: ObjectId; version: number; ids: object }>("registration_copies")
    .insertOne({ _id: `${session._id}:99`, sessionId: session._id, version: 99, ids: {} });
  expect(script("restore.sh", [file as string, "--replace"], target).code).toBe(0);
  expect(await dst.db.collection("participants").countDocuments({})).toBe(25);
  const read: string[] = [];
  await eachRoster(dst.db, [session._id], async (_, ids) => {
    read.push(...idsWith(ids, "confirmed"));
  });
  expect(read).toHaveLength(25);
});

test("retention keeps the newest of each day, week and month asked for; dry-run changes nothing; files are private", async () => {
  const archives = () =>
    readdirSync(dir)
      .filter((f) => /^checkin-2\d{7}T\d{6}Z\.ndjson\.gz$/.test(f))
      .sort();
  for (const old of archives()) rmSync(join(dir, old));
  const made = [
    "checkin-20200101T020000Z.ndjson.gz",
    "checkin-20200102T020000Z.ndjson.gz",
    "checkin-20200103T020000Z.ndjson.gz",
    "checkin-20200215T020000Z.ndjson.gz",
    "checkin-20200316T020000Z.ndjson.gz",
  ];
  for (const old of made) writeFileSync(join(dir, old), "old");
  const before = readdirSync(dir).length;
  const dry = script("backup.sh", ["--daily", "2", "--weekly", "0", "--monthly", "0", "--dry-run"], source);
  expect(dry.out).toContain("dry-run:");
  expect(readdirSync(dir).length).toBe(before);
  // Two days only: today's and the newest old one.
  expect(script("backup.sh", ["--daily", "2", "--weekly", "0", "--monthly", "0"], source).code).toBe(0);
  const twoDays = archives();
  expect(twoDays).toHaveLength(2);
  expect(twoDays[0]).toBe("checkin-20200316T020000Z.ndjson.gz");
  // One a day for a day, then one a month for four months: the newest of each month stays.
  for (const old of made) writeFileSync(join(dir, old), "old");
  expect(script("backup.sh", ["--daily", "1", "--weekly", "0", "--monthly", "4"], source).code).toBe(0);
  const kept = archives();
  expect(kept.slice(0, 3)).toEqual([
    "checkin-20200103T020000Z.ndjson.gz",
    "checkin-20200215T020000Z.ndjson.gz",
    "checkin-20200316T020000Z.ndjson.gz",
  ]);
  expect(kept).toHaveLength(4);
  // Personal data: every file the backup writes is private, whatever the caller's umask.
  const newest = kept.at(-1) as string;
  expect(statSync(join(dir, newest)).mode & 0o777).toBe(0o600);
  expect(script("backup.sh", ["--daily", "none"], source).err).toContain("whole numbers");
  const missing = script("restore.sh", [join(dir, "nope.ndjson.gz")], target);
  expect(missing.err).toContain("cannot read");
  writeFileSync(join(dir, "bad.ndjson.gz"), "not gzip");
  expect(script("restore.sh", [join(dir, "bad.ndjson.gz")], target).code).not.toBe(0);
});

test("each new file goes off-site with BACKUP_OFFSITE_COMMAND, and a failed copy fails the run", () => {
  const offsite = mkdtempSync(join(tmpdir(), "checkin-offsite-"));
  const copied = script("backup.sh", [], { ...source, BACKUP_OFFSITE_COMMAND: `cp -t ${offsite}` });
  expect(`${copied.code} ${copied.err}`).toBe("0 ");
  expect(copied.out).toContain("copied");
  expect(readdirSync(offsite).some((f) => f.endsWith(".ndjson.gz"))).toBe(true);
  // {} stands for the file where the command wants its source first (rclone copy {} remote:dir).
  const placed = mkdtempSync(join(tmpdir(), "checkin-offsite-"));
  const first = script("backup.sh", [], { ...source, BACKUP_OFFSITE_COMMAND: `cp {} ${placed}` });
  expect(`${first.code} ${first.err}`).toBe("0 ");
  expect(readdirSync(placed).some((f) => f.endsWith(".ndjson.gz"))).toBe(true);
  rmSync(placed, { recursive: true, force: true });
  const failed = script("backup.sh", [], { ...source, BACKUP_OFFSITE_COMMAND: "false" });
  expect(failed.code).toBe(1);
  expect(failed.err).toContain("off-site copy");
  rmSync(offsite, { recursive: true, force: true });
});

test("a damaged archive is refused before anything changes, even with --replace", async () => {
  const before = await Promise.all(
    ["sessions", "participants", "registrations"].map((n) => sorted(dst.db, n)),
  );
  const header = archiveHeader({ participants: 2 });
  const damaged = join(dir, "damaged.ndjson.gz");
  writeFileSync(damaged, Bun.gzipSync(`${header}\n{"c":"participants","d":{"name":"A"}}\n{not json\n`));
  const refused = script("restore.sh", [damaged, "--replace"], target);
  expect(refused.code).not.toBe(0);
  expect(refused.err).toContain("line 3: not a readable record");
  const after = await Promise.all(
    ["sessions", "participants", "registrations"].map((n) => sorted(dst.db, n)),
  );
  expect(after).toEqual(before);
  const collections = (await dst.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  expect(collections.some((name) => name.startsWith("restore_"))).toBe(false);
});

test("an archive that breaks a unique rule (two people, one e-mail) is refused and changes nothing", async () => {
  const before = await Promise.all(["sessions", "participants"].map((n) => sorted(dst.db, n)));
  expect(JSON.parse(before[1] as string).length).toBeGreaterThan(0);
  const header = archiveHeader({ participants: 2 });
  const twin = (i: number) =>
    JSON.stringify({ c: "participants", d: { ...participantDoc(900 + i), email: "same@example.org" } });
  const duplicate = join(dir, "duplicate.ndjson.gz");
  writeFileSync(duplicate, Bun.gzipSync(`${header}\n${twin(1)}\n${twin(2)}\n`));
  const refused = script("restore.sh", [duplicate, "--replace"], target);
  expect(refused.code).not.toBe(0);
  expect(refused.err).toContain("breaks the rule");
  expect(await Promise.all(["sessions", "participants"].map((n) => sorted(dst.db, n)))).toEqual(before);
  const collections = (await dst.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  expect(collections.some((name) => name.startsWith("restore_"))).toBe(false);
  // A whole-database dump is not restored: it would bring back accounts and tokens unchecked.
  const dump = join(dir, "checkin-old.mongodump.gz");
  writeFileSync(dump, "x");
  expect(script("restore.sh", [dump, "--replace"], target).err).toContain("restores only checkin archives");
});

test("running instances follow a restore at once: a removed badge stops, a restored one scans", async () => {
  const instances = [
    await spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env: target }),
    await spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env: target }),
  ];
  const [instance, other] = instances as [(typeof instances)[0], (typeof instances)[0]];
  try {
    const auth = await tokenHeaders(dst.db, "scanner");
    const session = await dst.db.collection("sessions").findOne({});
    const [gone] = await dst.db.collection("participants").find({}).sort({ _id: 1 }).limit(1).toArray();
    const scanAt = (at: typeof instance, qrCode: string) =>
      postJson(
        `${at.url}/api/v1/scan`,
        { qrCode, sessionId: String(session?._id), acceptUnregistered: true },
        auth,
      );
    const scan = (qrCode: string) => scanAt(instance, qrCode);
    expect((await scan(gone?.qrCode)).body.data.outcome).toBe("accept");
    // The source loses that person and gains another; its backup is restored over the target.
    await src.db.collection("participants").deleteOne({ qrCode: gone?.qrCode });
    const fresh = participantDoc(99, { name: "Restored newcomer" });
    await src.db.collection("participants").insertOne(fresh);
    const backup = script("backup.sh", ["--keep", "5"], source);
    const file = /backup: (\S+\.ndjson\.gz)/.exec(backup.out)?.[1] as string;
    // Registrations' places (registrations/places.ts) may name ones the restore removes: dropped with the door state.
    const redis = new Redis(stackEnv().REDIS_URL);
    const places = `checkin:${target.MONGODB_DB}:${KEYS.registrationPlaces}`;
    await redis.hset(places, "0123456789abcdef01234567", `${session?._id}:${gone?._id}`);
    const restore = script("restore.sh", [file, "--replace"], target);
    expect(restore.code).toBe(0);
    expect(restore.out + restore.err).toContain("running instances were told");
    expect(await redis.exists(places)).toBe(0);
    redis.disconnect();
    const answered = async (qrCode: string, reason: string) => {
      for (let i = 0; i < 50; i++) {
        if ((await scan(qrCode)).body.data.reason === reason) return true;
        await Bun.sleep(100);
      }
      return false;
    };
    expect(await answered(gone?.qrCode, "unknown_code")).toBe(true);
    // The other instance too, without a restart: it heard the same announcement.
    expect((await scanAt(other, gone?.qrCode)).body.data.reason).toBe("unknown_code");
    expect(await answered(fresh.qrCode, "ok")).toBe(true);
    const count = await fetch(`${instance.url}/api/v1/sessions/${session?._id}`, { headers: auth }).then(
      (r) => r.json(),
    );
    expect((count as { data: { checkInsCount: number } }).data.checkInsCount).toBe(1);
  } finally {
    await Promise.all(instances.map((i) => stopProcess(i.proc)));
  }
});
