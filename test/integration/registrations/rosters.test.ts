import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Db, MongoClient } from "mongodb";
import { ObjectId } from "mongodb";
import { registrationsOf } from "../../../src/registrations/repo";
import {
  type CopyDoc,
  eachRoster,
  type MarkDoc,
  type Packed,
  pack,
  packAgain,
  refreshRoster,
  unpack,
  WRITER_DEAD_MS,
  writingRegistrations,
} from "../../../src/registrations/rosters";
import { instanceEnv, testDbName } from "../../helpers/env";
import { openDb, participantDoc, registrationDoc, sessionDoc } from "../../helpers/fixtures";
import { inProcessOn } from "../../helpers/instance";

// The packed copies against the real MongoDB-wire server: whatever the interleaving of
// writers, a start-up reads exactly the registrations MongoDB holds.

let client: MongoClient;
let db: Db;
const copies = () => db.collection<CopyDoc>("registration_copies");
const marks = () => db.collection<MarkDoc>("registration_marks");
/** The copy a start would trust for the session, if any. */
const trustedCopy = async (sessionId: ObjectId) =>
  (await marks().countDocuments({ sessionId })) > 0
    ? null
    : ((await copies().find({ sessionId }).sort({ version: -1 }).limit(1).toArray())[0] ?? null);

beforeAll(async () => {
  ({ client, db } = await openDb(testDbName("rosters")));
});
afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

const sorted = (ids: Packed): [string, string][] => [...unpack(ids)].sort();
const truth = async (sessionId: ObjectId) =>
  (await registrationsOf(db).find({ sessionId }).toArray())
    .map((r) => [r.participantId.toHexString(), r.status] as [string, string])
    .sort();

/** What a start-up reads for these sessions, and whether each came from its copy. */
async function startUp(sessionIds: ObjectId[]) {
  const read = new Map<string, [string, string][]>();
  const before = new Map((await copies().find({}).toArray()).map((c) => [String(c.sessionId), c]));
  await eachRoster(db, sessionIds, async (sessionId, ids) => {
    read.set(String(sessionId), sorted(ids));
  });
  return { read, before };
}

/** One person registered through the product's write path, as an instance would. */
async function register(sessionId: ObjectId, status: "confirmed" | "pending" = "confirmed") {
  await writingRegistrations(db, [sessionId], () =>
    registrationsOf(db).insertOne(registrationDoc(new ObjectId(), sessionId, status)),
  );
  await refreshRoster(db, sessionId);
}

describe("sessions' packed registrations", () => {
  test("a session never packed is read from its registrations, and packed for the next start", async () => {
    const sessionId = new ObjectId();
    await registrationsOf(db).insertMany([1, 2, 3].map(() => registrationDoc(new ObjectId(), sessionId)));
    const first = await startUp([sessionId]);
    expect(first.before.has(String(sessionId))).toBe(false);
    expect(first.read.get(String(sessionId))).toEqual(await truth(sessionId));
    expect(sorted((await trustedCopy(sessionId))?.ids ?? { confirmed: "-" })).toEqual(await truth(sessionId));
  });

  test("writes through the product keep the copy exact, status changes and removals included", async () => {
    const sessionId = new ObjectId();
    for (let i = 0; i < 3; i++) await register(sessionId, i === 0 ? "pending" : "confirmed");
    const one = await registrationsOf(db).findOne({ sessionId, status: "pending" });
    await writingRegistrations(db, [sessionId], () =>
      registrationsOf(db).updateOne({ _id: one?._id }, { $set: { status: "cancelled" } }),
    );
    await refreshRoster(db, sessionId);
    await writingRegistrations(db, [sessionId], () =>
      registrationsOf(db).deleteOne({ sessionId, status: "confirmed" }),
    );
    await refreshRoster(db, sessionId);
    const { read } = await startUp([sessionId]);
    expect(read.get(String(sessionId))).toEqual(await truth(sessionId));
    expect(
      read
        .get(String(sessionId))
        ?.map(([, s]) => s)
        .sort(),
    ).toEqual(["cancelled", "confirmed"]);
  });

  test("while a writer is in, or after one died after writing, the registrations are read, not the copy", async () => {
    const sessionId = new ObjectId();
    await register(sessionId);
    let go: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      go = resolve;
    });
    // In (marked), then a start-up runs, then the write lands and its instance dies before packing.
    const writing = writingRegistrations(db, [sessionId], async () => {
      await started;
      await registrationsOf(db).insertOne(registrationDoc(new ObjectId(), sessionId));
    });
    await Bun.sleep(50);
    const during = await startUp([sessionId]);
    expect(during.read.get(String(sessionId))).toHaveLength(1);
    go();
    await writing;
    const after = await startUp([sessionId]);
    expect(after.read.get(String(sessionId))).toHaveLength(2);
    expect(after.read.get(String(sessionId))).toEqual(await truth(sessionId));

    // A write that threw half-way (and was never followed by a refresh).
    await writingRegistrations(db, [sessionId], async () => {
      await registrationsOf(db).insertOne(registrationDoc(new ObjectId(), sessionId));
      throw new Error("instance lost mid-import");
    }).catch(() => undefined);
    const again = await startUp([sessionId]);
    expect(again.read.get(String(sessionId))).toHaveLength(3);
    expect(again.read.get(String(sessionId))).toEqual(await truth(sessionId));
  });

  test("a writer that died inside is taken as dead after a while, and the copy is exact again", async () => {
    const sessionId = new ObjectId();
    await register(sessionId);
    // What an instance killed between its mark and its write leaves behind.
    await marks().insertOne({
      _id: new ObjectId(),
      sessionId,
      at: new Date(Date.now() - WRITER_DEAD_MS - 1000),
      done: false,
    });
    await registrationsOf(db).insertOne(registrationDoc(new ObjectId(), sessionId));
    const { read } = await startUp([sessionId]);
    expect(read.get(String(sessionId))).toHaveLength(2);
    expect(sorted((await trustedCopy(sessionId))?.ids ?? { confirmed: "-" })).toEqual(await truth(sessionId));
  });

  test("a packer that read an old version withdraws, leaving the marks it read for the next", async () => {
    const sessionId = new ObjectId();
    await register(sessionId);
    const stale = { version: 1 }; // read, then the packer stalled
    await register(sessionId);
    await register(sessionId);
    expect((await trustedCopy(sessionId))?.version).toBe(3);
    // A write done whose own packing never happened, seen by the stalled packer when it wakes.
    const late = { _id: new ObjectId(), sessionId, at: new Date(), done: true };
    await marks().insertOne(late);
    await registrationsOf(db).insertOne(registrationDoc(new ObjectId(), sessionId));
    const regs = await registrationsOf(db).find({ sessionId }).toArray();
    await packAgain(db, sessionId, { ...stale, marks: [late] }, pack(regs));
    expect(await marks().countDocuments({ sessionId })).toBe(1);
    const { read } = await startUp([sessionId]);
    expect(read.get(String(sessionId))).toHaveLength(4);
  });

  test("a write over 400 sessions (an import) marks and unmarks them all without starving the server", async () => {
    const sessions = Array.from({ length: 400 }, () => new ObjectId());
    const wrote = await writingRegistrations(db, sessions, async () => {
      await registrationsOf(db).insertMany(sessions.map((s) => registrationDoc(new ObjectId(), s)));
      return "written";
    });
    expect(wrote).toBe("written");
    const left = await marks()
      .find({ sessionId: { $in: sessions } })
      .toArray();
    expect(left).toHaveLength(400);
    expect(left.every((m) => m.done)).toBe(true);
    const { read } = await startUp(sessions.slice(0, 3));
    expect(read.get(String(sessions[0]))).toHaveLength(1);
  });

  test("many writers and start-ups at once: whenever a copy is trusted it holds exactly the registrations", async () => {
    const sessions = [new ObjectId(), new ObjectId()];
    for (let round = 0; round < 6; round++) {
      await Promise.all([
        ...Array.from({ length: 8 }, (_, i) => register(sessions[i % 2] as ObjectId)),
        ...Array.from({ length: 3 }, () => refreshRoster(db, sessions[round % 2] as ObjectId)),
        startUp(sessions),
      ]);
      const { read } = await startUp(sessions);
      for (const sessionId of sessions) {
        const copy = await trustedCopy(sessionId);
        if (copy) expect(sorted(copy.ids)).toEqual(await truth(sessionId));
        expect(read.get(String(sessionId))).toEqual(await truth(sessionId));
      }
    }
    expect(await registrationsOf(db).countDocuments({ sessionId: { $in: sessions } })).toBe(48);
  });
});

test("a start with Redis empty admits exactly whom the API registered, from the sessions' copies", async () => {
  const env = instanceEnv("rosters-door");
  const first = await inProcessOn(env, "test-rosters-1");
  const session = sessionDoc({ name: "Packed room" });
  const [kept, cancelled, removed, never] = [1, 2, 3, 4].map((i) => participantDoc(i));
  await first.db.collection("sessions").insertOne(session);
  await first.db.collection("participants").insertMany([kept, cancelled, removed, never] as never[]);
  const ids: Record<string, string> = {};
  for (const p of [kept, cancelled, removed]) {
    const made = await first.call("POST", "/api/v1/registrations", {
      participantId: String(p?._id),
      sessionId: String(session._id),
      status: "confirmed",
    });
    expect(made.status).toBe(201);
    ids[String(p?._id)] = made.body.data._id;
  }
  expect(
    (
      await first.call("PATCH", `/api/v1/registrations/${ids[String(cancelled?._id)]}`, {
        status: "cancelled",
      })
    ).status,
  ).toBe(200);
  expect((await first.call("DELETE", `/api/v1/registrations/${ids[String(removed?._id)]}`)).status).toBe(200);
  // Once the writes have been quiet a moment, the session's open mark is closed and its copy packed.
  for (let waited = 0; waited < 10_000; waited += 100) {
    if ((await first.db.collection("registration_marks").countDocuments({ sessionId: session._id })) === 0)
      break;
    await Bun.sleep(100);
  }
  const copy = await first.db
    .collection<CopyDoc>("registration_copies")
    .find({ sessionId: session._id })
    .toArray();
  expect(await first.db.collection("registration_marks").countDocuments({ sessionId: session._id })).toBe(0);
  expect(copy).toHaveLength(1);
  expect(sorted(copy[0]?.ids ?? {})).toEqual(
    [
      [String(kept?._id), "confirmed"],
      [String(cancelled?._id), "cancelled"],
    ].sort() as [string, string][],
  );
  await first.rt.redis.cmd.del(`door:${session._id}`, `door:${session._id}:seats`);
  await first.stop({ keepDatabase: true });

  const second = await inProcessOn(env, "test-rosters-2");
  const scan = (p: typeof kept) =>
    second.call(
      "POST",
      "/api/v1/scan",
      { sessionId: String(session._id), qrCode: p?.qrCode },
      { role: "scanner" },
    );
  expect((await scan(kept)).body.data.reason).toBe("ok");
  expect((await scan(cancelled)).body.data.reason).toBe("registration_cancelled");
  expect((await scan(removed)).body.data.reason).toBe("not_registered");
  expect((await scan(never)).body.data.reason).toBe("not_registered");
  await second.stop();
});
