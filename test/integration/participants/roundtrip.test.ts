import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type InProcess, inProcess } from "../../helpers/instance";

// Data in and out as an organiser moves it: an export imported back changes nothing,
// an import holds the API's limits and reports a bounded list, a download of personal
// data is in the admin log, and the last active admin stays an admin.

let inst: InProcess;
beforeAll(async () => {
  inst = await inProcess("roundtrip");
});
afterAll(() => inst.stop());

async function upload(csv: string) {
  const form = new FormData();
  form.append("file", new File([csv], "import.csv", { type: "text/csv" }));
  const response = await inst.app.handle(
    new Request("http://test.local/api/v1/participants/import", {
      method: "POST",
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
      body: form,
    }),
  );
  expect(response.status).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: the report is read field by field
  return ((await response.json()) as any).data;
}

const exported = async () => {
  const response = await inst.app.handle(
    new Request("http://test.local/api/v1/participants/export.csv", {
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
    }),
  );
  expect(response.status).toBe(200);
  return response.text();
};

describe("export, then import the file back", () => {
  test("changes nothing, formula-like cells included", async () => {
    const people = [
      { name: "Amélie Phone", email: "amelie@example.org", organization: "Lyon", phone: "+33 6 12 34 56 78" },
      { name: "=Formula Name", email: "formula@example.org", organization: "@handle Org", phone: "-12" },
      { name: "Quoted", email: "quoted@example.org", organization: "'=already quoted", phone: "'+1 555" },
    ];
    for (const person of people)
      expect((await inst.call("POST", "/api/v1/participants", person)).status).toBe(201);
    const before = await inst.db.collection("participants").find({}).sort({ email: 1 }).toArray();
    const file = await exported();
    // The file itself is safe to open in a spreadsheet.
    expect(file).toContain("'+33 6 12 34 56 78");
    expect(file).toContain("'=Formula Name");
    const report = await upload(file);
    expect(report.failed).toBe(0);
    expect(report.updated).toBe(0);
    const after = await inst.db.collection("participants").find({}).sort({ email: 1 }).toArray();
    expect(after.map(({ name, organization, phone }) => ({ name, organization, phone }))).toEqual(
      before.map(({ name, organization, phone }) => ({ name, organization, phone })),
    );
    expect(after.find((p) => p.email === "amelie@example.org")?.phone).toBe("+33 6 12 34 56 78");
    expect(after.find((p) => p.email === "quoted@example.org")?.organization).toBe("'=already quoted");
  });

  test("the download is in the admin log: who, what, how many rows", async () => {
    await exported();
    const entry = await inst.db
      .collection("admin_log")
      .findOne({ "export.what": "participants" }, { sort: { at: -1 } });
    expect(entry?.export?.rows).toBeGreaterThan(0);
    expect(entry?.by?.name).toBe("admin (test)");
    expect(entry?.path).toBe("/api/v1/participants/export.csv");
  });
});

describe("imports hold the API's limits", () => {
  test("a 5,000-character organisation or phone is refused, and the report lists a bounded number of rows", async () => {
    const long = "x".repeat(5000);
    const rows = [
      `Long Org,long-org@example.org,${long},`,
      `Long Phone,long-phone@example.org,Org,${long}`,
      ...Array.from({ length: 400 }, (_, i) => `Broken ${i},not-an-email-${i},,`),
    ];
    const report = await upload(`name,email,organization,phone\n${rows.join("\n")}\n`);
    expect(report.failed).toBe(402);
    expect(report.errors.length).toBeLessThanOrEqual(200);
    expect(report.errorsNotListed).toBe(402 - report.errors.length);
    expect(report.errors[0]).toContain("organization is longer than 200 characters");
    expect(report.errors[1]).toContain("phone is longer than 50 characters");
    expect(await inst.db.collection("participants").countDocuments({ email: /^long-/ })).toBe(0);
  });
});

describe("the last active admin", () => {
  test("cannot be demoted or disabled; with another admin it can", async () => {
    const created = await inst.call("POST", "/api/v1/auth/accounts", {
      email: "only-admin@example.org",
      name: "Only Admin",
      role: "admin",
    });
    expect(created.status).toBe(201);
    const id = created.body.data.account._id;
    const demote = await inst.call("PATCH", `/api/v1/auth/accounts/${id}`, { role: "viewer" });
    expect(demote.status).toBe(409);
    expect(demote.body.message).toContain("last active admin");
    expect((await inst.call("PATCH", `/api/v1/auth/accounts/${id}`, { disabled: true })).status).toBe(409);
    const second = await inst.call("POST", "/api/v1/auth/accounts", {
      email: "second-admin@example.org",
      name: "Second Admin",
      role: "admin",
    });
    const other = second.body.data.account._id;
    // Both demoted at the same moment: at most one goes through; an active admin remains.
    const both = await Promise.all([
      inst.call("PATCH", `/api/v1/auth/accounts/${id}`, { role: "viewer" }),
      inst.call("PATCH", `/api/v1/auth/accounts/${other}`, { role: "viewer" }),
    ]);
    expect(both.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    expect(
      await inst.db.collection("users").countDocuments({ role: "admin", disabled: false }),
    ).toBeGreaterThan(0);
  });
});
