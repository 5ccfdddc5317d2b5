import { expect, test } from "bun:test";
import { ObjectId } from "mongodb";
import { sayRow } from "../../src/imports/summary";
import { listRecords, resolveRegistrations } from "../../src/registrations/rows";

/** A row error as the English report writes it. */
const english = (error: Parameters<typeof sayRow>[1]) => sayRow("en", error);

const ada = new ObjectId();
const bob = new ObjectId();
const keynote = new ObjectId();
const workshopA = new ObjectId();
const workshopB = new ObjectId();
const lookups = {
  emails: new Map([
    ["ada@example.org", ada],
    ["bob@example.org", bob],
  ]),
  codes: new Map([
    ["QR-ADA", ada],
    ["QR-ada", bob],
  ]),
  sessions: new Map([
    ["keynote", [keynote]],
    [String(keynote), [keynote]],
    ["workshop", [workshopA, workshopB]],
    [String(workshopA), [workshopA]],
  ]),
};
const records = (...rows: Record<string, string>[]) => rows.map((record, i) => ({ row: i + 2, record }));

test("rows name people by email (any case) or exact badge code, sessions by name (any case) or ID", () => {
  const resolved = resolveRegistrations(
    records(
      { email: "ADA@example.org", session: "Keynote" },
      { qrcode: "QR-ADA", session: String(workshopA), status: "Pending" },
      { qrcode: "QR-ada", session: "keynote" },
    ),
    lookups,
  );
  expect(resolved.errors.map(english)).toEqual([]);
  expect(resolved.rows).toEqual([
    // No status said: new registrations are confirmed, existing ones keep theirs (see the import test).
    { row: 2, participantId: ada, sessionId: keynote },
    { row: 3, participantId: ada, sessionId: workshopA, status: "pending" },
    // Badge codes are exact: another case is another badge.
    { row: 4, participantId: bob, sessionId: keynote },
  ]);
});

test("every bad row is reported by number and the good ones stay", () => {
  const resolved = resolveRegistrations(
    records(
      { email: "", session: "keynote" },
      { email: "nobody@example.org", session: "keynote" },
      { email: "bob@example.org", session: "" },
      { email: "bob@example.org", session: "lunch" },
      { email: "bob@example.org", session: "workshop" },
      { email: "bob@example.org", session: "keynote", status: "maybe" },
      { email: "bob@example.org", session: "keynote" },
      { email: "bob@example.org", session: "Keynote" },
    ),
    lookups,
  );
  expect(resolved.errors.map(english)).toEqual([
    "row 2: no email or badge code",
    'row 3: nobody has the email or badge code "nobody@example.org"',
    "row 4: no session (add a session column, or choose one session for the file)",
    'row 5: there is no session "lunch"',
    'row 6: 2 sessions are called "workshop"; use its ID',
    'row 7: status "maybe" is not one of confirmed, pending, cancelled',
    "row 9: the same registration is already on row 8",
  ]);
  expect(resolved.rows).toEqual([{ row: 8, participantId: bob, sessionId: keynote }]);
});

test("a chosen session overrides the file; a pasted list keeps its line numbers", () => {
  const list = listRecords("ada@example.org\r\n\n  bob@example.org  \nwho@example.org\n");
  expect(list.map((r) => r.row)).toEqual([1, 3, 4]);
  const resolved = resolveRegistrations(list, lookups, keynote);
  expect(resolved.rows.map((r) => [r.row, r.participantId])).toEqual([
    [1, ada],
    [3, bob],
  ]);
  expect(resolved.errors.map(english)).toEqual([
    'row 4: nobody has the email or badge code "who@example.org"',
  ]);
});
