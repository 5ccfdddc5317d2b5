import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Db, type MongoClient, ObjectId } from "mongodb";
import { groupedInserts } from "../../../src/infra/grouped";
import { isDuplicateKey } from "../../../src/infra/mongo";
import { testDbName } from "../../helpers/env";
import { openDb, participantDoc, registrationDoc, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess } from "../../helpers/instance";

// Admissions and scan-log entries are written in groups (infra/grouped.ts) against the real
// MongoDB-wire server: each caller hears only of its own document, a duplicate fails only its
// own caller, and no door hears "admitted" before its check-in is stored.

let client: MongoClient;
let db: Db;
let inst: InProcess;
beforeAll(async () => {
  ({ client, db } = await openDb(testDbName("grouped")));
  await db.collection("grouped").createIndex({ key: 1 }, { unique: true });
  inst = await inProcess("grouped-door");
});
afterAll(async () => {
  await db.dropDatabase();
  await client.close();
  await inst.stop();
});

test("a group with a duplicate in it: only that caller fails, with a duplicate-key error; the rest are stored", async () => {
  const inserts = groupedInserts(() => db.collection<{ _id: ObjectId; key: number }>("grouped"));
  await inserts.insert({ _id: new ObjectId(), key: 7 });
  // All at once: the first goes alone, the others wait and go together in the next insertMany.
  const keys = Array.from({ length: 40 }, (_, i) => i);
  const outcomes = await Promise.allSettled(keys.map((key) => inserts.insert({ _id: new ObjectId(), key })));
  const failed = outcomes.flatMap((o, i) => (o.status === "rejected" ? [[i, o.reason] as const] : []));
  expect(failed.map(([i]) => i)).toEqual([7]);
  expect(isDuplicateKey(failed[0]?.[1])).toBe(true);
  expect(await db.collection("grouped").countDocuments({})).toBe(40);
});

test("gathered inserts (the admin log's): sent a moment apart, stored by one insertMany; flush writes what waits at once", async () => {
  const watched = await openDb(String(db.databaseName), { monitorCommands: true });
  let insertCommands = 0;
  watched.client.on("commandStarted", (event) => {
    if (event.commandName === "insert" && event.command.insert === "gathered") insertCommands++;
  });
  const inserts = groupedInserts(() => watched.db.collection<{ _id: ObjectId; key: number }>("gathered"), {
    gatherMs: 200,
  });
  const stored = Promise.all(
    Array.from({ length: 10 }, async (_, key) => {
      await Bun.sleep(key * 5);
      await inserts.insert({ _id: new ObjectId(), key });
    }),
  );
  await stored;
  expect(insertCommands).toBe(1);
  expect(await db.collection("gathered").countDocuments({})).toBe(10);
  // One more: it waits for the gathering, unless flushed (an instance stopping).
  const waiting = inserts.insert({ _id: new ObjectId(), key: 10 });
  expect(await db.collection("gathered").countDocuments({})).toBe(10);
  await inserts.flush();
  expect(await db.collection("gathered").countDocuments({})).toBe(11);
  await waiting;
  expect(insertCommands).toBe(2);
  await watched.client.close();
});

test("no door hears it was admitted before its check-in is stored", async () => {
  const session = sessionDoc({ name: "Grouped room", capacity: 60, capacityEnforced: true });
  const people = Array.from({ length: 80 }, (_, i) => participantDoc(5000 + i));
  await inst.db.collection("sessions").insertOne(session);
  await inst.db.collection("participants").insertMany(people as never[]);
  await inst.db
    .collection("registrations")
    .insertMany(people.map((p) => registrationDoc(p._id, session._id)));
  // Each answer, the moment it arrives, is checked against MongoDB through another connection.
  const seen = await Promise.all(
    people.map(async (p) => {
      const answer = await inst.call(
        "POST",
        "/api/v1/scan",
        { sessionId: String(session._id), qrCode: p.qrCode },
        { role: "scanner" },
      );
      const stored = await db.client
        .db(String(inst.env.MONGODB_DB))
        .collection("checkins")
        .findOne({ sessionId: session._id, participantId: p._id });
      const logged = await db.client
        .db(String(inst.env.MONGODB_DB))
        .collection("scanlog")
        .countDocuments({ sessionId: session._id, participantId: p._id });
      return { outcome: answer.body.data?.outcome, reason: answer.body.data?.reason, stored, logged };
    }),
  );
  const admitted = seen.filter((s) => s.outcome === "accept");
  expect(admitted).toHaveLength(60);
  expect(admitted.every((s) => s.stored !== null)).toBe(true);
  expect(seen.filter((s) => s.reason === "session_full")).toHaveLength(20);
  expect(seen.filter((s) => s.outcome !== "accept").every((s) => s.stored === null)).toBe(true);
  expect(seen.every((s) => s.logged === 1)).toBe(true);
  expect(await inst.db.collection("checkins").countDocuments({ sessionId: session._id })).toBe(60);
});
