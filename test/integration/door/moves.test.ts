import { afterAll, beforeAll, expect, test } from "bun:test";
import type { SessionDoc } from "../../../src/sessions/repo";
import { participantDoc, registrationDoc, seedRoom, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess } from "../../helpers/instance";

// One room at a time (`moveOnEntry`): an entry closes the person's presence elsewhere, frees
// that seat in an occupancy room, and shows in the scan log and the attendance report; with
// the setting off nothing moves; queued offline entries land in the person's order of scans.

let inst: InProcess;
beforeAll(async () => {
  inst = await inProcess("moves");
});
afterAll(async () => {
  await inst.call("PUT", "/api/v1/settings/timing", { moveOnEntry: false });
  await inst.stop();
});

const scan = (session: SessionDoc, qrCode: string, extra: Record<string, unknown> = {}) =>
  inst.call(
    "POST",
    "/api/v1/scan",
    { sessionId: String(session._id), qrCode, ...extra },
    { role: "scanner" },
  );
const presence = (session: SessionDoc, participantId: unknown) =>
  inst.db.collection("checkins").findOne({ sessionId: session._id, participantId });
const moveOnEntry = async (on: boolean) =>
  expect((await inst.call("PUT", "/api/v1/settings/timing", { moveOnEntry: on })).status).toBe(200);

test("in, move, the seat freed, taken by someone else, the mover refused back at the full room", async () => {
  await moveOnEntry(true);
  const small = sessionDoc({ name: "Move small room", capacity: 1, capacityMode: "occupancy" });
  const hall = sessionDoc({ name: "Move hall", location: "Hall" });
  const [mover, other] = [participantDoc(1), participantDoc(2)];
  await seedRoom(inst.db, small, [mover, other]);
  await inst.db.collection("sessions").insertOne(hall);
  await inst.db.collection("registrations").insertOne(registrationDoc(mover._id, hall._id));

  expect((await scan(small, mover.qrCode)).body.data.outcome).toBe("accept");
  expect((await scan(small, other.qrCode)).body.data.reason).toBe("session_full");
  expect((await scan(hall, mover.qrCode)).body.data.outcome).toBe("accept");

  const left = await presence(small, mover._id);
  expect(left?.checkedOutAt).toBeInstanceOf(Date);
  expect(String(left?.movedTo)).toBe(String(hall._id));
  expect(await inst.db.collection("scanlog").findOne({ action: "move", checkInId: left?._id })).toMatchObject(
    {
      sessionId: small._id,
      outcome: "done",
    },
  );
  // The freed seat goes to someone else; the mover coming back finds the room full.
  expect((await scan(small, other.qrCode)).body.data.outcome).toBe("accept");
  expect((await scan(small, mover.qrCode)).body.data.reason).toBe("session_full");
  expect((await presence(hall, mover._id))?.checkedOutAt).toBeNull();

  const csv = await inst.app.handle(
    new Request("http://test.local/api/v1/reports/attendance.csv", {
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
    }),
  );
  const [header, ...rows] = (await csv.text()).trim().split(/\r?\n/);
  const column = header?.split(",").indexOf("movedOn") ?? -1;
  expect(column).toBeGreaterThan(0);
  const row = rows.find((line) => line.startsWith("Move small room,"));
  expect(row?.split(",")[column]).toBe("1");
});

test("with the setting off, an entry elsewhere moves nobody", async () => {
  await moveOnEntry(false);
  const a = sessionDoc({ name: "Still room A" });
  const b = sessionDoc({ name: "Still room B" });
  const person = participantDoc(3);
  await seedRoom(inst.db, a, [person]);
  await inst.db.collection("sessions").insertOne(b);
  await inst.db.collection("registrations").insertOne(registrationDoc(person._id, b._id));
  expect((await scan(a, person.qrCode)).body.data.outcome).toBe("accept");
  expect((await scan(b, person.qrCode)).body.data.outcome).toBe("accept");
  expect((await presence(a, person._id))?.checkedOutAt).toBeNull();
  expect((await presence(b, person._id))?.checkedOutAt).toBeNull();
});

test("a queued offline entry that syncs late applies in the person's order of scans", async () => {
  await moveOnEntry(true);
  const [a, b, c] = [
    sessionDoc({ name: "Order A" }),
    sessionDoc({ name: "Order B" }),
    sessionDoc({ name: "Order C" }),
  ];
  const person = participantDoc(4);
  await seedRoom(inst.db, a, [person]);
  await inst.db.collection("sessions").insertMany([b, c]);
  await inst.db
    .collection("registrations")
    .insertMany([registrationDoc(person._id, b._id), registrationDoc(person._id, c._id)]);
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

  // Online: A ten minutes ago (queued), then C now. Then B, scanned offline five minutes ago, syncs.
  expect(
    (await scan(a, person.qrCode, { nonce: "order-a-0001", scannedAt: minutesAgo(10), provisional: "ok" }))
      .body.data.outcome,
  ).toBe("accept");
  expect((await scan(c, person.qrCode)).body.data.outcome).toBe("accept");
  expect(
    (await scan(b, person.qrCode, { nonce: "order-b-0001", scannedAt: minutesAgo(5), provisional: "ok" }))
      .body.data.outcome,
  ).toBe("accept");

  const [inA, inB, inC] = await Promise.all([
    presence(a, person._id),
    presence(b, person._id),
    presence(c, person._id),
  ]);
  // A closed when C was entered (C's scan landed first); B, entered before C, closed at C's entry.
  expect(String(inA?.movedTo)).toBe(String(c._id));
  expect(String(inB?.movedTo)).toBe(String(c._id));
  expect(inB?.checkedOutAt?.getTime()).toBe(inC?.checkInTime.getTime());
  expect(inC?.checkedOutAt).toBeNull();
});

test("the settings page turns one room at a time on and off", async () => {
  const post = async (fields: Record<string, string>) =>
    inst.app.handle(
      new Request("http://test.local/settings", {
        method: "POST",
        headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
        body: new URLSearchParams({
          autoOpenMinutesBefore: "15",
          autoEndGraceMinutes: "0",
          lateThresholdMinutes: "10",
          schedulerIntervalSeconds: "30",
          timeZone: "UTC",
          ...fields,
        }),
      }),
    );
  expect((await post({ moveOnEntry: "on" })).status).toBe(200);
  expect((await inst.call("GET", "/api/v1/settings/timing")).body.data.moveOnEntry).toBe(true);
  const off = await post({});
  expect(off.status).toBe(200);
  expect(await off.text()).toContain('name="moveOnEntry"');
  expect((await inst.call("GET", "/api/v1/settings/timing")).body.data.moveOnEntry).toBe(false);
});
