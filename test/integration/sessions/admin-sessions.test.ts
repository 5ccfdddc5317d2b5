import { afterAll, beforeAll, expect, test } from "bun:test";
import { seededInProcess, sessionDoc } from "../../helpers/fixtures";
import type { Served as Instance } from "../../helpers/instance";

// The organisers' session page: list, search, create with errors next to the field,
// open and close by hand, delete.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
const session = sessionDoc({ name: "Plenary <one>", status: "scheduled", location: "Hall A" });
// Two days ahead, so the scheduler leaves it scheduled.
const editable = sessionDoc({
  name: "Editable <two>",
  status: "scheduled",
  location: "Hall E",
  day: 3,
  startTime: new Date(Date.now() + 48 * 3600_000),
  endTime: new Date(Date.now() + 49 * 3600_000),
});

beforeAll(async () => {
  cluster = await seededInProcess("adminsessions", 1, {
    sessions: [session, editable, sessionDoc({ name: "Other", location: "Hall B" })],
  });
  [a] = cluster.instances as [Instance];
});
afterAll(() => cluster.stop());

const form = (path: string, body?: Record<string, string>, method = "POST") =>
  fetch(`${a.url}${path}`, {
    method,
    headers: { ...cluster.auth, ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
    body: body ? new URLSearchParams(body) : undefined,
  });

test("list and search, names escaped", async () => {
  const page = await (
    await fetch(`${a.url}/admin/sessions?search=hall%20a`, { headers: cluster.auth })
  ).text();
  expect(page).toContain("Plenary &lt;one&gt;");
  expect(page).not.toContain(">Other<");
});

test("create shows errors next to the field, then creates", async () => {
  const bad = await form("/admin/sessions", {
    name: "Backwards",
    startTime: "2026-11-23T10:00",
    endTime: "2026-11-23T09:00",
  });
  expect(bad.status).toBe(422);
  const text = await bad.text();
  expect(text).toContain('class="field-error"');
  expect(text).toContain("endTime must be after startTime");
  expect(text).toContain('value="Backwards"');
  const good = await form("/admin/sessions", {
    name: "Workshop",
    startTime: "2026-11-23T10:00",
    endTime: "2026-11-23T11:00",
    capacity: "25",
  });
  expect(good.headers.get("hx-redirect")).toBe("/admin/sessions");
  const created = await cluster.db.collection("sessions").findOne({ name: "Workshop" });
  expect(created?.capacity).toBe(25);
  expect(created?.startTime.toISOString()).toBe("2026-11-23T10:00:00.000Z");
});

test("open and close by hand, then delete", async () => {
  const opened = await (await form(`/admin/sessions/${session._id}/open`)).text();
  expect(opened).toContain("open (by hand)");
  expect((await cluster.db.collection("sessions").findOne({ _id: session._id }))?.statusSource).toBe(
    "manual",
  );
  const closed = await (await form(`/admin/sessions/${session._id}/close`)).text();
  expect(closed).toContain("scheduled (by hand)");
  const removed = await form(`/admin/sessions/${session._id}`, undefined, "DELETE");
  expect(removed.status).toBe(200);
  expect(await cluster.db.collection("sessions").countDocuments({ _id: session._id })).toBe(0);
});

test("filter by status and day; an empty filter means any", async () => {
  const page = async (query: string) =>
    (await fetch(`${a.url}/admin/sessions?${query}`, { headers: cluster.auth })).text();
  const scheduled = await page("status=scheduled&day=&search=");
  expect(scheduled).toContain("Editable &lt;two&gt;");
  expect(scheduled).not.toContain(">Other<");
  const dayThree = await page("day=3&status=");
  expect(dayThree).toContain("Editable");
  expect(dayThree).toContain("1 found");
  expect(await page("day=4")).toContain("0 found");
});

test("edit in place: the form shows the values, a bad change stays with its error, a good one is saved", async () => {
  const id = String(editable._id);
  const edit = await (await fetch(`${a.url}/admin/sessions/${id}/edit`, { headers: cluster.auth })).text();
  expect(edit).toContain(`hx-post="/admin/sessions/${id}"`);
  expect(edit).toContain('value="Editable <two>"');
  const start = editable.startTime.toISOString().slice(0, 16);
  const bad = await form(`/admin/sessions/${id}`, {
    name: "Plenary",
    startTime: start,
    endTime: "2000-01-01T00:00",
    capacity: "10",
  });
  expect(bad.status).toBe(422);
  expect(await bad.text()).toContain("field-error");
  const good = await form(`/admin/sessions/${id}`, {
    name: "Plenary renamed",
    location: "Hall C",
    startTime: start,
    endTime: editable.endTime.toISOString().slice(0, 16),
    capacity: "40",
  });
  expect(good.status).toBe(200);
  expect(await good.text()).toContain("Plenary renamed");
  const saved = await cluster.db.collection("sessions").findOne({ _id: editable._id });
  expect(saved).toMatchObject({ name: "Plenary renamed", location: "Hall C", capacity: 40 });
});
