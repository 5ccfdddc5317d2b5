import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Db, MongoClient } from "mongodb";
import { instanceEnv, ROOT } from "../helpers/env";
import { openDb, participantDoc, registrationDoc, sessionDoc } from "../helpers/fixtures";

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
  expect(script("restore.sh", [file as string, "--replace"], target).code).toBe(0);
  expect(await dst.db.collection("participants").countDocuments({})).toBe(25);
});

test("retention keeps the newest backups; dry-run changes nothing; bad input is refused in words", async () => {
  for (const old of [
    "checkin-20200101T000000Z.ndjson.gz",
    "checkin-20200102T000000Z.ndjson.gz",
    "checkin-20200103T000000Z.ndjson.gz",
  ]) {
    writeFileSync(join(dir, old), "old");
    await Bun.sleep(20);
  }
  const before = readdirSync(dir).length;
  const dry = script("backup.sh", ["--keep", "2", "--dry-run"], source);
  expect(dry.out).toContain("dry-run:");
  expect(readdirSync(dir).length).toBe(before);
  expect(script("backup.sh", ["--keep", "2"], source).code).toBe(0);
  expect(readdirSync(dir).filter((f) => f.startsWith("checkin-")).length).toBe(2);
  expect(script("backup.sh", ["--keep", "none"], source).err).toContain(
    "--keep must be a positive whole number",
  );
  const missing = script("restore.sh", [join(dir, "nope.ndjson.gz")], target);
  expect(missing.err).toContain("cannot read");
  writeFileSync(join(dir, "bad.ndjson.gz"), "not gzip");
  expect(script("restore.sh", [join(dir, "bad.ndjson.gz")], target).code).not.toBe(0);
});
