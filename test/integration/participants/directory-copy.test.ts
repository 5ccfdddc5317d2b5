import { afterAll, beforeAll, expect, test } from "bun:test";
import { BSON, type Db, ObjectId } from "mongodb";
import { forgetCopies } from "../../../src/copies";
import { createStamps, windowOf } from "../../../src/infra/stamps";
import { createDirectoryCopy } from "../../../src/participants/directory-copy";
import { PERSON_FIELDS, type Person, slim } from "../../../src/participants/person";
import { participantDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess } from "../../helpers/instance";

// The badge directory's packed copy (participants/directory-copy.ts), against the real servers:
// a start reads it and what changed since, and must hold exactly the people MongoDB holds, a
// badge deactivated or a person deleted after the pass included.

let inst: InProcess;
let db: Db;
beforeAll(async () => {
  inst = await inProcess("directory-copy");
  db = inst.db;
});
afterAll(async () => {
  await inst.stop();
});

const sorted = (people: Person[]) =>
  people.map((p) => BSON.EJSON.stringify(slim(p), { relaxed: false })).sort();
const everyone = async () =>
  sorted(await db.collection("participants").find<Person>({}, { projection: PERSON_FIELDS }).toArray());
const create = async (i: number) => {
  const answer = await inst.call("POST", "/api/v1/participants", {
    name: `Copied ${i}`,
    email: `copied-${i}-${Date.now()}@example.org`,
  });
  expect(answer.status).toBe(201);
  return answer.body.data as { _id: string; qrCode: string };
};

test("the copy and the changes noted since give exactly the people MongoDB holds", async () => {
  await db.collection("participants").insertMany(Array.from({ length: 40 }, (_, i) => participantDoc(i)));
  const made = [] as { _id: string; qrCode: string }[];
  for (let i = 0; i < 6; i++) made.push(await create(i));
  // Written behind the API (as a seed is): forgotten, so the first pass packs everyone.
  await forgetCopies(db);
  const packed = await inst.features.directory.packCopy();
  expect(packed.chunksWritten).toBe(16);
  expect(sorted((await inst.features.directory.packCopy()) ? ((await loadCopy()) ?? []) : [])).toEqual(
    await everyone(),
  );

  // After the pass: a badge deactivated, a person deleted, one erased, one created, a name changed.
  const [deactivated, deleted, erased, renamed] = made as [
    (typeof made)[0],
    (typeof made)[0],
    (typeof made)[0],
    (typeof made)[0],
  ];
  expect(
    (await inst.call("PATCH", `/api/v1/participants/${deactivated._id}`, { isActive: false })).status,
  ).toBe(200);
  expect((await inst.call("DELETE", `/api/v1/participants/${deleted._id}`)).status).toBe(200);
  expect((await inst.call("POST", `/api/v1/participants/${erased._id}/erase`)).status).toBe(200);
  expect((await inst.call("PATCH", `/api/v1/participants/${renamed._id}`, { name: "Renamed" })).status).toBe(
    200,
  );
  const late = await create(99);

  const loaded = await loadCopy();
  expect(loaded).not.toBeNull();
  expect(sorted(loaded ?? [])).toEqual(await everyone());
  const byId = new Map((loaded ?? []).map((p) => [String(p._id), p]));
  expect(byId.get(deactivated._id)?.isActive).toBe(false);
  expect(byId.has(deleted._id)).toBe(false);
  expect(byId.get(late._id)?.qrCode).toBe(late.qrCode);

  // A start reads the directory from the copy: a badge deleted after the pass is not known.
  await inst.features.directory.reload();
  expect(inst.features.directory.known(deleted._id)).toBeNull();
  expect(inst.features.directory.known(deactivated._id)?.isActive).toBe(false);
  expect(await inst.features.directory.find({ qrCode: deleted.qrCode })).toBeNull();
});

test("a start reads the copy (a tampered copy shows), and none once forgotten", async () => {
  await forgetCopies(db);
  await inst.features.directory.packCopy();
  const chunk = await db.collection("directory_copy").findOne({ _id: "chunk:0" as never });
  const stranger = { ...slim(participantDoc(7)), _id: new ObjectId("65f0000000000000000000a0") };
  await db.collection("directory_copy").updateOne(
    { _id: "chunk:0" as never },
    {
      $set: {
        people: [chunk?.people, BSON.EJSON.stringify(stranger, { relaxed: false })]
          .filter(Boolean)
          .join("\n"),
      },
    },
  );
  await inst.features.directory.reload();
  expect(inst.features.directory.known(stranger._id)?.name).toBe(stranger.name);
  await forgetCopies(db);
  await inst.features.directory.reload();
  expect(inst.features.directory.known(stranger._id)).toBeNull();
});

/** What a start would load. */
const loadCopy = () => createDirectoryCopy(db, inst.rt.redis.cmd, createStamps()).load();

test("more than a thousand people changed since the copy: a start reads everyone instead of each", async () => {
  await forgetCopies(db);
  await inst.features.directory.packCopy();
  expect(await loadCopy()).not.toBeNull();
  const changeWindow = windowOf(Date.now());
  const people = await db
    .collection("participants")
    .find({}, { projection: { _id: 1 } })
    .toArray();
  await db.collection("participant_changes").insertMany(
    Array.from({ length: 1001 }, (_, i) => ({
      _id: new ObjectId(),
      participantId: (people[i % people.length]?._id as ObjectId) ?? new ObjectId(),
      changeWindow,
      at: new Date(),
    })).map((c, i) => (i < people.length ? c : { ...c, participantId: new ObjectId() })),
  );
  expect(await loadCopy()).toBeNull();
  // The directory is then read whole, and the next pass packs it whole again.
  await inst.features.directory.reload();
  expect(inst.features.directory.known(String(people[0]?._id))).not.toBeNull();
  const again = await inst.features.directory.packCopy();
  expect(again.changes).toBeNull();
  expect(again.chunksWritten).toBe(16);
});
