import { afterAll, beforeAll, expect, test } from "bun:test";
import { ObjectId } from "mongodb";
import { type InProcess, inProcess } from "../../helpers/instance";

// Bad input at the edge: a control character is refused with a 400 that names the
// field, and nothing is written (PostgreSQL under FerretDB cannot store NUL at all).

let inst: InProcess;
beforeAll(async () => {
  inst = await inProcess("input");
});
afterAll(async () => {
  await inst.stop();
});

test("a NUL in a participant's name answers 400 naming the field; nothing is stored", async () => {
  const answer = await inst.call("POST", "/api/v1/participants", {
    name: "Ada\u0000Lovelace",
    email: "ada@example.org",
  });
  expect(answer.status).toBe(400);
  expect(answer.body.errors).toEqual([expect.objectContaining({ field: "name" })]);
  expect(await inst.db.collection("participants").countDocuments({})).toBe(0);
  const fine = await inst.call("POST", "/api/v1/participants", {
    name: "Ada Lovelace",
    email: "ada@example.org",
  });
  expect(fine.status).toBe(201);
});

test("an escape sequence in a query is refused the same way", async () => {
  const answer = await inst.call("GET", "/api/v1/participants?search=%1B%5B31m");
  expect(answer.status).toBe(400);
  expect((answer.body.errors as { field: string }[])[0]?.field).toBe("search");
});

test("a nonce reused for a different request answers 422 instead of another request's answer", async () => {
  const now = Date.now();
  const session = {
    name: "Nonce room",
    startTime: new Date(now - 60_000),
    endTime: new Date(now + 3_600_000),
  };
  const created = await inst.call("POST", "/api/v1/sessions", {
    name: session.name,
    startTime: session.startTime.toISOString(),
    endTime: session.endTime.toISOString(),
    isOpen: true,
  });
  expect(created.status).toBe(201);
  const person = await inst.call("POST", "/api/v1/participants", {
    name: "Walk In",
    email: "walk.in@example.org",
  });
  const scan = (acceptUnregistered: boolean) =>
    inst.call("POST", "/api/v1/scan", {
      qrCode: person.body.data.qrCode,
      sessionId: created.body.data._id,
      nonce: "reused-nonce-1",
      acceptUnregistered,
    });
  expect((await scan(false)).body.data.outcome).toBe("decide");
  const again = await scan(false);
  expect(again.body.data.replayed).toBe(true);
  // A double tap whose wedge changed the case is the same request.
  const lower = await inst.call("POST", "/api/v1/scan", {
    qrCode: String(person.body.data.qrCode).toLowerCase(),
    sessionId: created.body.data._id,
    nonce: "reused-nonce-1",
  });
  expect(lower.status).toBe(200);
  expect(lower.body.data.replayed).toBe(true);
  const different = await scan(true);
  expect(different.status).toBe(422);
  expect(different.body.message).toContain("different scan");
  // The same nonce for someone else's badge is not their answer either, and admits nobody.
  const other = await inst.call("POST", "/api/v1/participants", {
    name: "Other",
    email: "other@example.org",
  });
  const otherBadge = await inst.call("POST", "/api/v1/scan", {
    qrCode: other.body.data.qrCode,
    sessionId: created.body.data._id,
    nonce: "reused-nonce-1",
  });
  expect(otherBadge.status).toBe(422);
  expect(await inst.db.collection("checkins").countDocuments({})).toBe(0);
});

test("every door action records who did it: the account or token working the door", async () => {
  const now = Date.now();
  const session = await inst.call("POST", "/api/v1/sessions", {
    name: "Who room",
    startTime: new Date(now).toISOString(),
    endTime: new Date(now + 3_600_000).toISOString(),
    isOpen: true,
  });
  const person = await inst.call("POST", "/api/v1/participants", {
    name: "Door Guest",
    email: "door.guest@example.org",
  });
  const scanned = await inst.call(
    "POST",
    "/api/v1/scan",
    { qrCode: person.body.data.qrCode, sessionId: session.body.data._id, acceptUnregistered: true },
    { role: "scanner" },
  );
  expect(scanned.body.data.outcome).toBe("accept");
  const stored = await inst.db
    .collection("checkins")
    .findOne({ sessionId: new ObjectId(session.body.data._id) });
  expect(stored?.checkedInBy).toBe("scanner (test)");
  const undone = await inst.call("DELETE", `/api/v1/checkin/${scanned.body.data.checkIn._id}`);
  expect(undone.status).toBe(200);
  const log = await inst.db
    .collection("scanlog")
    .find({ sessionId: new ObjectId(session.body.data._id) })
    .sort({ at: 1 })
    .toArray();
  expect(log.map((e) => [e.action, e.by])).toEqual([
    ["scan", "scanner (test)"],
    ["undo", "admin (test)"],
  ]);
});
