import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually } from "../../helpers/env";
import { participantDoc, seedRoom, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess, inProcessOn } from "../../helpers/instance";

// Erasure on request (GDPR art. 17): what identifies the person goes, counts stay, the
// admin log keeps who erased whom but no copy of the data, and the old badge stops working.

let inst: InProcess;
beforeAll(async () => {
  inst = await inProcess("erasure");
});
afterAll(async () => {
  await inst.stop();
});

test("erasing a person: identifying data gone everywhere, counts kept, the badge refused", async () => {
  const session = sessionDoc({ name: "Erasure room" });
  const person = participantDoc(1, { name: "Zeynep Erasable", organization: "Secret Org" });
  await seedRoom(inst.db, session, [person]);
  // An admin edit: the admin log now holds copies of the record.
  const edited = await inst.call("PATCH", `/api/v1/participants/${person._id}`, {
    doorNote: "Wheelchair, row 1",
  });
  expect(edited.status).toBe(200);
  const scanned = await inst.call(
    "POST",
    "/api/v1/scan",
    { sessionId: String(session._id), qrCode: person.qrCode },
    { role: "scanner" },
  );
  expect(scanned.body.data.outcome).toBe("accept");

  const erased = await inst.call("POST", `/api/v1/participants/${person._id}/erase`);
  expect(erased.status).toBe(200);

  const record = await inst.db.collection("participants").findOne({ _id: person._id });
  expect(record).toMatchObject({ name: "(erased)", isActive: false });
  expect(record?.email).not.toContain("example.org");
  expect(record?.qrCode).not.toBe(person.qrCode);
  for (const field of ["organization", "doorNote", "phone", "notes"]) expect(record?.[field]).toBeUndefined();

  // Counts stay: the check-in and the registration still count, under no name.
  expect(await inst.db.collection("checkins").countDocuments({ sessionId: session._id })).toBe(1);
  expect(await inst.db.collection("registrations").countDocuments({ sessionId: session._id })).toBe(1);
  // Nothing left that names or identifies them: scan log codes, admin log copies.
  expect(
    await inst.db
      .collection("scanlog")
      .countDocuments({ participantId: person._id, qrCode: { $exists: true } }),
  ).toBe(0);
  // The erasure's own entry is written after its answer (the log gathers entries a moment).
  const erasure = { path: `/api/v1/participants/${person._id}/erase` };
  expect(
    await eventually(async () => (await inst.db.collection("admin_log").countDocuments(erasure)) === 1, 3000),
  ).toBe(true);
  const log = JSON.stringify(await inst.db.collection("admin_log").find({}).toArray());
  for (const identifying of [person.name, person.email, person.qrCode, "Secret Org", "Wheelchair"])
    expect(log).not.toContain(identifying);
  expect(await inst.db.collection("admin_log").findOne(erasure)).toMatchObject({
    erased: true,
    before: null,
    after: null,
    status: 200,
  });

  // The old badge is unknown everywhere now.
  const again = await inst.call(
    "POST",
    "/api/v1/scan",
    { sessionId: String(session._id), qrCode: person.qrCode },
    { role: "scanner" },
  );
  expect(again.body.data?.outcome ?? again.status).not.toBe("accept");
  expect(again.body.data?.outcome ?? "refuse").toBe("refuse");

  const missing = await inst.call("POST", "/api/v1/participants/0123456789abcdef01234567/erase");
  expect(missing.status).toBe(404);
  expect(missing.body.message).toContain("not found");
});

test("the participant page's Erase answers the row as it now is, with no Erase left on it", async () => {
  const person = participantDoc(2, { name: "Page Erasable" });
  await inst.db.collection("participants").insertOne(person);
  const response = await inst.app.handle(
    new Request(`http://test.local/admin/participants/${person._id}/erase`, {
      method: "POST",
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
    }),
  );
  expect(response.status).toBe(200);
  const row = await response.text();
  expect(row).toContain("(erased)");
  expect(row).not.toContain("Page Erasable");
  expect(row).not.toContain("/erase");
  const scanner = await inst.app.handle(
    new Request(`http://test.local/admin/participants/${person._id}/erase`, {
      method: "POST",
      headers: { authorization: `Bearer ${await inst.tokenFor("scanner")}` },
    }),
  );
  expect(scanner.status).toBe(403);
});

/** A person seeded in a room of their own and edited by `editor`, then erased at once through `inst`. */
async function editedThenErased(editor: InProcess, n: number, organization: string, doorNote: string) {
  const person = participantDoc(n, { name: `Erasable ${n}`, organization });
  await seedRoom(inst.db, sessionDoc({ name: `Erased ${n}` }), [person]);
  const path = `/api/v1/participants/${person._id}`;
  expect((await editor.call("PATCH", path, { doorNote })).status).toBe(200);
  // At once: the log gathers its entries for 50 ms, so the edit's entry is not written yet.
  expect((await inst.call("POST", `${path}/erase`)).status).toBe(200);
  const landed = async () => (await inst.db.collection("admin_log").countDocuments({ path })) === 1;
  expect(await eventually(landed, 3000)).toBe(true);
  await Bun.sleep(300);
  return { person, edit: await inst.db.collection("admin_log").findOne({ path }) };
}

test("an edit erased at once: its admin-log entry, still gathering when the erasure runs, keeps no copy", async () => {
  const { person, edit } = await editedThenErased(inst, 2, "Hidden Org", "Quiet room");
  expect(edit).toMatchObject({ method: "PATCH", before: null, after: null, erased: true });
  const log = JSON.stringify(await inst.db.collection("admin_log").find({}).toArray());
  for (const identifying of [person.name, person.email, "Hidden Org", "Quiet room"])
    expect(log).not.toContain(identifying);
});

test("an edit on one instance erased at once on another: the erasure empties the log again once that instance's entries land", async () => {
  const other = await inProcessOn(inst.env, "test-erasure-other");
  try {
    const { edit } = await editedThenErased(other, 3, "Far Org", "Side door");
    expect(edit).toMatchObject({ method: "PATCH", before: null, after: null, erased: true });
  } finally {
    await other.stop({ keepDatabase: true });
  }
});

test("erasing someone created through the API: the log's copy of the creation and the webhooks waiting for them lose their data", async () => {
  const hooked = await inProcess("erasure_hooks", { WEBHOOK_ALLOW_PRIVATE: "true" });
  try {
    // An endpoint that never answers (nothing listens on port 9): deliveries wait in the queue.
    const endpoint = await hooked.call("POST", "/api/v1/webhooks", {
      url: "http://127.0.0.1:9/hook",
      events: ["participant.created"],
      includeContact: true,
    });
    expect(endpoint.status).toBe(201);
    const created = await hooked.call("POST", "/api/v1/participants", {
      name: "Yusuf Creatable",
      email: "yusuf.creatable@example.org",
      organization: "Hidden Org",
    });
    expect(created.status).toBe(201);
    const id = created.body.data._id as string;
    expect(
      await eventually(
        async () =>
          (await hooked.db.collection("admin_log").countDocuments({ path: "/api/v1/participants" })) === 1,
        3000,
      ),
    ).toBe(true);
    expect(JSON.stringify(await hooked.db.collection("webhook_deliveries").find({}).toArray())).toContain(
      "yusuf.creatable@example.org",
    );
    expect((await hooked.call("POST", `/api/v1/participants/${id}/erase`)).status).toBe(200);
    const left = JSON.stringify([
      await hooked.db.collection("admin_log").find({}).toArray(),
      await hooked.db.collection("webhook_deliveries").find({}).toArray(),
    ]);
    for (const identifying of ["Yusuf Creatable", "yusuf.creatable@example.org", "Hidden Org"])
      expect(left).not.toContain(identifying);
  } finally {
    await hooked.stop();
  }
});
