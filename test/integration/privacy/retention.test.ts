import { afterAll, beforeAll, expect, test } from "bun:test";
import { retentionDue } from "../../../src/privacy/retention";
import { participantDoc, registrationDoc, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess } from "../../helpers/instance";

// Scheduled retention against the real servers: nothing changes before it is due; once due,
// every participant is pseudonymised (contact data and badge gone, the name only if the
// organiser keeps it), check-ins and the scan log lose who scanned on which device and the
// codes read, and every count stays.

let inst: InProcess;
const day = 86_400_000;
const past = sessionDoc({ name: "Over and done", status: "open" });
const people = [1, 2, 3].map((i) => participantDoc(8200 + i, { name: `Kept ${i}`, organization: "Acme" }));

beforeAll(async () => {
  inst = await inProcess("retention");
  await inst.db.collection("sessions").insertOne(past);
  await inst.db.collection("participants").insertMany(people as never[]);
  await inst.db.collection("registrations").insertMany(people.map((p) => registrationDoc(p._id, past._id)));
  await inst.features.directory.reload();
  for (const p of people.slice(0, 2)) {
    const scan = await inst.call(
      "POST",
      "/api/v1/scan",
      { sessionId: String(past._id), qrCode: p.qrCode, device: "Door 7" },
      { role: "scanner" },
    );
    expect(scan.body.data.outcome).toBe("accept");
  }
  // The event is over: its last session ended three days ago.
  await inst.db.collection("sessions").updateOne(
    { _id: past._id },
    {
      $set: {
        startTime: new Date(Date.now() - 3 * day),
        endTime: new Date(Date.now() - 3 * day + 3600_000),
        status: "ended",
      },
    },
  );
});
afterAll(async () => {
  await inst.call("PUT", "/api/v1/settings/timing", { retentionDays: null, retentionKeepNames: false });
  await inst.stop();
});

test("the rule: due the retention's days after the last session ends; never without a policy", () => {
  const end = new Date("2026-06-30T18:00:00Z");
  expect(retentionDue(end, { retentionDays: 90, retentionKeepNames: false })).toEqual(
    new Date("2026-09-28T18:00:00Z"),
  );
  expect(retentionDue(end, { retentionDays: null, retentionKeepNames: false })).toBeNull();
  expect(retentionDue(null, { retentionDays: 0, retentionKeepNames: false })).toBeNull();
});

test("before it is due nothing changes; once due, personal data goes and counts stay", async () => {
  // Bad input is refused in words.
  expect((await inst.call("PUT", "/api/v1/settings/timing", { retentionDays: -1 })).status).toBe(400);
  expect((await inst.call("PUT", "/api/v1/settings/timing", { retentionDays: 90 })).status).toBe(200);
  const early = await inst.call("POST", "/api/v1/settings/retention/run");
  expect(early.status).toBe(200);
  expect(early.body.data.applied).toBe(false);
  expect(await inst.db.collection("participants").countDocuments({ erasedAt: { $exists: true } })).toBe(0);

  expect(
    (await inst.call("PUT", "/api/v1/settings/timing", { retentionDays: 1, retentionKeepNames: true }))
      .status,
  ).toBe(200);
  const run = await inst.call("POST", "/api/v1/settings/retention/run");
  expect(run.body.data).toMatchObject({ applied: true, participants: 3 });

  const after = await inst.db
    .collection("participants")
    .find({ _id: { $in: people.map((p) => p._id) } })
    .toArray();
  for (const [i, p] of after.entries()) {
    expect(p.name).toBe(`Kept ${i + 1}`);
    expect(p.email).toMatch(/@erased\.invalid$/);
    expect(p.organization).toBeUndefined();
    expect(p.qrCode).not.toBe(people[i]?.qrCode);
  }
  const checkins = await inst.db.collection("checkins").find({ sessionId: past._id }).toArray();
  expect(checkins).toHaveLength(2);
  for (const c of checkins) {
    expect(c.device).toBeUndefined();
    expect(c.checkedInBy).toBeUndefined();
    expect(c.checkedInById).toBeUndefined();
  }
  const log = await inst.db.collection("scanlog").find({ sessionId: past._id }).toArray();
  expect(log.length).toBeGreaterThanOrEqual(2);
  expect(log.every((e) => e.qrCode === undefined && e.device === undefined && e.by === undefined)).toBe(true);
  // The badge no longer opens the door, and the room's figures are what they were.
  const again = await inst.call(
    "POST",
    "/api/v1/scan",
    { sessionId: String(past._id), qrCode: people[2]?.qrCode },
    { role: "scanner" },
  );
  expect(again.body.data.reason).toBe("unknown_code");
  expect(await inst.db.collection("registrations").countDocuments({ sessionId: past._id })).toBe(3);
  // Run again: nothing left to do.
  expect((await inst.call("POST", "/api/v1/settings/retention/run")).body.data.participants).toBe(0);
});
