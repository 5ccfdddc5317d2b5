import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually } from "../../helpers/env";
import { type InProcess, inProcess, inProcessOn } from "../../helpers/instance";

// Every administrative change lands in the admin log with who, what, before and after;
// secrets never do. The log is a page, JSON and CSV, for admins only.

let inst: InProcess;
beforeAll(async () => {
  inst = await inProcess("adminlog");
});
afterAll(async () => {
  await inst.stop();
});

const logged = (path: string) =>
  eventually(async () => (await inst.db.collection("admin_log").countDocuments({ path })) > 0, 3000, 25);

test("a session edit is logged with who, before and after; a token's secret is not", async () => {
  const now = Date.now();
  const created = await inst.call("POST", "/api/v1/sessions", {
    name: "Before name",
    startTime: new Date(now).toISOString(),
    endTime: new Date(now + 3_600_000).toISOString(),
  });
  const id = created.body.data._id as string;
  expect(
    (await inst.call("PATCH", `/api/v1/sessions/${id}`, { name: "After name", capacity: 40 })).status,
  ).toBe(200);
  expect(await logged(`/api/v1/sessions/${id}`)).toBe(true);
  const entry = await inst.db.collection("admin_log").findOne({ path: `/api/v1/sessions/${id}` });
  expect(entry).toMatchObject({
    method: "PATCH",
    by: { kind: "token", name: "admin (test)" },
    target: { collection: "sessions", id },
    before: { name: "Before name", capacity: 0 },
    after: { name: "After name", capacity: 40 },
  });

  const token = await inst.call("POST", "/api/v1/auth/tokens", { name: "door 7", role: "scanner" });
  expect(token.status).toBe(201);
  expect(await logged("/api/v1/auth/tokens")).toBe(true);
  const everything = JSON.stringify(await inst.db.collection("admin_log").find({}).toArray());
  expect(everything).not.toContain(token.body.data.token);
  expect(everything).toContain("(not recorded)");

  const csv = await inst.app.handle(
    new Request("http://test.local/api/v1/admin-log.csv?collection=sessions", {
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
    }),
  );
  const text = await csv.text();
  expect(text.split("\n")[0]).toContain("at,who,kind,method,path");
  expect(text).toContain("After name");
  const viewer = await inst.call("GET", "/api/v1/admin-log", undefined, { role: "viewer" });
  expect(viewer.status).toBe(403);
  const page = await inst.app.handle(
    new Request("http://test.local/admin/log?who=admin", {
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
    }),
  );
  expect(await page.text()).toContain("/api/v1/sessions/");
});

test("a registration's status change and removal are logged with the document before and after", async () => {
  const now = Date.now();
  const session = await inst.call("POST", "/api/v1/sessions", {
    name: "Logged registrations",
    startTime: new Date(now).toISOString(),
    endTime: new Date(now + 3_600_000).toISOString(),
  });
  const person = await inst.call("POST", "/api/v1/participants", {
    name: "Logged Person",
    email: `logged-${now}@example.org`,
  });
  const made = await inst.call("POST", "/api/v1/registrations", {
    participantId: person.body.data._id,
    sessionId: session.body.data._id,
    status: "pending",
  });
  expect(made.status).toBe(201);
  const id = made.body.data._id as string;
  const path = `/api/v1/registrations/${id}`;
  expect((await inst.call("PATCH", path, { status: "confirmed" })).status).toBe(200);
  expect((await inst.call("DELETE", path)).status).toBe(200);
  expect(
    await eventually(
      async () => (await inst.db.collection("admin_log").countDocuments({ path })) === 2,
      3000,
      25,
    ),
  ).toBe(true);
  const [change, removal] = await inst.db.collection("admin_log").find({ path }).sort({ at: 1 }).toArray();
  expect(change).toMatchObject({
    method: "PATCH",
    target: { collection: "registrations", id },
    before: { status: "pending", participantId: expect.anything() },
    after: { status: "confirmed" },
  });
  expect(String(change?.before?.sessionId)).toBe(session.body.data._id);
  expect(removal).toMatchObject({ method: "DELETE", before: { status: "confirmed" }, after: null });
  // A change that found nothing is not logged.
  expect((await inst.call("PATCH", path, { status: "pending" })).status).toBe(404);
  // Longer than the log gathers its entries (audit/log.ts).
  await Bun.sleep(200);
  expect(await inst.db.collection("admin_log").countDocuments({ path })).toBe(2);
});

/** A session created and renamed through `at`: the rename's admin-log entry is then gathering. */
async function renamedSession(at: InProcess, name: string): Promise<string> {
  const now = Date.now();
  const created = await at.call("POST", "/api/v1/sessions", {
    name,
    startTime: new Date(now).toISOString(),
    endTime: new Date(now + 3_600_000).toISOString(),
  });
  const id = created.body.data._id as string;
  expect((await at.call("PATCH", `/api/v1/sessions/${id}`, { name: `${name}, renamed` })).status).toBe(200);
  return id;
}

test("an admin reading the log sees the change just made (this instance writes what it gathers first)", async () => {
  const id = await renamedSession(inst, "Read at once");
  const read = await inst.call("GET", "/api/v1/admin-log?collection=sessions&limit=100");
  expect(read.status).toBe(200);
  const paths = (read.body.data as { path: string; method: string }[]).map((e) => `${e.method} ${e.path}`);
  expect(paths).toContain(`PATCH /api/v1/sessions/${id}`);
});

test("an instance stopping writes the entries it still gathers", async () => {
  const other = await inProcessOn(inst.env, "test-adminlog-other");
  try {
    const id = await renamedSession(other, "Stopped at once");
    // The entry is queued after the answer (its hook runs a moment later), then gathers for 50 ms.
    await Bun.sleep(10);
    await other.lastWrites();
    expect(await inst.db.collection("admin_log").countDocuments({ path: `/api/v1/sessions/${id}` })).toBe(1);
  } finally {
    await other.stop({ keepDatabase: true });
  }
});

test("a failed change is not logged as one", async () => {
  const missing = "0123456789abcdef01234567";
  expect((await inst.call("PATCH", `/api/v1/sessions/${missing}`, { name: "Nope" })).status).toBe(404);
  await Bun.sleep(200);
  expect(await inst.db.collection("admin_log").countDocuments({ path: `/api/v1/sessions/${missing}` })).toBe(
    0,
  );
});

const pageForm = async (path: string, fields: Record<string, string>) =>
  inst.app.handle(
    new Request(`http://test.local${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await inst.tokenFor("admin")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(fields),
    }),
  );

test("pages are logged like the API: a refused form is not, a create records what was asked, an undo its check-in", async () => {
  const refused = await pageForm("/admin/sessions", {
    name: "Bad",
    startTime: "2026-12-01T10:00",
    endTime: "2026-12-01T09:00",
  });
  expect(refused.status).toBe(422);
  const created = await pageForm("/admin/participants", {
    name: "Logged Person",
    email: "logged@example.org",
  });
  expect(created.status).toBe(200);
  expect(await logged("/admin/participants")).toBe(true);
  const entries = await inst.db.collection("admin_log").find({ path: "/admin/sessions" }).toArray();
  expect(entries).toEqual([]);
  const create = await inst.db.collection("admin_log").findOne({ path: "/admin/participants" });
  expect(create?.after).toMatchObject({ asked: { name: "Logged Person", email: "logged@example.org" } });

  const now = Date.now();
  const session = await inst.call("POST", "/api/v1/sessions", {
    name: "Undo log room",
    startTime: new Date(now - 60_000).toISOString(),
    endTime: new Date(now + 3_600_000).toISOString(),
    isOpen: true,
  });
  const person = await inst.db.collection("participants").findOne({ email: "logged@example.org" });
  const scanned = await inst.call("POST", "/api/v1/scan", {
    qrCode: person?.qrCode,
    sessionId: session.body.data._id,
    acceptUnregistered: true,
  });
  const checkInId = String(scanned.body.data.checkIn._id);
  const path = `/admin/participants/${person?._id}/checkins/${checkInId}/undo`;
  expect((await pageForm(path, {})).status).toBe(200);
  expect(await logged(path)).toBe(true);
  const undo = await inst.db.collection("admin_log").findOne({ path });
  expect(undo?.target).toEqual({ collection: "checkins", id: checkInId });
  expect(undo?.before).toMatchObject({ sessionId: expect.anything() });
  expect(undo?.after).toBeNull();
});
