import { afterAll, beforeAll, expect, test } from "bun:test";
import Papa from "papaparse";
import { seededInProcess, sessionDoc } from "../../helpers/fixtures";
import type { Served as Instance } from "../../helpers/instance";

// 10,000 rows of an organiser's spreadsheet through the real API: the exact per-row
// report, idempotent re-import, badges scannable at once, and the export round trip.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
let b: Instance;
const session = sessionDoc({ name: "Import room" });

beforeAll(async () => {
  cluster = await seededInProcess("import", 2, { sessions: [session] }, { UPLOAD_MAX_FILE_SIZE: "2000000" });
  [a, b] = cluster.instances as [Instance, Instance];
});
afterAll(() => cluster.stop());

const ROWS = 10_000;
function messyCsv(): { text: string; bad: string[] } {
  const lines = ["\uFEFFname;email;organization;phone"];
  const bad: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const row = i + 2;
    if (i % 1000 === 7) {
      lines.push(`;nobody${i}@example.org;;`);
      bad.push(`row ${row}: name is missing`);
    } else if (i % 1000 === 8) {
      lines.push(`Dup ${i};person0@example.org;;`);
      bad.push(`row ${row}: email person0@example.org already appears on row 2`);
    } else {
      lines.push(`Person ${i};person${i}@example.org;"Org ${i % 7}; Inc";+1 555 ${i}`);
    }
  }
  return { text: lines.join("\n"), bad };
}

const upload = (instance: Instance, text: string) => {
  const form = new FormData();
  form.append("file", new Blob([text], { type: "text/csv" }), "people.csv");
  return fetch(`${instance.url}/api/v1/participants/import`, {
    method: "POST",
    headers: cluster.auth,
    body: form,
  });
};

test("a 10k-row messy import: exact report, good rows in, re-import changes nothing", async () => {
  const { text, bad } = messyCsv();
  const first = await upload(a, text);
  expect(first.status).toBe(200);
  const report = ((await first.json()) as { data: Record<string, unknown> }).data;
  expect(report.errors).toEqual(bad);
  expect(report).toMatchObject({ created: ROWS - bad.length, updated: 0, unchanged: 0, failed: bad.length });
  expect(await cluster.db.collection("participants").countDocuments({})).toBe(ROWS - bad.length);

  const someone = await cluster.db.collection("participants").findOne({ email: "person4321@example.org" });
  expect(someone?.organization).toBe("Org 2; Inc");
  // Scannable at once on the other instance.
  const scan = await fetch(`${b.url}/api/v1/scan`, {
    method: "POST",
    headers: { ...cluster.auth, "content-type": "application/json" },
    body: JSON.stringify({
      qrCode: someone?.qrCode,
      sessionId: String(session._id),
      acceptUnregistered: true,
    }),
  });
  expect(((await scan.json()) as { data: { outcome: string } }).data.outcome).toBe("accept");

  const again = ((await (await upload(b, text)).json()) as { data: Record<string, unknown> }).data;
  expect(again).toMatchObject({ created: 0, updated: 0, unchanged: ROWS - bad.length });
  const same = await cluster.db.collection("participants").findOne({ email: "person4321@example.org" });
  expect(same?.qrCode).toBe(someone?.qrCode);
});

test("export then import gives the same people and badge codes", async () => {
  const exported = await fetch(`${a.url}/api/v1/participants/export.csv`, { headers: cluster.auth });
  expect(exported.headers.get("content-type")).toContain("text/csv");
  const csv = await exported.text();
  const rows = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true }).data;
  expect(rows.length).toBe(await cluster.db.collection("participants").countDocuments({}));
  await cluster.db.collection("participants").deleteMany({});
  const report = ((await (await upload(a, csv)).json()) as { data: Record<string, unknown> }).data;
  expect(report).toMatchObject({ created: rows.length, failed: 0 });
  const back = await cluster.db.collection("participants").find({}).toArray();
  const codes = new Map(back.map((p) => [p.email, p.qrCode]));
  for (const row of rows) expect(codes.get(row.email as string)).toBe(row.qrCode);
});

test("oversized files get 413, and the template downloads", async () => {
  const big = await upload(a, "name,email\n".padEnd(2_100_000, "x"));
  expect(big.status).toBe(413);
  expect(((await big.json()) as { message: string }).message).toContain("UPLOAD_MAX_FILE_SIZE");
  // Any request: one larger than the largest upload and its form is refused before it is read,
  // in words when it says its length, by the server's own cap when it does not.
  const huge = JSON.stringify({
    qrCode: "QR-X",
    sessionId: "0123456789abcdef01234567",
    pad: "x".repeat(3_200_000),
  });
  const declared = await fetch(`${a.url}/api/v1/scan`, {
    method: "POST",
    headers: { ...cluster.auth, "content-type": "application/json" },
    body: huge,
  });
  expect(declared.status).toBe(413);
  expect(((await declared.json()) as { message: string }).message).toContain("accepts at most 3,048,576");
  const streamed = await fetch(`${a.url}/api/v1/scan`, {
    method: "POST",
    headers: { ...cluster.auth, "content-type": "application/json" },
    body: new Blob([huge.padEnd(4 * 3_048_576 + 1, " ")]).stream(),
    duplex: "half",
  } as RequestInit);
  expect(streamed.status).toBe(413);
  const template = await fetch(`${a.url}/api/v1/participants/import/template`, { headers: cluster.auth });
  expect((await template.text()).split("\n")[0]).toBe("name,email,organization,phone,qrCode");
});

test("the import page streams its progress as batches are written, then the report", async () => {
  const lines = ["name,email"];
  for (let i = 0; i < 1600; i++) lines.push(`Streamed ${i},streamed${i}@example.org`);
  lines.push(",nameless@example.org");
  const form = new FormData();
  form.set("file", new File([lines.join("\n")], "big.csv", { type: "text/csv" }));
  const response = await fetch(`${a.url}/admin/import`, {
    method: "POST",
    headers: cluster.auth,
    body: form,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("x-accel-buffering")).toBe("no");
  const text = await response.text();
  const marks = [...text.matchAll(/<!--progress (\d+)\/(\d+)-->/g)].map((m) => `${m[1]}/${m[2]}`);
  // 1,600 new people in batches of 500: 0, 500, 1000, 1500, 1600, then the end.
  expect(marks).toEqual(["0/1600", "500/1600", "1000/1600", "1500/1600", "1600/1600", "1600/1600"]);
  expect(text.indexOf("<!--progress 1600/1600-->")).toBeLessThan(text.indexOf("import-report"));
  expect(text).toContain("1,600 created");
  expect(text).toContain("row 1602: name is missing");
});

test("an empty file, or one without the columns it needs, is refused whole: 400 in words, nobody added", async () => {
  const before = await cluster.db.collection("participants").countDocuments({});
  for (const text of ["", "nom,courriel\nAda,ada@example.org\n"]) {
    const response = await upload(a, text);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { message: string; errors: { field: string; message: string }[] };
    expect(body.message).toBe("The CSV file cannot be imported");
    expect(body.errors[0]?.message).toContain('the header has no "name" column');
  }
  expect(await cluster.db.collection("participants").countDocuments({})).toBe(before);
});
