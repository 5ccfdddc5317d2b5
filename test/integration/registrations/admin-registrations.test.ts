import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually } from "../../helpers/env";
import { participantDoc, registrationDoc, seededInProcess, sessionDoc } from "../../helpers/fixtures";
import type { Served as Instance } from "../../helpers/instance";

// The registrations page: filters and pages, status changes and removal that the door
// sees at once, bulk registration from a pasted list, and CSV import of registrations.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
let b: Instance;
const people = Array.from({ length: 40 }, (_, i) => participantDoc(i));
const inviteOnly = sessionDoc({ name: "Invite only <vip>", requiresRegistration: true });
const open = sessionDoc({ name: "Open talk" });
const twinA = sessionDoc({ name: "Workshop" });
const twinB = sessionDoc({ name: "Workshop" });
const person = (i: number) => people[i] as (typeof people)[number];

beforeAll(async () => {
  cluster = await seededInProcess("adminregs", 2, {
    participants: people,
    sessions: [inviteOnly, open, twinA, twinB],
    registrations: people.slice(0, 30).map((p) => registrationDoc(p._id, open._id)),
  });
  [a, b] = cluster.instances as [Instance, Instance];
});
afterAll(() => cluster.stop());

const page = async (query: string) =>
  (await fetch(`${a.url}/admin/registrations?${query}`, { headers: cluster.auth })).text();
const form = (instance: Instance, path: string, body: Record<string, string>) =>
  fetch(`${instance.url}${path}`, {
    method: "POST",
    headers: { ...cluster.auth, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(body),
  });
/** What the door (on the other instance) says about this person for this session. */
async function door(i: number, sessionId: unknown) {
  const response = await fetch(`${b.url}/api/v1/checkin/verify-qr`, {
    method: "POST",
    headers: { ...cluster.auth, "content-type": "application/json" },
    body: JSON.stringify({ qrCode: person(i).qrCode, sessionId: String(sessionId) }),
  });
  return ((await response.json()) as { data: { verification: { reason: string } } }).data.verification.reason;
}

test("pages of 25 with session, status and participant filters", async () => {
  const all = await page(`session=${open._id}&status=&participant=`);
  expect(all).toContain("30 found · page 1 of 2");
  expect(all.match(/<tr id="admin-registration-/g)?.length).toBe(25);
  expect((await page(`session=${open._id}&page=2`)).match(/<tr id="admin-registration-/g)?.length).toBe(5);
  const one = await page(`participant=${encodeURIComponent(person(3).email)}`);
  expect(one).toContain("1 found");
  expect(one).toContain(person(3).name);
  expect(await page("status=cancelled")).toContain("0 found");
  expect(all).toContain("Invite only &lt;vip&gt;");
});

test("bulk registration from a pasted list; the door lets them in at once; again changes nothing", async () => {
  expect(await door(31, inviteOnly._id)).toBe("invite_only");
  const list = [
    person(31).email,
    person(32).qrCode,
    "nobody@example.org",
    "",
    person(31).email.toUpperCase(),
  ];
  const first = await form(a, "/admin/registrations/assign", {
    session: String(inviteOnly._id),
    status: "confirmed",
    people: list.join("\n"),
  });
  const report = await first.text();
  expect(report).toContain("2 created · 0 updated · 0 unchanged");
  expect(report).toContain("row 3: nobody has the email or badge code &quot;nobody@example.org&quot;");
  expect(report).toContain("row 5: the same registration is already on row 1");
  expect(await door(31, inviteOnly._id)).toBe("ok");
  expect(await door(32, inviteOnly._id)).toBe("ok");
  const again = await (
    await form(a, "/admin/registrations/assign", {
      session: String(inviteOnly._id),
      status: "confirmed",
      people: list.slice(0, 2).join("\n"),
    })
  ).text();
  expect(again).toContain("0 created · 0 updated · 2 unchanged");
  expect(await cluster.db.collection("registrations").countDocuments({ sessionId: inviteOnly._id })).toBe(2);
  // The admin log records how many lines were pasted, not who was on them (an erasure could not find them).
  const assigned = { path: "/admin/registrations/assign" };
  // Written a moment after the answer (the log gathers its entries).
  expect(
    await eventually(
      async () => (await cluster.db.collection("admin_log").countDocuments(assigned)) >= 2,
      3000,
    ),
  ).toBe(true);
  const logged = await cluster.db.collection("admin_log").find(assigned).sort({ at: 1 }).toArray();
  expect(JSON.stringify(logged)).not.toContain(person(31).email);
  expect(logged[0]?.after?.asked?.people).toBe("(4 lines, not recorded)");
});

test("status change and removal from the page reach the door on the other instance", async () => {
  const registration = await cluster.db
    .collection("registrations")
    .findOne({ sessionId: inviteOnly._id, participantId: person(31)._id });
  const id = String(registration?._id);
  const changed = await form(a, `/admin/registrations/${id}/status`, { status: "cancelled" });
  expect(changed.status).toBe(200);
  expect(await changed.text()).toMatch(/value="cancelled" selected/);
  expect(await door(31, inviteOnly._id)).toBe("registration_cancelled");
  const removed = await fetch(`${a.url}/admin/registrations/${id}`, {
    method: "DELETE",
    headers: cluster.auth,
  });
  expect(removed.status).toBe(200);
  expect(await door(31, inviteOnly._id)).toBe("invite_only");
  const gone = await fetch(`${a.url}/admin/registrations/${id}`, { method: "DELETE", headers: cluster.auth });
  expect(gone.status).toBe(404);
});

test("CSV import of registrations: session column by name or ID, exact row report, idempotent", async () => {
  const csv = [
    "\uFEFFEmail;Session;Status",
    `${person(33).email};Invite only <vip>;confirmed`,
    `${person(34).email};${twinA._id};pending`,
    `${person(35).email};Workshop;`,
    `${person(36).email};;`,
    `nobody@example.org;Open talk;`,
    `${person(0).email};Open talk;cancelled`,
  ].join("\r\n");
  const upload = (text: string, extra: Record<string, string> = {}) => {
    const body = new FormData();
    body.set("file", new File([text], "registrations.csv", { type: "text/csv" }));
    for (const [key, value] of Object.entries(extra)) body.set(key, value);
    return fetch(`${a.url}/api/v1/registrations/import`, { method: "POST", headers: cluster.auth, body });
  };
  const first = (await (await upload(csv)).json()) as { data: Record<string, unknown> };
  expect(first.data).toMatchObject({ created: 2, updated: 1, unchanged: 0, failed: 3, rows: 6 });
  expect(first.data.errors).toEqual([
    'row 4: 2 sessions are called "Workshop"; use its ID',
    "row 5: no session (add a session column, or choose one session for the file)",
    'row 6: nobody has the email or badge code "nobody@example.org"',
  ]);
  expect(await door(33, inviteOnly._id)).toBe("ok");
  const second = (await (await upload(csv)).json()) as { data: Record<string, unknown> };
  expect(second.data).toMatchObject({ created: 0, updated: 0, unchanged: 3, failed: 3 });

  // One session for the whole file: no session column needed.
  const fixed = (await (
    await upload(`email\n${person(37).email}\n${person(38).qrCode}\n`, { sessionId: String(twinB._id) })
  ).json()) as { data: Record<string, unknown> };
  expect(fixed.data).toMatchObject({ created: 2, failed: 0 });
  expect(await cluster.db.collection("registrations").countDocuments({ sessionId: twinB._id })).toBe(2);

  // A file without the columns it needs is refused whole: a 400 in words, nothing imported.
  const headerless = await upload("name,organization\nAda,X\n");
  expect(headerless.status).toBe(400);
  const refused = (await headerless.json()) as {
    message: string;
    errors: { field: string; message: string }[];
  };
  expect(refused.message).toBe("The CSV file cannot be imported");
  expect(refused.errors).toEqual([
    {
      field: "file",
      message: 'the header has no "email" or "qrcode" column (expected email,session,status)',
    },
  ]);
  const empty = await upload("");
  expect(empty.status).toBe(400);
});

test("the page's import answers with the report, and the template downloads", async () => {
  const body = new FormData();
  body.set("file", new File([`email,session\n${person(39).email},Open talk\n`], "r.csv"));
  body.set("session", "");
  const report = await fetch(`${a.url}/admin/registrations/import`, {
    method: "POST",
    headers: cluster.auth,
    body,
  });
  expect(report.status).toBe(200);
  expect(await report.text()).toContain("1 created");
  const template = await fetch(`${a.url}/api/v1/registrations/import/template`, { headers: cluster.auth });
  expect(template.headers.get("content-disposition")).toContain("registrations-template.csv");
  expect(await template.text()).toStartWith("email,session,status");
});
