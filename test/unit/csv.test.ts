import { expect, test } from "bun:test";
import Papa from "papaparse";
import { parseParticipants, toCsv } from "../../src/imports/csv";
import { sayRow } from "../../src/imports/summary";

/** A row error as the English report writes it. */
const english = (error: Parameters<typeof sayRow>[1]) => sayRow("en", error);

const bytes = (text: string) => new TextEncoder().encode(text);

test("a messy file: BOM, semicolons, quoted separators, blank lines, odd headers; every bad row reported", () => {
  const text = [
    "\uFEFF Name ;E-Mail;Organization;Phone",
    'Ada Lovelace;ADA@Example.org ;"Engines; Ltd";+44 1',
    "",
    ";missing.name@example.org;;",
    "No Email;;Org;",
    "Bad Email;not-an-email;;",
    "Ada Again;ada@example.org;;",
    'Grace Hopper;grace@example.org;"Navy, US";',
  ].join("\r\n");
  const parsed = parseParticipants(bytes(text));
  expect(parsed.encoding).toBe("utf-8");
  expect(parsed.rows).toEqual([
    { row: 2, name: "Ada Lovelace", email: "ada@example.org", organization: "Engines; Ltd", phone: "+44 1" },
    // The file has a phone column, so an empty cell says "no phone"; a missing column would say nothing.
    { row: 8, name: "Grace Hopper", email: "grace@example.org", organization: "Navy, US", phone: "" },
  ]);
  expect(parsed.errors.map(english)).toEqual([
    "row 4: name is missing",
    "row 5: email is missing",
    'row 6: email "not-an-email" is not valid',
    "row 7: email ada@example.org already appears on row 2",
  ]);
});

test("Windows-1252 files are read, and a file without the needed columns is refused in words", () => {
  const latin = Uint8Array.from([...bytes("name,email\nJos"), 0xe9, ...bytes(",jose@example.org\n")]);
  const parsed = parseParticipants(latin);
  expect(parsed.encoding).toBe("windows-1252");
  expect(parsed.rows[0]?.name).toBe("José");
  expect(parseParticipants(bytes("first,last\nA,B\n")).errors.map(english)).toEqual([
    'row 1: the header has no "name" column (expected name,email,organization,phone)',
  ]);
  expect(
    parseParticipants(bytes("name,email,qrCode\nA,a@example.org,NOPE\n")).errors.map(english)[0],
  ).toContain("is not a badge code");
});

test("CSV out neutralises spreadsheet formulas and survives a round trip", () => {
  const csv = toCsv(
    [{ name: '=HYPERLINK("x")', email: "a@example.org", when: new Date("2026-11-22T09:00:00Z") }],
    ["name", "email", "when"],
  );
  const back = Papa.parse<string[]>(csv).data;
  expect(back[1]).toEqual(['\'=HYPERLINK("x")', "a@example.org", "2026-11-22T09:00:00.000Z"]);
});
