import { afterAll, beforeAll, expect, test } from "bun:test";
import { inflateRawSync } from "node:zlib";
import { type Db, ObjectId } from "mongodb";
import { checkinsOf } from "../../../src/checkin/repo";
import { forgetCopies } from "../../../src/copies";
import { entryOf, FIELD } from "../../../src/door/codec";
import { deflated } from "../../../src/door/copy-store";
import { KEYS } from "../../../src/infra/keys";
import type { ParticipantDoc } from "../../../src/participants/repo";
import type { SessionDoc } from "../../../src/sessions/repo";
import { participantDoc, registrationDoc, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess } from "../../helpers/instance";

// The door's copies (door/copies.ts), against the real servers: a start without the door state
// in Redis reads each session's copy and what changed since, and must come out exactly as
// reading every check-in would; a write stamped before a pass and landing after it is kept.

let inst: InProcess;
let db: Db;
beforeAll(async () => {
  inst = await inProcess("copies");
  db = inst.db;
});
afterAll(async () => {
  await inst.stop();
});

const scan = (session: SessionDoc, person: ParticipantDoc, direction: "entry" | "exit" = "entry") =>
  inst.call(
    "POST",
    "/api/v1/scan",
    { sessionId: String(session._id), qrCode: person.qrCode, direction },
    { role: "scanner" },
  );
const admitted = async (session: SessionDoc, person: ParticipantDoc) => {
  const answer = await scan(session, person);
  expect(answer.body.data?.outcome).toBe("accept");
};
const undo = async (session: SessionDoc, person: ParticipantDoc) => {
  const doc = await checkinsOf(db).findOne({ sessionId: session._id, participantId: person._id });
  expect((await inst.call("DELETE", `/api/v1/checkin/${doc?._id}`)).status).toBe(200);
};
const byField = (fields: string[]) =>
  Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]).sort((x, y) =>
    String(x[0]).localeCompare(String(y[0])),
  );
/** The check-in fields of a session's door state, read from every check-in. */
const whole = async (session: SessionDoc) =>
  byField(
    (await checkinsOf(db).find({ sessionId: session._id }).toArray()).flatMap((c) => [
      FIELD.entry(c.participantId),
      entryOf(c),
    ]),
  );
const inRedis = async (session: SessionDoc) =>
  byField(
    Object.entries(await inst.rt.redis.cmd.hgetall(KEYS.door(session._id)))
      .filter(([field]) => field.startsWith("i:"))
      .flat(),
  );

async function seed(names: string[], people: number, patch: Partial<SessionDoc> = {}) {
  const rooms = names.map((name) => sessionDoc({ name, ...patch }));
  const persons = Array.from({ length: people }, (_, i) => participantDoc(i));
  await db.collection("sessions").insertMany(rooms);
  await db.collection("participants").insertMany(persons);
  await db
    .collection("registrations")
    .insertMany(rooms.flatMap((r) => persons.map((p) => registrationDoc(p._id, r._id))));
  return { rooms, persons };
}

test("copies and what changed since give every session's check-ins exactly as reading them all", async () => {
  const { rooms, persons } = await seed(["Copies A", "Copies B"], 12, {
    capacity: 10,
    capacityEnforced: true,
  });
  const occupancy = sessionDoc({
    name: "Copies C",
    capacity: 5,
    capacityEnforced: true,
    capacityMode: "occupancy",
  });
  await db.collection("sessions").insertOne(occupancy);
  await db.collection("registrations").insertMany(persons.map((p) => registrationDoc(p._id, occupancy._id)));
  const [a, b] = rooms as [SessionDoc, SessionDoc];
  const all = [a, b, occupancy];
  const p = persons;
  for (const person of p.slice(0, 8)) await admitted(a, person);
  for (const person of p.slice(0, 6)) await admitted(b, person);
  for (const person of p.slice(0, 4)) await admitted(occupancy, person);
  expect((await scan(a, p[0] as ParticipantDoc, "exit")).status).toBe(200);
  expect((await scan(a, p[1] as ParticipantDoc, "exit")).status).toBe(200);
  expect((await scan(occupancy, p[2] as ParticipantDoc, "exit")).status).toBe(200);
  await undo(b, p[5] as ParticipantDoc);
  await admitted(a, p[1] as ParticipantDoc);

  const packed = await inst.features.door.copies.pass();
  expect(packed.sessions).toBeGreaterThanOrEqual(3);

  // After the pass: new entries, an undo of a packed check-in, an exit, a re-entry, and back in after an undo.
  await admitted(a, p[8] as ParticipantDoc);
  await admitted(a, p[9] as ParticipantDoc);
  await undo(a, p[3] as ParticipantDoc);
  expect((await scan(b, p[0] as ParticipantDoc, "exit")).status).toBe(200);
  await admitted(occupancy, p[2] as ParticipantDoc);
  await admitted(b, p[5] as ParticipantDoc);

  // Packed again: kept as deltas beside the bases; then more changes on top.
  const again = await inst.features.door.copies.pass();
  expect(again.deltas).toBeGreaterThanOrEqual(3);
  await undo(a, p[8] as ParticipantDoc);
  expect((await scan(a, p[0] as ParticipantDoc)).body.data?.outcome).toBe("accept");

  const built = await inst.features.door.copies.forBuild(all.map((s) => s._id));
  for (const room of all) {
    const fields = built.get(room._id.toHexString());
    expect(fields).toBeDefined();
    expect(byField(fields ?? [])).toEqual(await whole(room));
  }
  // Undone and back in: one entry, the new check-in's.
  expect(
    byField(built.get(b._id.toHexString()) ?? []).filter(([f]) => f === FIELD.entry(p[5]?._id as ObjectId)),
  ).toHaveLength(1);

  // Redis loses the door state: the instance builds it again from the copies, and doors answer as before.
  for (const room of all) await inst.rt.redis.cmd.del(KEYS.door(room._id), KEYS.seats(room._id));
  await inst.features.door.warmUp();
  for (const room of all) expect(await inRedis(room)).toEqual(await whole(room));
  expect((await scan(a, p[2] as ParticipantDoc)).body.data?.reason).toBe("already_checked_in");
  await admitted(a, p[3] as ParticipantDoc);
  expect(await inst.features.door.count(a._id)).toBe(
    await checkinsOf(db).countDocuments({ sessionId: a._id }),
  );
});

test("a start reads the copies (a copy tampered with shows), and none after a restore forgets them", async () => {
  const { rooms, persons } = await seed(["Copies tampered"], 3);
  const [room] = rooms as [SessionDoc];
  await admitted(room, persons[0] as ParticipantDoc);
  await inst.features.door.copies.pass();
  const stranger = new ObjectId();
  const copy = await db.collection("door_copies").findOne({ _id: room._id.toHexString() as never });
  expect(copy).not.toBeNull();
  const lines = new TextDecoder().decode(inflateRawSync(copy?.deflated.buffer));
  const tampered = `${lines}\n${stranger.toHexString()}${new ObjectId().toHexString()}I-|-|{}`;
  await db
    .collection("door_copies")
    .updateOne({ _id: room._id.toHexString() as never }, { $set: { deflated: deflated(tampered) } });
  await inst.rt.redis.cmd.del(KEYS.door(room._id), KEYS.seats(room._id));
  await inst.features.door.warmUp();
  expect((await inRedis(room)).map(([f]) => f)).toContain(FIELD.entry(stranger));

  await forgetCopies(db);
  expect((await inst.features.door.copies.forBuild([room._id])).size).toBe(0);
  await inst.rt.redis.cmd.del(KEYS.door(room._id), KEYS.seats(room._id));
  await inst.features.door.warmUp();
  expect(await inRedis(room)).toEqual(await whole(room));
});

test("a write stamped before a pass and landing after it is in the next start's state", async () => {
  const { rooms, persons } = await seed(["Copies slow write"], 2);
  const [room] = rooms as [SessionDoc];
  const [late] = persons as [ParticipantDoc];
  const { stamps, copies } = inst.features.door;
  let land: () => void = () => undefined;
  const landed = new Promise<void>((resolve) => {
    land = resolve;
  });
  const write = stamps.during(async ({ at, changeWindow }) => {
    await landed;
    await checkinsOf(db).insertOne({
      _id: new ObjectId(),
      participantId: late._id,
      sessionId: room._id,
      checkInTime: at,
      method: "qr",
      isLate: false,
      badge: "accepted",
      wasRegistered: true,
      seat: `free:${late._id}`,
      instance: "slow",
      checkedOutAt: null,
      createdAt: at,
      updatedAt: at,
      changeWindow,
      __v: 0,
    });
  });
  // Older than a window and the clock skew allowed: only the published low water holds the copy back.
  await Bun.sleep(7500);
  await copies.pass();
  land();
  await write;
  const built = await copies.forBuild([room._id]);
  expect(built.get(room._id.toHexString())).toContain(FIELD.entry(late._id));
});

test("a delta grown past its share is folded into a new base, and the copy stays exact", async () => {
  const { rooms, persons } = await seed(["Copies folded"], 48);
  const [room] = rooms as [SessionDoc];
  for (const person of persons) await admitted(room, person);
  await inst.features.door.copies.pass();
  const before = await db.collection("door_copy_heads").findOne({ _id: room._id.toHexString() as never });
  for (const person of persons.slice(0, 40)) expect((await scan(room, person, "exit")).status).toBe(200);
  await inst.features.door.copies.pass();
  const after = await db.collection("door_copy_heads").findOne({ _id: room._id.toHexString() as never });
  expect(after?.version).not.toBe(before?.version);
  expect(after?.delta).toBe("");
  const built = await inst.features.door.copies.forBuild([room._id]);
  expect(byField(built.get(room._id.toHexString()) ?? [])).toEqual(await whole(room));

  // The session deleted: its copy goes with it.
  await inst.features.door.removeSessionRecords(room._id);
  for (const name of ["door_copy_heads", "door_copies", "door_copy_deltas"])
    expect(await db.collection(name).countDocuments({ _id: room._id.toHexString() as never })).toBe(0);
});
