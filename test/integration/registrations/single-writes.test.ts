import { afterAll, beforeAll, expect, test } from "bun:test";
import { ObjectId } from "mongodb";
import { relayTo } from "../../../deploy/local/tcp-proxy";
import { KEYS } from "../../../src/infra/keys";
import { registrationsOf } from "../../../src/registrations/repo";
import { freePort, instanceEnv, stackEnv } from "../../helpers/env";
import { participantDoc, registrationDoc, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcessOn } from "../../helpers/instance";

// Registrations written one call at a time (each costs the same whatever its session's size:
// registrations/marks.ts) keep the door and every start-up exact: clients write through two
// instances while one of them dies mid-burst and another starts; the door state and a start
// with Redis empty then hold exactly what MongoDB holds.

const env = instanceEnv("single-writes");
const session = sessionDoc({ name: "One call at a time" });
const people = Array.from({ length: 240 }, (_, i) => participantDoc(3000 + i));
let a: InProcess;
let b: InProcess;
let c: InProcess | null = null;

beforeAll(async () => {
  a = await inProcessOn(env, "test-single-a");
  b = await inProcessOn(env, "test-single-b");
  await a.db.collection("sessions").insertOne(session);
  await a.db.collection("participants").insertMany(people as never[]);
});
afterAll(async () => {
  await c?.stop({ keepDatabase: true });
  await a.stop();
});

/** The registrations the door's state in Redis holds for the session. */
async function doorRegistrations(inst: InProcess): Promise<[string, string][]> {
  const all = await inst.rt.redis.cmd.hgetall(`door:${session._id}`);
  return Object.entries(all)
    .filter(([field]) => field.startsWith("r:"))
    .map(([field, status]) => [field.slice(2), status] as [string, string])
    .sort();
}
const truth = async (): Promise<[string, string][]> =>
  (await registrationsOf(a.db).find({ sessionId: session._id }).toArray())
    .map((r) => [String(r.participantId), r.status] as [string, string])
    .sort();

test("several clients write one call at a time while an instance dies and another starts: door and start-up exact", async () => {
  await a.features.door.warmSession(session._id);
  let target = (i: number): InProcess => (i % 2 ? b : a);
  const made: string[] = [];
  const create = (inst: InProcess, i: number) =>
    inst
      .call("POST", "/api/v1/registrations", {
        participantId: String(people[i]?._id),
        sessionId: String(session._id),
        status: "confirmed",
      })
      .catch(() => ({ status: 0, body: {} as { data?: { _id: string } } }));
  const client = async (offset: number) => {
    for (let i = offset; i < people.length; i += 6) {
      let answer = await create(target(i), i);
      // A call cut by the dying instance is sent again to a live one, as Nginx would; it may
      // have been written before the cut (409: it exists).
      if (answer.status !== 201) answer = await create(a, i);
      if (answer.status === 409) {
        const found = await registrationsOf(a.db).findOne({
          sessionId: session._id,
          participantId: people[i]?._id,
        });
        made.push(String(found?._id));
      } else {
        expect(answer.status).toBe(201);
        made.push(answer.body.data._id);
      }
    }
  };
  const clients = Array.from({ length: 6 }, (_, k) => client(k));
  // Mid-burst, instance b dies (no graceful stop: its open mark stays) and c starts in its place.
  await Bun.sleep(150);
  const dying = b;
  target = (i) => (i % 2 && c ? c : a);
  await dying.stop({ keepDatabase: true, crash: true });
  c = await inProcessOn(env, "test-single-c");
  await Promise.all(clients);
  expect(made.length).toBe(people.length);
  // Status changes and deletions, one call at a time, on both live instances.
  for (const [i, id] of made.slice(0, 40).entries()) {
    const inst = i % 2 ? (c as InProcess) : a;
    const answer =
      i % 4 < 2
        ? await inst.call("PATCH", `/api/v1/registrations/${id}`, { status: i % 2 ? "cancelled" : "pending" })
        : await inst.call("DELETE", `/api/v1/registrations/${id}`);
    expect(answer.status).toBe(200);
  }
  expect((await truth()).length).toBe(people.length - 20);
  // The door knew every write at once.
  expect(await doorRegistrations(a)).toEqual(await truth());

  // A start with Redis empty reads the session from MongoDB exactly (the dead writer's mark
  // keeps its copy untrusted, so the registrations themselves are read).
  await a.rt.redis.cmd.del(`door:${session._id}`, `door:${session._id}:seats`);
  await (c as InProcess).features.door.warmSession(session._id);
  expect(await doorRegistrations(a)).toEqual(await truth());
});

test("after a burst the session's copy is packed again and trusted: a start reads it, exactly", async () => {
  const room = sessionDoc({ name: "Quiet after the burst" });
  await a.db.collection("sessions").insertOne(room);
  for (const p of people.slice(0, 30)) {
    const answer = await a.call("POST", "/api/v1/registrations", {
      participantId: String(p._id),
      sessionId: String(room._id),
      status: "confirmed",
    });
    expect(answer.status).toBe(201);
  }
  // While the burst is on, its mark is open; a moment after, closed, and one copy holds all 30.
  expect(await a.db.collection("registration_marks").countDocuments({ sessionId: room._id })).toBeGreaterThan(
    0,
  );
  for (let waited = 0; waited < 10_000; waited += 100) {
    if ((await a.db.collection("registration_marks").countDocuments({ sessionId: room._id })) === 0) break;
    await Bun.sleep(100);
  }
  expect(await a.db.collection("registration_marks").countDocuments({ sessionId: room._id })).toBe(0);
  const copies = await a.db.collection("registration_copies").find({ sessionId: room._id }).toArray();
  expect(copies).toHaveLength(1);
  expect(String(copies[0]?.ids?.confirmed ?? "").length).toBe(30 * 24);
});

test("an instance that lost Redis for good does not answer 'created' for a write the door never heard of", async () => {
  const room = sessionDoc({ name: "Stopping instance" });
  await a.db.collection("sessions").insertOne(room);
  await a.features.door.warmSession(room._id);
  const stopping = await inProcessOn(env, "test-single-stopping");
  await stopping.rt.redis.cmd.quit();
  const person = people[200] as (typeof people)[number];
  const body = { participantId: String(person._id), sessionId: String(room._id), status: "confirmed" };
  const answer = await stopping.call("POST", "/api/v1/registrations", body);
  // Written in MongoDB, but neither the door nor Redis heard: a 503 in words, so it is sent again.
  expect(answer.status).toBe(503);
  expect(answer.body.message).toContain("stopping");
  const again = await a.call("POST", "/api/v1/registrations", body);
  expect(again.status).toBe(409);
  const door = await a.rt.redis.cmd.hget(`door:${room._id}`, `r:${person._id}`);
  expect(door).toBe("confirmed");
  await stopping.stop({ keepDatabase: true });
});

test("strict mode, Redis away: a registration is saved but answered 503 in words; its retry tells the door", async () => {
  const room = sessionDoc({ name: "Redis away" });
  await a.db.collection("sessions").insertOne(room);
  await a.features.door.warmSession(room._id);
  const proxy = relayTo(stackEnv().REDIS_URL, await freePort());
  const cut = await inProcessOn(
    { ...env, REDIS_URL: `redis://127.0.0.1:${proxy.port}`, DISTRIBUTED_LOCK_MODE: "strict" },
    "test-single-cut",
  );
  proxy.stop();
  const person = people[201] as (typeof people)[number];
  const body = { participantId: String(person._id), sessionId: String(room._id), status: "confirmed" };
  const answer = await cut.call("POST", "/api/v1/registrations", body);
  expect(answer.status).toBe(503);
  expect(answer.body.message).toContain("Redis");
  expect(await registrationsOf(a.db).countDocuments({ sessionId: room._id })).toBe(1);
  // Sent again where Redis answers: it exists (409), and the door hears of it.
  expect((await a.call("POST", "/api/v1/registrations", body)).status).toBe(409);
  expect(await a.rt.redis.cmd.hget(`door:${room._id}`, `r:${person._id}`)).toBe("confirmed");
  await cut.stop({ keepDatabase: true });
});

test("a status change or a removal whose place is known is one statement; an unknown, stale or wrong place is read and stays exact", async () => {
  const watched = `${env.MONGODB_URI}${String(env.MONGODB_URI).includes("?") ? "&" : "?"}monitorCommands=true`;
  const d = await inProcessOn({ ...env, MONGODB_URI: watched }, "test-single-d");
  try {
    const room = sessionDoc({ name: "Known places" });
    const elsewhere = sessionDoc({ name: "Somewhere else" });
    await d.db.collection("sessions").insertMany([room, elsewhere]);
    await d.features.door.warmSession(room._id);
    const statements: string[] = [];
    d.rt.mongo.client.on("commandStarted", (event) => {
      if (event.command[event.commandName] === "registrations") statements.push(event.commandName);
    });
    const register = async (i: number) => {
      const made = await d.call("POST", "/api/v1/registrations", {
        participantId: String(people[i]?._id),
        sessionId: String(room._id),
        status: "pending",
      });
      expect(made.status).toBe(201);
      return made.body.data._id as string;
    };
    const doorStatus = async (i: number) =>
      (await d.rt.redis.cmd.hget(`door:${room._id}`, `r:${people[i]?._id}`)) ?? "";
    const stored = async (id: string) =>
      (await registrationsOf(d.db).findOne({ _id: new ObjectId(id) }))?.status;

    // Created here: its place is known, so the change is one find-and-modify, no read before.
    const first = await register(200);
    statements.length = 0;
    expect((await d.call("PATCH", `/api/v1/registrations/${first}`, { status: "cancelled" })).status).toBe(
      200,
    );
    expect(statements).toEqual(["findAndModify"]);
    expect(await stored(first)).toBe("cancelled");
    expect(await doorStatus(200)).toBe("cancelled");

    // Noted wrongly (another session): the write finds nothing there, MongoDB is read, and it lands.
    await d.rt.redis.cmd.hset(KEYS.registrationPlaces, first, `${elsewhere._id}:${people[200]?._id}`);
    const corrected = await d.call("PATCH", `/api/v1/registrations/${first}`, { status: "confirmed" });
    expect(corrected.status).toBe(200);
    expect(corrected.body.data).toMatchObject({ status: "confirmed", sessionId: String(room._id) });
    expect(await stored(first)).toBe("confirmed");
    expect(await doorStatus(200)).toBe("confirmed");

    // Written straight into MongoDB (as an import does): read once, then known.
    const direct = registrationDoc(people[201]?._id as ObjectId, room._id, "pending");
    await registrationsOf(d.db).insertOne(direct);
    expect(
      (await d.call("PATCH", `/api/v1/registrations/${direct._id}`, { status: "confirmed" })).status,
    ).toBe(200);
    expect(await d.rt.redis.cmd.hget(KEYS.registrationPlaces, String(direct._id))).toBe(
      `${room._id}:${people[201]?._id}`,
    );
    statements.length = 0;
    expect((await d.call("DELETE", `/api/v1/registrations/${direct._id}`)).status).toBe(200);
    expect(statements).toEqual(["findAndModify"]);
    expect(await d.rt.redis.cmd.hget(KEYS.registrationPlaces, String(direct._id))).toBeNull();
    expect(await doorStatus(201)).toBe("");

    // Removed behind its back: the place is stale, the answer a 404 in words, the place forgotten.
    const gone = await register(202);
    await registrationsOf(d.db).deleteOne({ _id: new ObjectId(gone) });
    const missing = await d.call("PATCH", `/api/v1/registrations/${gone}`, { status: "confirmed" });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain(gone);
    expect(await d.rt.redis.cmd.hget(KEYS.registrationPlaces, gone)).toBeNull();
  } finally {
    await d.stop({ keepDatabase: true });
  }
});
