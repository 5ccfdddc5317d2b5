import { afterAll, beforeAll, expect, test } from "bun:test";
import { participantDoc, seededInProcess, sessionDoc } from "../../helpers/fixtures";
import type { Served as Instance } from "../../helpers/instance";

// The organisers' participant page: search, pages, create with errors next to the field, delete.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
const people = Array.from({ length: 30 }, (_, i) =>
  participantDoc(i, { name: `Person ${String(i).padStart(2, "0")}` }),
);

beforeAll(async () => {
  cluster = await seededInProcess("adminpeople", 1, {
    participants: [...people, participantDoc(99, { name: "Élodie <i>" })],
    sessions: [sessionDoc()],
  });
  [a] = cluster.instances as [Instance];
});
afterAll(() => cluster.stop());

const get = async (path: string) => (await fetch(`${a.url}${path}`, { headers: cluster.auth })).text();
const post = (body: Record<string, string>) =>
  fetch(`${a.url}/admin/participants`, {
    method: "POST",
    headers: { ...cluster.auth, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(body),
  });

test("pages of 25, search, names escaped", async () => {
  const first = await get("/admin/participants");
  expect(first).toContain("31 found · page 1 of 2");
  expect(first.match(/<tr id="admin-participant-/g)?.length).toBe(25);
  const second = await get("/admin/participants?page=2");
  expect(second.match(/<tr id="admin-participant-/g)?.length).toBe(6);
  const found = await get("/admin/participants?search=%C3%A9lodie");
  expect(found).toContain("Élodie &lt;i&gt;");
  expect(found).toContain("1 found");
});

test("create shows errors next to the field; delete removes", async () => {
  const bad = await post({ name: "X", email: "not an email" });
  expect(bad.status).toBe(422);
  expect(await bad.text()).toContain("This is not an email address");
  const duplicate = await post({ name: "Again", email: people[0]?.email as string });
  expect(duplicate.status).toBe(422);
  expect(await duplicate.text()).toContain("already exists");
  const good = await post({ name: "New Person", email: "new.person@example.org", organization: "Org" });
  expect(good.headers.get("hx-redirect")).toContain("/admin/participants?search=");
  const created = await cluster.db.collection("participants").findOne({ email: "new.person@example.org" });
  expect(created?.qrCode).toMatch(/^QR-/);
  const removed = await fetch(`${a.url}/admin/participants/${created?._id}`, {
    method: "DELETE",
    headers: cluster.auth,
  });
  expect(removed.status).toBe(200);
  expect(
    await cluster.db.collection("participants").countDocuments({ email: "new.person@example.org" }),
  ).toBe(0);
});

test("edit in place; deactivating a badge takes effect at the door at once", async () => {
  const p = people[1] as (typeof people)[number];
  const id = String(p._id);
  const edit = await get(`/admin/participants/${id}/edit`);
  expect(edit).toContain(`value="${p.email}"`);
  expect(edit).toContain("checked");
  const save = (body: Record<string, string>) =>
    fetch(`${a.url}/admin/participants/${id}`, {
      method: "POST",
      headers: { ...cluster.auth, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(body),
    });
  const taken = await save({ name: p.name, email: people[2]?.email as string, isActive: "on" });
  expect(taken.status).toBe(422);
  expect(await taken.text()).toContain("already exists");
  // No isActive: the box was unticked.
  const saved = await save({ name: "Renamed Person", email: p.email, organization: "New Org" });
  expect(saved.status).toBe(200);
  const row = await saved.text();
  expect(row).toContain("Renamed Person");
  expect(row).toContain("deactivated");
  const session = await cluster.db.collection("sessions").findOne({});
  const scan = await fetch(`${a.url}/api/v1/checkin/verify-qr`, {
    method: "POST",
    headers: { ...cluster.auth, "content-type": "application/json" },
    body: JSON.stringify({ qrCode: p.qrCode, sessionId: String(session?._id) }),
  });
  expect(
    ((await scan.json()) as { data: { verification: { reason: string } } }).data.verification.reason,
  ).toBe("inactive_participant");
});
