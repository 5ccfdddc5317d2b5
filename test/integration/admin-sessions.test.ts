import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Instance } from "../../deploy/local/cluster";
import { seededInstances, sessionDoc } from "../helpers/fixtures";

// The organisers' session page: list, search, create with errors next to the field,
// open and close by hand, delete.

let cluster: Awaited<ReturnType<typeof seededInstances>>;
let a: Instance;
const session = sessionDoc({ name: "Plenary <one>", status: "scheduled", location: "Hall A" });

beforeAll(async () => {
  cluster = await seededInstances("adminsessions", 1, {
    sessions: [session, sessionDoc({ name: "Other", location: "Hall B" })],
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
