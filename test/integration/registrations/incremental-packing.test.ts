import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Db, MongoClient } from "mongodb";
import { ObjectId } from "mongodb";
import { ensureIndexes } from "../../../src/infra/mongo";
import { createOpenMarks } from "../../../src/registrations/marks";
import { REGISTRATION_INDEXES, registrationsOf } from "../../../src/registrations/repo";
import {
  type CopyDoc,
  type MarkDoc,
  refreshRoster,
  unpack,
  writingRegistrations,
} from "../../../src/registrations/rosters";
import type { RegistrationStatus } from "../../../src/registrations/statuses";
import { testDbName } from "../../helpers/env";
import { openDb, registrationDoc } from "../../helpers/fixtures";

// A burst of single writes packs the session's copy from the last copy and the writes its
// marks list, against the real MongoDB-wire server: several writers at once, on the same
// people, and the copy a start trusts is still exactly what MongoDB holds.

let client: MongoClient;
let db: Db;
beforeAll(async () => {
  ({ client, db } = await openDb(testDbName("incremental-packing")));
  // One registration per person and session, as in the product.
  await ensureIndexes(db, REGISTRATION_INDEXES);
});
afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

const copies = () => db.collection<CopyDoc>("registration_copies");
const marks = () => db.collection<MarkDoc>("registration_marks");
const truth = async (sessionId: ObjectId) =>
  (await registrationsOf(db).find({ sessionId }).toArray())
    .map((r) => `${r.participantId.toHexString()}:${r.status}`)
    .sort();
const trusted = async (sessionId: ObjectId) => {
  if ((await marks().countDocuments({ sessionId })) > 0) return null;
  const [copy] = await copies().find({ sessionId }).sort({ version: -1 }).limit(1).toArray();
  return copy ? [...unpack(copy.ids)].map(([id, status]) => `${id}:${status}`).sort() : null;
};

/** An instance's writes as the registration service makes them: create, change, remove one person. */
function writer(sessionId: ObjectId, readAll: (sessionId: ObjectId) => Promise<unknown>) {
  const open = createOpenMarks(db, (error) => console.error(error), readAll);
  const create = (participantId: ObjectId, status: RegistrationStatus) =>
    open
      .writing(
        sessionId,
        () => registrationsOf(db).insertOne(registrationDoc(participantId, sessionId, status)),
        {
          participantId,
          state: () => status,
        },
      )
      .catch(() => undefined);
  const change = (participantId: ObjectId, status: RegistrationStatus) =>
    open.writing(
      sessionId,
      async () =>
        (await registrationsOf(db).updateOne({ sessionId, participantId }, { $set: { status } }))
          .matchedCount === 1,
      { participantId, state: (found) => (found ? status : null) },
    );
  const remove = (participantId: ObjectId) =>
    open.writing(
      sessionId,
      async () => (await registrationsOf(db).deleteOne({ sessionId, participantId })).deletedCount === 1,
      { participantId, state: (found) => (found ? "" : null) },
    );
  return { open, create, change, remove };
}

const STATUSES: RegistrationStatus[] = ["confirmed", "pending", "cancelled"];
const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)] as T;

describe("packing a burst from its marks", () => {
  test("three writers on the same 30 people at once: the copy is exact and the session was never read whole", async () => {
    const sessionId = new ObjectId();
    const existing = Array.from({ length: 1500 }, () => new ObjectId());
    await registrationsOf(db).insertMany(existing.map((p) => registrationDoc(p, sessionId)));
    await refreshRoster(db, sessionId);
    const before = await truth(sessionId);
    const people = [...existing.slice(0, 15), ...Array.from({ length: 15 }, () => new ObjectId())];
    let readWhole = 0;
    const writers = [1, 2, 3].map(() =>
      writer(sessionId, async (id) => {
        readWhole++;
        await refreshRoster(db, id);
      }),
    );
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        writers.flatMap((w) =>
          Array.from({ length: 4 }, async () => {
            for (let i = 0; i < 10; i++) {
              const person = pick(people);
              const roll = Math.random();
              if (roll < 0.4) await w.create(person, pick(STATUSES));
              else if (roll < 0.75) await w.change(person, pick(STATUSES));
              else await w.remove(person);
            }
          }),
        ),
      );
      await Promise.all(writers.map((w) => w.open.flush()));
      expect(await marks().countDocuments({ sessionId })).toBe(0);
      expect(await trusted(sessionId)).toEqual(await truth(sessionId));
    }
    expect(readWhole).toBe(0);
    // The writes did change the session (the copies above followed them).
    expect(await truth(sessionId)).not.toEqual(before);
  });

  test("a write that lists nothing (an import) makes the next packing read the session whole, exactly", async () => {
    const sessionId = new ObjectId();
    await registrationsOf(db).insertMany([1, 2, 3].map(() => registrationDoc(new ObjectId(), sessionId)));
    await refreshRoster(db, sessionId);
    let readWhole = 0;
    const w = writer(sessionId, async (id) => {
      readWhole++;
      await refreshRoster(db, id);
    });
    await w.create(new ObjectId(), "pending");
    await writingRegistrations(db, [sessionId], () =>
      registrationsOf(db).insertOne(registrationDoc(new ObjectId(), sessionId, "cancelled")),
    );
    await w.open.flush();
    expect(readWhole).toBe(1);
    expect(await trusted(sessionId)).toEqual(await truth(sessionId));
    expect(await truth(sessionId)).toHaveLength(5);
  });

  test("a session without a copy yet is read whole once, then bursts follow its copy", async () => {
    const sessionId = new ObjectId();
    await registrationsOf(db).insertOne(registrationDoc(new ObjectId(), sessionId));
    let readWhole = 0;
    const w = writer(sessionId, async (id) => {
      readWhole++;
      await refreshRoster(db, id);
    });
    const person = new ObjectId();
    await w.create(person, "confirmed");
    await w.open.flush();
    expect(readWhole).toBe(1);
    await w.change(person, "cancelled");
    await w.open.flush();
    expect(readWhole).toBe(1);
    expect(await trusted(sessionId)).toEqual(await truth(sessionId));
    expect(await trusted(sessionId)).toContain(`${person.toHexString()}:cancelled`);
  });
});
