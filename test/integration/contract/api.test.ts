import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Db, type MongoClient, ObjectId } from "mongodb";
import {
  DENO_COMMAND,
  type Instance as Process,
  spawnInstance,
  stopProcess,
} from "../../../deploy/local/cluster";
import { freePort, instanceEnv, TEST_LOGS } from "../../helpers/env";
import { openDb, postJson, tokenHeaders } from "../../helpers/fixtures";
import { type Served as Instance, servedInProcess } from "../../helpers/instance";

// The JSON API on two real instances sharing Redis and the MongoDB-wire server: `a` under
// Bun (in this process), `b` under Deno (`npm run serve:deno`'s command), a mixed cluster.

let a: Instance;
let auth: Record<string, string> = {};
let b: Instance;
let client: MongoClient;
let db: Db;
const env = instanceEnv("api", { CORS_ORIGIN: "https://admin.example" });
const soon = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

async function call(instance: Instance, method: string, path: string, body?: unknown) {
  const response = await fetch(`${instance.url}/api/v1${path}`, {
    method,
    headers: body === undefined ? auth : { "content-type": "application/json", ...auth },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers field by field
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function createSession(extra: Record<string, unknown> = {}) {
  const { status, body } = await call(a, "POST", "/sessions", {
    name: "API session",
    startTime: soon(-5),
    endTime: soon(55),
    isOpen: true,
    capacity: 2,
    ...extra,
  });
  expect(status).toBe(201);
  return body.data as { _id: string; status: string; checkInsCount: number };
}

async function createParticipant(name: string, extra: Record<string, unknown> = {}) {
  const email = `${name.toLowerCase().replace(/\W/g, "")}.${Math.random().toString(36).slice(2, 7)}@Example.org`;
  const { status, body } = await call(a, "POST", "/participants", { name, email, ...extra });
  expect(status).toBe(201);
  return body.data as { _id: string; qrCode: string; email: string };
}

let bun: Awaited<ReturnType<typeof servedInProcess>>;
let deno: Process;
beforeAll(async () => {
  ({ client, db } = await openDb(String(env.MONGODB_DB)));
  auth = await tokenHeaders(db);
  [bun, deno] = await Promise.all([
    servedInProcess(env),
    (async () => spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env, command: DENO_COMMAND }))(),
  ]);
  a = bun.served;
  b = { port: deno.port, id: deno.id, url: deno.url };
});

afterAll(async () => {
  await Promise.all([bun.stop(), stopProcess(deno.proc)]);
  await db.dropDatabase();
  await client.close();
});

describe("envelopes and validation", () => {
  test("success envelope carries status, message, data, timestamp and path with the query", async () => {
    const { status, body } = await call(a, "GET", "/sessions?page=1&limit=5");
    expect(status).toBe(200);
    expect(body.status).toBe("success");
    expect(typeof body.message).toBe("string");
    expect(body.path).toBe("/api/v1/sessions?page=1&limit=5");
    expect(body.meta).toMatchObject({ page: 1, limit: 5, hasPrevPage: false });
  });

  test("unknown fields, bad ids, bad limits and bad times are 400s a person can read", async () => {
    const unknown = await call(a, "POST", "/participants", {
      name: "X",
      email: "x@example.org",
      shoeSize: 44,
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      status: "error",
      statusCode: 400,
      message: "Validation failed",
      method: "POST",
    });
    expect(unknown.body.errors[0].field).toBe("shoeSize");
    expect(unknown.body.errors[0].message).toBe("property shoeSize should not exist");
    expect((await call(a, "GET", "/sessions?page=1.5")).status).toBe(400);

    const badId = await call(a, "GET", "/sessions/not-an-id");
    expect(badId.status).toBe(400);
    expect(badId.body.message).toBe("Invalid ID format: not-an-id");

    expect((await call(a, "GET", "/participants?limit=200")).status).toBe(400);
    const backwards = await call(a, "POST", "/sessions", {
      name: "x",
      startTime: soon(10),
      endTime: soon(5),
    });
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors[0].message).toContain("endTime must be after startTime");
    // A choice names its choices; a value of the wrong shape says what it got, never "[object Object]".
    const sideways = await call(a, "POST", "/scan", {
      qrCode: "QR-X",
      sessionId: "0123456789abcdef01234567",
      direction: "sideways",
    });
    expect(sideways.status).toBe(400);
    expect(sideways.body.errors[0]).toEqual({
      field: "direction",
      message: "direction should be one of: 'entry', 'exit'",
    });
    const operator = await call(a, "POST", "/scan", {
      qrCode: { $ne: "" },
      sessionId: "0123456789abcdef01234567",
    });
    expect(operator.status).toBe(400);
    expect(operator.body.errors[0].field).toBe("qrCode");
    expect(operator.body.errors[0].message).not.toContain("[object");
    expect(operator.body.errors[0].message).toContain("an object");
    // A query value converted before its check still names its field and its range.
    const tooMany = await call(a, "GET", "/sessions?limit=101");
    expect(tooMany.body.errors[0]).toEqual({
      field: "limit",
      message: "limit should be a whole number from 1 to 100",
    });
    const negative = await call(a, "POST", "/sessions", {
      name: "x",
      startTime: soon(5),
      endTime: soon(10),
      capacity: -1,
    });
    expect(negative.body.errors[0].message).toBe("capacity should be a whole number from 0 to 1000000");
    // An id field says what it wants, never the pattern; a key with "/" is named as sent.
    const notAnId = await call(a, "POST", "/scan", { qrCode: "QR-X", sessionId: "zz" });
    expect(notAnId.body.errors[0].message).toBe("sessionId must be an ID (24 hexadecimal characters)");
    const slashed = await call(a, "POST", "/scan", {
      qrCode: "QR-X",
      sessionId: "0123456789abcdef01234567",
      "a/b": 1,
    });
    expect(slashed.body.errors[0].message).toBe("property a/b should not exist");
    const missing = await call(a, "GET", "/sessions/0123456789abcdef01234567");
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe("Session with ID 0123456789abcdef01234567 not found");
  });

  test("search text is matched literally, never as a pattern", async () => {
    await createParticipant("Regex (.*) Person");
    const literal = await call(a, "GET", `/participants?search=${encodeURIComponent("(.*)")}`);
    expect(literal.status).toBe(200);
    expect(literal.body.data.map((p: { name: string }) => p.name)).toEqual(["Regex (.*) Person"]);
    const operator = await call(a, "GET", `/participants?search=${encodeURIComponent('{"$gt":""}')}`);
    expect(operator.status).toBe(200);
    expect(operator.body.data).toEqual([]);
  });

  test("generate-qr, details and registration statistics answer as clients expect", async () => {
    const generated = await call(a, "GET", "/participants/generate-qr");
    expect(generated.status).toBe(200);
    expect(generated.body.data.qrCode).toMatch(/^QR-[A-Z0-9]{20}$/);
    expect(generated.body.data.qrCodeDataUrl).toStartWith("data:image/png;base64,");
    const p = await createParticipant("Details");
    const details = await call(a, "GET", `/participants/${p._id}/details`);
    expect(details.body.data).toMatchObject({ _id: p._id, registrations: [], checkIns: [] });
    expect(details.body.data.qrDataUrl).toStartWith("data:image/png;base64,");
    const stats = await call(a, "GET", "/registrations/stats/overview");
    expect(Object.keys(stats.body.data).sort()).toEqual([
      "cancelled",
      "confirmed",
      "pending",
      "todayRegistrations",
      "total",
    ]);
  });

  test("CORS answers only the configured origins", async () => {
    const evil = await fetch(`${a.url}/api/v1/sessions`, {
      headers: { Origin: "https://evil.example", ...auth },
    });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const admin = await fetch(`${a.url}/api/v1/sessions`, {
      headers: { Origin: "https://admin.example", ...auth },
    });
    expect(admin.headers.get("access-control-allow-origin")).toBe("https://admin.example");
    expect(admin.headers.get("access-control-allow-credentials")).toBe("true");
  });

  test("bulk creation of sessions and participants reports each item", async () => {
    const sessions = await call(a, "POST", "/sessions/bulk", {
      sessions: [
        { name: "Bulk one", startTime: soon(60), endTime: soon(120) },
        { name: "Bulk bad", startTime: soon(60), endTime: soon(30) },
      ],
    });
    expect(sessions.status).toBe(201);
    expect(sessions.body.data).toMatchObject({
      success: 1,
      failed: 1,
      errors: [{ index: 1, name: "Bulk bad" }],
    });
    expect(sessions.body.data.errors[0].error).toContain("endTime must be after startTime");
    const first = await call(a, "POST", "/participants/bulk", {
      participants: [
        { name: "Bulk A", email: "bulk.a@example.org" },
        { name: "Bulk B", email: "bulk.b@example.org" },
      ],
    });
    expect(first.body.data).toMatchObject({ created: 2, updated: 0, errors: 0 });
    const again = await call(a, "POST", "/participants/bulk", {
      participants: [{ name: "Bulk A renamed", email: "BULK.A@example.org", organization: "Org" }],
    });
    expect(again.body.data).toMatchObject({ created: 0, updated: 1, errors: 0 });
    const found = await call(a, "GET", `/participants?search=${encodeURIComponent("Bulk A renamed")}`);
    expect(found.body.data[0].organization).toBe("Org");
  });

  test("duplicate email is a 409 naming the value", async () => {
    const p = await createParticipant("Dup Person");
    const again = await call(a, "POST", "/participants", { name: "Other", email: p.email.toUpperCase() });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(`Participant with email "${p.email}" already exists`);
  });
});

describe("check-in routes", () => {
  test("verify-qr, accept with acceptedBy, repeat 409, capacity 400, decline, undo, checkout", async () => {
    const session = await createSession();
    const [p1, p2, p3] = await Promise.all([
      createParticipant("Ann"),
      createParticipant("Ben"),
      createParticipant("Cy"),
    ]);
    expect(p1.email).toBe(p1.email.toLowerCase());
    await call(a, "POST", "/registrations", {
      participantId: p1._id,
      sessionId: session._id,
      status: "confirmed",
    });

    const verify = await call(b, "POST", "/checkin/verify-qr", { qrCode: p1.qrCode, sessionId: session._id });
    expect(verify.status).toBe(200);
    expect(verify.body.data.verification).toMatchObject({
      badge: "REGISTERED",
      isRegistered: true,
      isAlreadyCheckedIn: false,
    });
    expect(verify.body.data.actions).toMatchObject({
      canAccept: true,
      acceptLabel: "Check In",
      declineLabel: "Decline",
    });
    expect(verify.body.data.capacityInfo).toEqual({ current: 0, max: 2, remaining: 2 });

    const accepted = await call(b, "POST", "/checkin/accept", {
      participantId: p1._id,
      sessionId: session._id,
      acceptedBy: "Door 1",
    });
    expect(accepted.status).toBe(201);
    expect(accepted.body.data).toMatchObject({
      method: "qr",
      badge: "accepted",
      wasRegistered: true,
      // The label is added to the account's own name, never in its place.
      checkedInBy: "test admin · Door 1",
    });
    // No retry keys or staff ids leave the server.
    for (const hidden of ["nonce", "exitNonce", "reentryNonce", "checkedInById", "lastEntryById"])
      expect(accepted.body.data).not.toHaveProperty(hidden);
    expect(accepted.body.capacityInfo).toMatchObject({
      capacity: 2,
      checkInsCount: 1,
      remaining: 1,
      percentFull: 50,
    });
    expect(accepted.body.wasRegistered).toBe(true);

    const repeat = await call(a, "POST", "/checkin/qr", { qrCode: p1.qrCode, sessionId: session._id });
    expect(repeat.status).toBe(409);
    expect(repeat.body.message).toContain("already checked in");

    const manual = await call(a, "POST", "/checkin", { participantId: p2._id, sessionId: session._id });
    expect(manual.status).toBe(201);
    expect(manual.body.data).toMatchObject({
      method: "manual",
      badge: "accepted_unregistered",
      wasRegistered: false,
    });

    const full = await call(b, "POST", "/checkin/qr", { qrCode: p3.qrCode, sessionId: session._id });
    expect(full.status).toBe(400);
    expect(full.body.message).toBe("Validation failed");
    expect(full.body.errors[0].message).toBe("Session is at full capacity (2 participants)");

    const declined = await call(a, "POST", "/checkin/decline", {
      participantId: p3._id,
      sessionId: session._id,
      declinedBy: "Door 2",
    });
    expect(declined.status).toBe(200);
    expect(declined.body.data).toMatchObject({ status: "declined", declinedBy: "test admin · Door 2" });
    expect(declined.body.participant._id).toBe(p3._id);

    const undone = await call(b, "DELETE", `/checkin/${manual.body.data._id}`);
    expect(undone.status).toBe(200);
    expect((await call(a, "DELETE", `/checkin/${manual.body.data._id}`)).status).toBe(404);
    const afterUndo = await call(a, "GET", `/sessions/${session._id}`);
    expect(afterUndo.body.data.checkInsCount).toBe(1);

    const nowIn = await call(a, "POST", "/checkin/qr", { qrCode: p3.qrCode, sessionId: session._id });
    expect(nowIn.status).toBe(201);

    const out = await call(a, "POST", `/checkin/${accepted.body.data._id}/checkout`);
    expect(out.status).toBe(200);
    expect(out.body.data.checkedOutAt).not.toBeNull();
    expect((await call(a, "POST", `/checkin/${accepted.body.data._id}/checkout`)).status).toBe(409);
    // Checked out is not checked in, whichever route asks.
    const verified = await call(
      a,
      "GET",
      `/checkin/verify/${accepted.body.data.participantId}/${session._id}`,
    );
    expect(verified.body.data).toEqual({ isCheckedIn: false });
    const grants = await call(a, "GET", "/participants?travelGrantApplied=false&travelGrantApproved=true");
    expect(grants.status).toBe(200);

    const stats = await call(a, "GET", `/checkin/stats?sessionId=${session._id}`);
    expect(stats.body.data).toEqual({ total: 2, qr: 2, manual: 0, search: 0 });
    const recent = await call(b, "GET", `/checkin/recent?sessionId=${session._id}&limit=1000`);
    expect(recent.body.data.length).toBe(2);
    expect(recent.body.data[0].participantId.name).toBe("Cy");
    const attempts = await call(a, "GET", `/checkin/attempts/stats?sessionId=${session._id}`);
    expect(attempts.body.data.declined).toBe(1);
    const isIn = await call(a, "GET", `/checkin/verify/${p3._id}/${session._id}`);
    expect(isIn.body.data).toEqual({ isCheckedIn: true });
    const log = await db
      .collection("scanlog")
      .find({ sessionId: { $exists: true } })
      .toArray();
    expect(log.map((e) => e.action)).toEqual(expect.arrayContaining(["scan", "decline", "undo", "checkout"]));
  });

  test("Idempotency-Key returns the original answer, never a second check-in", async () => {
    const session = await createSession({ capacity: 0 });
    const p = await createParticipant("Idem");
    const headers = { "Idempotency-Key": "door-7-scan-000123", ...auth };
    const first = await postJson(
      `${a.url}/api/v1/checkin/qr`,
      { qrCode: p.qrCode, sessionId: session._id },
      headers,
    );
    const second = await postJson(
      `${b.url}/api/v1/checkin/qr`,
      { qrCode: p.qrCode, sessionId: session._id },
      headers,
    );
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.data._id).toBe(first.body.data._id);
    expect(second.body.message).toContain("repeated request");
    expect(await db.collection("checkins").countDocuments({})).toBeGreaterThan(0);
    // Too short to tell two scans apart: refused in words, like a body nonce of that length.
    const other = await createParticipant("Idem short");
    const short = await postJson(
      `${a.url}/api/v1/checkin/qr`,
      { qrCode: other.qrCode, sessionId: session._id },
      { "Idempotency-Key": "abc", ...auth },
    );
    expect(short.status).toBe(400);
    expect(JSON.stringify(short.body.errors)).toContain("8 to 128 characters");
  });

  test("a closed session refuses in words the mobile app recognises", async () => {
    const session = await createSession({ isOpen: false });
    const p = await createParticipant("Closed");
    const refused = await call(a, "POST", "/checkin/qr", { qrCode: p.qrCode, sessionId: session._id });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].message).toContain("not open");
    // A phone set to French still gets the words the app matches; French comes beside them.
    const french = await fetch(`${a.url}/api/v1/checkin/qr`, {
      method: "POST",
      headers: { "content-type": "application/json", "accept-language": "fr", ...auth },
      body: JSON.stringify({ qrCode: p.qrCode, sessionId: session._id }),
    }).then(
      (r) =>
        r.json() as Promise<{ message: string; errors: { message: string; localizedMessage?: string }[] }>,
    );
    expect(french.message).toBe("Validation failed");
    expect(french.errors[0]?.message).toContain("not open");
    expect(french.errors[0]?.localizedMessage).toContain("session");
  });
});

describe("caches are invalidated on every instance at once", () => {
  test("a badge created on A after an unknown scan on B works on B immediately", async () => {
    const session = await createSession({ capacity: 0 });
    const code = "QR-LATEADDED123";
    const before = await call(b, "POST", "/scan", { qrCode: code, sessionId: session._id });
    expect(before.body.data.reason).toBe("unknown_code");
    await call(a, "POST", "/participants", {
      name: "Late Added",
      email: "late.added@example.org",
      qrCode: code,
    });
    const after = await call(b, "POST", "/scan", {
      qrCode: code,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(after.body.data.outcome).toBe("accept");
  });

  test("closing a session on A stops scans on B at once, reopening resumes them", async () => {
    const session = await createSession({ capacity: 0 });
    const [p1, p2] = await Promise.all([createParticipant("Early"), createParticipant("Later")]);
    const warm = await call(b, "POST", "/scan", {
      qrCode: p1.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(warm.body.data.outcome).toBe("accept");
    const closed = await call(a, "PATCH", `/sessions/${session._id}`, { isOpen: false });
    expect(closed.body.data.status).toBe("scheduled");
    const refused = await call(b, "POST", "/scan", {
      qrCode: p2.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(refused.body.data.reason).toBe("session_not_open");
    await call(a, "PATCH", `/sessions/${session._id}/toggle-open?isOpen=true`);
    const again = await call(b, "POST", "/scan", {
      qrCode: p2.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(again.body.data.outcome).toBe("accept");
  });

  test("raising capacity on A lets B admit more", async () => {
    const session = await createSession({ capacity: 1 });
    const [p1, p2] = await Promise.all([createParticipant("One"), createParticipant("Two")]);
    const first = await call(b, "POST", "/scan", {
      qrCode: p1.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(first.body.data.outcome).toBe("accept");
    const full = await call(b, "POST", "/scan", {
      qrCode: p2.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(full.body.data.reason).toBe("session_full");
    await call(a, "PATCH", `/sessions/${session._id}`, { capacity: 2 });
    const admitted = await call(b, "POST", "/scan", {
      qrCode: p2.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(admitted.body.data.outcome).toBe("accept");
  });

  test("a deactivated or re-coded badge stops working on every instance at once", async () => {
    const session = await createSession({ capacity: 0 });
    const [p1, p2] = await Promise.all([createParticipant("Deact"), createParticipant("Recode")]);
    const warm = await call(b, "POST", "/scan", {
      qrCode: p1.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(warm.body.data.outcome).toBe("accept");
    await call(a, "PATCH", `/participants/${p1._id}`, { isActive: false });
    const other = await createSession({ capacity: 0 });
    const refused = await call(b, "POST", "/scan", {
      qrCode: p1.qrCode,
      sessionId: other._id,
      acceptUnregistered: true,
    });
    expect(refused.body.data.reason).toBe("inactive_participant");

    await call(a, "PATCH", `/participants/${p2._id}`, { qrCode: "QR-NEWCODE2024" });
    const oldCode = await call(b, "POST", "/scan", {
      qrCode: p2.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(oldCode.body.data.reason).toBe("unknown_code");
    const newCode = await call(b, "POST", "/scan", {
      qrCode: "QR-NEWCODE2024",
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(newCode.body.data.outcome).toBe("accept");
  });
});

describe("capacity changes keep capacity exact", () => {
  test("an unlimited session made limited admits only up to the new capacity", async () => {
    const session = await createSession({ capacity: 0 });
    const people = await Promise.all(Array.from({ length: 16 }, (_, i) => createParticipant(`Cap ${i}`)));
    for (const p of people.slice(0, 6)) {
      const r = await call(a, "POST", "/scan", {
        qrCode: p.qrCode,
        sessionId: session._id,
        acceptUnregistered: true,
      });
      expect(r.body.data.outcome).toBe("accept");
    }
    const patched = await call(a, "PATCH", `/sessions/${session._id}`, { capacity: 8 });
    expect(patched.status).toBe(200);
    const burst = await Promise.all(
      people.slice(6).map((p, i) =>
        call(i % 2 ? a : b, "POST", "/scan", {
          qrCode: p.qrCode,
          sessionId: session._id,
          acceptUnregistered: true,
        }),
      ),
    );
    expect(burst.filter((r) => r.body.data.outcome === "accept").length).toBe(2);
    const docs = await db
      .collection("checkins")
      .find({ sessionId: new ObjectId(session._id) })
      .toArray();
    expect(docs.length).toBe(8);
    expect(new Set(docs.map((d) => d.seat))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
  });

  test("a lowered capacity refuses newcomers until the room is below it", async () => {
    const session = await createSession({ capacity: 4 });
    const people = await Promise.all(Array.from({ length: 5 }, (_, i) => createParticipant(`Low ${i}`)));
    for (const p of people.slice(0, 4)) {
      await call(a, "POST", "/scan", { qrCode: p.qrCode, sessionId: session._id, acceptUnregistered: true });
    }
    await call(a, "PATCH", `/sessions/${session._id}`, { capacity: 2 });
    const refused = await call(b, "POST", "/scan", {
      qrCode: people[4]?.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(refused.body.data.reason).toBe("session_full");
    expect((await call(a, "GET", `/sessions/${session._id}`)).body.data.checkInsCount).toBe(4);
  });

  test("a retry of the scan that took the last seat still gets its original answer", async () => {
    const session = await createSession({ capacity: 1 });
    const [p1, p2] = await Promise.all([createParticipant("Last seat"), createParticipant("Too late")]);
    const first = await call(a, "POST", "/scan", {
      qrCode: p1.qrCode,
      sessionId: session._id,
      nonce: "last-seat-1",
      acceptUnregistered: true,
    });
    expect(first.body.data.outcome).toBe("accept");
    const full = await call(b, "POST", "/scan", {
      qrCode: p2.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(full.body.data.reason).toBe("session_full");
    const retry = await call(b, "POST", "/scan", {
      qrCode: p1.qrCode,
      sessionId: session._id,
      nonce: "last-seat-1",
      acceptUnregistered: true,
    });
    expect(retry.body.data).toMatchObject({
      outcome: "accept",
      replayed: true,
      checkIn: { _id: first.body.data.checkIn._id },
    });
    // The same nonce on another badge belongs to the first scan: refused in words, nothing changes.
    const other = await call(b, "POST", "/scan", {
      qrCode: p2.qrCode,
      sessionId: session._id,
      nonce: "last-seat-1",
      acceptUnregistered: true,
    });
    expect(other.status).toBe(422);
    expect(other.body.message).toContain("already used for a different scan");
  });
});

describe("deletes cascade without leaving wrong counts", () => {
  test("deleting a participant frees their seats; deleting a session removes its records", async () => {
    const session = await createSession({ capacity: 2 });
    const [p1, p2, p3] = await Promise.all([
      createParticipant("Gone"),
      createParticipant("Stay"),
      createParticipant("Next"),
    ]);
    await call(a, "POST", "/registrations", {
      participantId: p1._id,
      sessionId: session._id,
      status: "confirmed",
    });
    for (const p of [p1, p2]) {
      const r = await call(a, "POST", "/scan", {
        qrCode: p.qrCode,
        sessionId: session._id,
        acceptUnregistered: true,
      });
      expect(r.body.data.outcome).toBe("accept");
    }
    const full = await call(b, "POST", "/scan", {
      qrCode: p3.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(full.body.data.reason).toBe("session_full");

    expect((await call(a, "DELETE", `/participants/${p1._id}`)).status).toBe(200);
    expect((await call(b, "GET", `/sessions/${session._id}`)).body.data.checkInsCount).toBe(1);
    expect(await db.collection("registrations").countDocuments({ participantId: new ObjectId(p1._id) })).toBe(
      0,
    );
    const gone = await call(b, "POST", "/scan", {
      qrCode: p1.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(gone.body.data.reason).toBe("unknown_code");
    const seat = await call(b, "POST", "/scan", {
      qrCode: p3.qrCode,
      sessionId: session._id,
      acceptUnregistered: true,
    });
    expect(seat.body.data.outcome).toBe("accept");

    expect((await call(a, "DELETE", `/sessions/${session._id}`)).status).toBe(200);
    expect(await db.collection("checkins").countDocuments({ sessionId: new ObjectId(session._id) })).toBe(0);
    const closed = await call(b, "POST", "/scan", { qrCode: p2.qrCode, sessionId: session._id });
    expect(closed.status).toBe(404);
  });
});
