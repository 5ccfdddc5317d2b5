import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Db, MongoClient } from "mongodb";
import { ObjectId } from "mongodb";
import { registrationsOf } from "../../../src/registrations/repo";
import {
  eachRoster,
  type Packed,
  type RosterDoc,
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
const copies = () => db.collection<RosterDoc>("registration_rosters");

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
  const before = new Map((await copies().find({}).toArray()).map((c) => [String(c._id), c]));
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
    const copy = await copies().findOne({ _id: sessionId });
    expect(copy?.writers ?? []).toEqual([]);
    expect(copy?.built).toBe(copy?.began);
    expect(sorted(copy?.ids ?? {})).toEqual(await truth(sessionId));
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

  test("while a writer is in, or after one failed half-way, the registrations are read, not the copy", async () => {
    const sessionId = new ObjectId();
    await register(sessionId);
    let inside: () => void = () => undefined;
    const writing = writingRegistrations(db, [sessionId], async () => {
      await registrationsOf(db).insertOne(registrationDoc(new ObjectId(), sessionId));
      await new Promise<void>((resolve) => {
        inside = resolve;
      });
    });
    await Bun.sleep(50);
    const during = await startUp([sessionId]);
    expect(during.read.get(String(sessionId))).toEqual(await truth(sessionId));
    expect(during.read.get(String(sessionId))).toHaveLength(2);
    inside();
    await writing;

    // A write that threw after writing (and was never followed by a refresh).
    await writingRegistrations(db, [sessionId], async () => {
      await registrationsOf(db).insertOne(registrationDoc(new ObjectId(), sessionId));
      throw new Error("instance lost mid-import");
    }).catch(() => undefined);
    const after = await startUp([sessionId]);
    expect(after.read.get(String(sessionId))).toHaveLength(3);
    expect(after.read.get(String(sessionId))).toEqual(await truth(sessionId));
  });

  test("a writer that died inside is taken out after a while, and the copy is exact again", async () => {
    const sessionId = new ObjectId();
    await register(sessionId);
    // What an instance killed between "in" and "out" leaves behind.
    await copies().updateOne(
      { _id: sessionId },
      { $inc: { began: 1 }, $push: { writers: `${Date.now() - WRITER_DEAD_MS - 1000}:killed` } },
    );
    await registrationsOf(db).insertOne(registrationDoc(new ObjectId(), sessionId));
    const { read } = await startUp([sessionId]);
    expect(read.get(String(sessionId))).toHaveLength(2);
    const copy = await copies().findOne({ _id: sessionId });
    expect(copy?.writers ?? []).toEqual([]);
    expect(copy?.built).toBe(copy?.began);
    expect(sorted(copy?.ids ?? {})).toEqual(await truth(sessionId));
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
        const copy = await copies().findOne({ _id: sessionId });
        if (copy && (copy.writers ?? []).length === 0 && copy.built === copy.began)
          expect(sorted(copy.ids)).toEqual(await truth(sessionId));
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
  const copy = await first.db.collection<RosterDoc>("registration_rosters").findOne({ _id: session._id });
  expect(copy?.built).toBe(copy?.began);
  expect(sorted(copy?.ids ?? {})).toEqual(
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
