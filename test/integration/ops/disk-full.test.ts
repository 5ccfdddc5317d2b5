import { afterAll, beforeAll, expect, test } from "bun:test";
import { openSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { Db, MongoClient } from "mongodb";
import { stopProcess, waitHealthy } from "../../../deploy/local/cluster";
import { freePort, instanceEnv, ROOT } from "../../helpers/env";
import { openDb, participantDoc, postJson, seedRoom, sessionDoc, tokenHeaders } from "../../helpers/fixtures";

// The disk the logs go to is full (stdout is /dev/full: every write fails with ENOSPC):
// the instance keeps answering, scans included, and does not crash-loop.

const env = instanceEnv("diskfull", { LOG_LEVEL: "info" });
const session = sessionDoc({ name: "Full disk room", capacity: 10 });
const people = Array.from({ length: 5 }, (_, i) => participantDoc(i));
let proc: Subprocess;
let url: string;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  ({ client, db } = await openDb(String(env.MONGODB_DB)));
  await seedRoom(db, session, people);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const full = openSync("/dev/full", "w");
  proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), "serve"], {
    env: { ...env, PORT: String(port), INSTANCE_ID: `instance-${port}` },
    stdout: full,
    stderr: full,
  });
  await waitHealthy(url, 60_000, proc, "ready");
});

afterAll(async () => {
  await stopProcess(proc);
  await db.dropDatabase();
  await client.close();
});

test("logs that cannot be written never stop the instance", async () => {
  const auth = await tokenHeaders(db, "scanner");
  for (const person of people) {
    const answer = await postJson(
      `${url}/api/v1/scan`,
      { qrCode: person.qrCode, sessionId: String(session._id) },
      auth,
    );
    expect(answer.body.data.outcome).toBe("accept");
  }
  for (let i = 0; i < 50; i++) expect((await fetch(`${url}/api/v1/health/live`)).status).toBe(200);
  expect(proc.exitCode).toBeNull();
  expect(await db.collection("checkins").countDocuments({})).toBe(people.length);
});
