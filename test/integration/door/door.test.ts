import { afterAll, beforeAll, expect, test } from "bun:test";
import type { SessionDoc } from "../../../src/sessions/repo";
import { participantDoc, seedRoom, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess } from "../../helpers/instance";

// The door as staff use it: exits and re-entry under both meanings of capacity, undo
// within the window (own scans only), who and which device in the log, queued offline
// scans replayed with their own time, accent-insensitive search.

let inst: InProcess;
beforeAll(async () => {
  inst = await inProcess("door");
});
afterAll(async () => {
  await inst.stop();
});

const scan = (session: SessionDoc, qrCode: string, extra: Record<string, unknown> = {}, role = "scanner") =>
  inst.call(
    "POST",
    "/api/v1/scan",
    { sessionId: String(session._id), qrCode, ...extra },
    { role: role as "scanner" },
  );

async function form(path: string, fields: Record<string, string>, role: "scanner" | "admin" = "scanner") {
  const response = await inst.app.handle(
    new Request(`http://test.local${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${await inst.tokenFor(role)}` },
      body: new URLSearchParams(fields),
    }),
  );
  return { status: response.status, text: await response.text() };
}

test("admissions: an exit keeps the seat, a re-entry is counted once and needs no seat", async () => {
  const session = sessionDoc({ name: "Admissions room", capacity: 2 });
  const [a, b, c] = [participantDoc(1), participantDoc(2), participantDoc(3)];
  await seedRoom(inst.db, session, [a, b, c]);
  expect((await scan(session, a.qrCode)).body.data.reason).toBe("ok");
  expect((await scan(session, b.qrCode)).body.data.reason).toBe("ok");
  expect((await scan(session, a.qrCode, { direction: "exit" })).body.data.outcome).toBe("left");
  expect((await scan(session, a.qrCode, { direction: "exit" })).body.data.outcome).toBe("already_out");
  // Two people were admitted: the room is full for a third even though one stepped out.
  expect((await scan(session, c.qrCode)).body.data.reason).toBe("session_full");
  const back = await scan(session, a.qrCode);
  expect(back.body.data).toMatchObject({ outcome: "accept", reason: "reentry" });
  expect(back.body.message).toContain("re-entry");
  expect((await scan(session, a.qrCode)).body.data.reason).toBe("already_checked_in");
  const docs = await inst.db.collection("checkins").find({ sessionId: session._id }).toArray();
  expect(docs).toHaveLength(2);
  expect(docs.find((d) => String(d.participantId) === String(a._id))).toMatchObject({
    reentries: 1,
    checkedOutAt: null,
  });
  const log = await inst.db
    .collection("scanlog")
    .find({ sessionId: session._id, action: "checkout" })
    .toArray();
  expect(log).toHaveLength(1);
  expect(log[0]?.by).toBe("scanner (test)");
});

test("occupancy: an exit frees a place, and inside never passes capacity", async () => {
  const session = sessionDoc({ name: "Occupancy room", capacity: 2, capacityMode: "occupancy" });
  const people = [1, 2, 3].map((i) => participantDoc(10 + i));
  const [a, b, c] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];
  await seedRoom(inst.db, session, people);
  await scan(session, a.qrCode);
  await scan(session, b.qrCode);
  expect((await scan(session, c.qrCode)).body.data.reason).toBe("session_full");
  await scan(session, a.qrCode, { direction: "exit" });
  expect((await scan(session, c.qrCode)).body.data.reason).toBe("ok");
  // A is outside and the room is full again: their re-entry waits for someone to leave.
  expect((await scan(session, a.qrCode)).body.data.reason).toBe("session_full");
  await scan(session, b.qrCode, { direction: "exit" });
  expect((await scan(session, a.qrCode)).body.data.reason).toBe("reentry");
  const inside = await inst.db
    .collection("checkins")
    .find({ sessionId: session._id, checkedOutAt: null })
    .toArray();
  expect(inside.map((d) => d.seat).sort()).toEqual([0, 1]);
});

test("undo at the door: own admissions within the window; someone else's is refused, an admin may", async () => {
  const session = sessionDoc({ name: "Undo room", capacity: 5 });
  const [a, b] = [participantDoc(21), participantDoc(22)];
  await seedRoom(inst.db, session, [a, b]);
  const page = await form(`/scan/${session._id}`, { code: a.qrCode, device: "Door A" });
  expect(page.text).toContain("Undo");
  const checkIn = await inst.db.collection("checkins").findOne({ participantId: a._id });
  expect(checkIn).toMatchObject({ device: "Door A", checkedInBy: "scanner (test)" });
  const undone = await form(`/scan/${session._id}/undo`, {
    checkInId: String(checkIn?._id),
    device: "Door A",
  });
  expect(undone.status).toBe(200);
  expect(undone.text).toContain("Undone");
  // Every verdict says why; the door's count drops with the undo, not at the next scan.
  expect(undone.text).toContain('data-reason="admission_undone"');
  expect(undone.text).toMatch(/id="count"[^>]*hx-swap-oob="true"[^>]*>\s*<strong>0<\/strong>/);
  expect(await inst.db.collection("checkins").countDocuments({ sessionId: session._id })).toBe(0);
  const log = await inst.db.collection("scanlog").findOne({ sessionId: session._id, action: "undo" });
  expect(log).toMatchObject({ by: "scanner (test)", device: "Door A" });

  // Someone else's admission (an admin scanned it): the scanner may not take it back.
  await scan(session, b.qrCode, {}, "admin");
  const other = await inst.db.collection("checkins").findOne({ participantId: b._id });
  const refused = await form(`/scan/${session._id}/undo`, { checkInId: String(other?._id) });
  expect(refused.status).toBe(403);
  expect(refused.text).toContain("Only the person who scanned");
  expect((await form(`/scan/${session._id}/undo`, { checkInId: String(other?._id) }, "admin")).status).toBe(
    200,
  );
  // The seat is free again: the count says so.
  expect(((await scan(session, b.qrCode)).body.capacityInfo as { checkInsCount: number }).checkInsCount).toBe(
    1,
  );
});

test("a queued offline scan keeps its time and its nonce; bad clocks are refused in words", async () => {
  const session = sessionDoc({ name: "Offline room", capacity: 1 });
  const [a, b] = [participantDoc(31), participantDoc(32)];
  await seedRoom(inst.db, session, [a, b]);
  const scannedAt = new Date(Date.now() - 90_000).toISOString();
  const first = await scan(session, a.qrCode, { nonce: "offline-0001", scannedAt, provisional: "ok" });
  expect(first.body.data.reason).toBe("ok");
  const again = await scan(session, a.qrCode, { nonce: "offline-0001", scannedAt, provisional: "ok" });
  expect(again.body.data).toMatchObject({ reason: "ok", replayed: true });
  const doc = await inst.db.collection("checkins").findOne({ participantId: a._id });
  expect(doc?.checkInTime).toEqual(new Date(scannedAt));
  // The other offline door also let someone in, but the room had one place: a conflict.
  const late = await scan(session, b.qrCode, { nonce: "offline-0002", scannedAt, provisional: "ok" });
  expect(late.body.data.reason).toBe("session_full");
  const entry = await inst.db.collection("scanlog").findOne({ nonce: "offline-0002" });
  expect(entry).toMatchObject({ offline: true, provisional: "ok", conflict: true, reason: "session_full" });
  expect(entry?.syncedAt).toBeInstanceOf(Date);
  // The session's dashboard shows it as a conflict (scans reach dashboards within 50 ms).
  await Bun.sleep(300);
  const dashboard = await inst.app.handle(
    new Request(`http://test.local/live/${session._id}`, {
      headers: { authorization: `Bearer ${await inst.tokenFor("viewer")}` },
    }),
  );
  expect(await dashboard.text()).toContain("Conflict: an offline door said admitted");

  const future = await scan(session, b.qrCode, { scannedAt: new Date(Date.now() + 3_600_000).toISOString() });
  expect(future.status).toBe(400);
  expect(future.body.message).toContain("clock");
  const stale = await scan(session, b.qrCode, {
    scannedAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
  });
  expect(stale.status).toBe(400);
  expect(stale.body.message).toContain("24 hours");
});

test("the door snapshot holds hashes of codes, never the codes, and names only of the room's people", async () => {
  const session = sessionDoc({ name: "Snapshot room" });
  const [a, outsider] = [participantDoc(41), participantDoc(42, { name: "Outsider" })];
  await seedRoom(inst.db, session, [a]);
  await inst.db.collection("participants").insertOne(outsider);
  await inst.features.directory.reloadEverywhere();
  await scan(session, a.qrCode);
  const response = await inst.app.handle(
    new Request(`http://test.local/scan/${session._id}/snapshot`, {
      headers: { authorization: `Bearer ${await inst.tokenFor("scanner")}` },
    }),
  );
  const text = await response.text();
  expect(response.status).toBe(200);
  expect(text).not.toContain(a.qrCode);
  expect(text).not.toContain("Outsider");
  const snap = JSON.parse(text);
  expect(snap.people.find((row: string[]) => row[1] === a.name)?.slice(2)).toEqual(["confirmed", "in"]);
  expect(snap).toMatchObject({ count: 1, inside: 1 });
});

test("search at the door ignores accents and case and puts the room's registrants first", async () => {
  const session = sessionDoc({ name: "Search room" });
  const helene = participantDoc(51, { name: "Hélène Dupont" });
  const other = participantDoc(52, { name: "Helene Autre" });
  await seedRoom(inst.db, session, [helene]);
  await inst.db.collection("participants").insertOne(other);
  await inst.features.directory.reloadEverywhere();
  const response = await inst.app.handle(
    new Request(`http://test.local/scan/${session._id}/search?q=HELENE`, {
      headers: { authorization: `Bearer ${await inst.tokenFor("scanner")}` },
    }),
  );
  const text = await response.text();
  expect(text).toContain("Hélène Dupont");
  expect(text).toContain("Helene Autre");
  expect(text.indexOf("Hélène Dupont")).toBeLessThan(text.indexOf("Helene Autre"));
  expect(text).toContain("registered: confirmed");
});

test("a walk-in is registered and checked in once, with a badge to photograph; only where allowed", async () => {
  const open = sessionDoc({ name: "Walk-in room", walkIns: true, capacity: 5 });
  const closed = sessionDoc({ name: "No walk-ins" });
  await seedRoom(inst.db, open, []);
  await seedRoom(inst.db, closed, []);
  const fields = {
    name: "Wanda Walker",
    email: "wanda@example.org",
    organization: "Street",
    nonce: "walkin-0001",
  };
  const first = await form(`/scan/${open._id}/walk-in`, fields);
  expect(first.status).toBe(200);
  expect(first.text).toContain('data-outcome="accept"');
  expect(first.text).toContain("<svg");
  // A retried submit (same nonce) is the same person, admitted once.
  const again = await form(`/scan/${open._id}/walk-in`, fields);
  expect(again.status).toBe(200);
  expect(await inst.db.collection("participants").countDocuments({ email: "wanda@example.org" })).toBe(1);
  expect(await inst.db.collection("checkins").countDocuments({ sessionId: open._id })).toBe(1);
  // The walk-in's retry key stays on the server: no answer about the person carries it.
  const wanda = await inst.db.collection("participants").findOne({ email: "wanda@example.org" });
  const read = await inst.call("GET", `/api/v1/participants/${wanda?._id}`, undefined, { role: "admin" });
  expect(read.status).toBe(200);
  expect(read.body.data.walkInNonce).toBeUndefined();
  const listed = await inst.call("GET", "/api/v1/participants?search=wanda", undefined, { role: "admin" });
  expect(JSON.stringify(listed.body)).not.toContain("walkin-0001");
  const twin = await form(`/scan/${open._id}/walk-in`, { ...fields, nonce: "walkin-0002" });
  expect(twin.status).toBe(409);
  expect(twin.text).toContain("already has a badge");
  // The first form's nonce sent again for someone else creates nobody.
  const reused = await form(`/scan/${open._id}/walk-in`, { ...fields, email: "someone.else@example.org" });
  expect(reused.status).toBe(422);
  expect(await inst.db.collection("participants").countDocuments({ email: "someone.else@example.org" })).toBe(
    0,
  );
  const refused = await form(`/scan/${closed._id}/walk-in`, {
    ...fields,
    email: "x@example.org",
    nonce: "walkin-0003",
  });
  expect(refused.status).toBe(403);
  expect(refused.text).toContain("Walk-ins are not allowed");
});

test("an admin undoes any check-in from the participant's page; the door note shows on the verdict", async () => {
  const session = sessionDoc({ name: "Admin undo room" });
  const person = participantDoc(61, { doorNote: "Wheelchair: use the side door" });
  await seedRoom(inst.db, session, [person]);
  await inst.features.directory.reloadEverywhere();
  const verdict = await form(`/scan/${session._id}`, { code: person.qrCode });
  expect(verdict.text).toContain("Note: Wheelchair: use the side door");
  const checkIn = await inst.db.collection("checkins").findOne({ participantId: person._id });
  const page = await inst.app.handle(
    new Request(`http://test.local/admin/participants/${person._id}/checkins`, {
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
    }),
  );
  expect(await page.text()).toContain("Admin undo room");
  const undone = await form(`/admin/participants/${person._id}/checkins/${checkIn?._id}/undo`, {}, "admin");
  expect(undone.status).toBe(200);
  expect(undone.text).toContain("No check-ins.");
  expect(await inst.db.collection("checkins").countDocuments({ participantId: person._id })).toBe(0);
  // A scanner cannot reach the admin page.
  expect((await form(`/admin/participants/${person._id}/checkins/${checkIn?._id}/undo`, {})).status).toBe(
    403,
  );
});

test("retries stay what they were: an admission retried after an exit is not a re-entry; a stale exit is not replayed", async () => {
  const session = sessionDoc({ name: "Retry room", capacity: 5, capacityMode: "occupancy" });
  const a = participantDoc(71);
  await seedRoom(inst.db, session, [a]);
  expect((await scan(session, a.qrCode, { nonce: "first-entry-71" })).body.data.reason).toBe("ok");
  expect(
    (await scan(session, a.qrCode, { direction: "exit", nonce: "first-exit-71" })).body.data.outcome,
  ).toBe("left");
  // The admission's retry (the door never saw its answer) is answered as the admission; nobody walks back in.
  const retried = await scan(session, a.qrCode, { nonce: "first-entry-71" });
  expect(retried.body.data).toMatchObject({ outcome: "accept", reason: "ok", replayed: true });
  expect(
    (await inst.db.collection("checkins").findOne({ participantId: a._id }))?.checkedOutAt,
  ).not.toBeNull();
  // The exit's retry is the same exit.
  expect(
    (await scan(session, a.qrCode, { direction: "exit", nonce: "first-exit-71" })).body.data.outcome,
  ).toBe("left");
  // Back in; then a queued exit scanned before that re-entry arrives: it records nothing.
  const before = new Date(Date.now() - 5000).toISOString();
  expect((await scan(session, a.qrCode, { nonce: "reentry-71" })).body.data.reason).toBe("reentry");
  const stale = await scan(session, a.qrCode, {
    direction: "exit",
    nonce: "late-exit-71",
    scannedAt: before,
  });
  expect(stale.body.data.outcome).toBe("superseded");
  expect((await inst.db.collection("checkins").findOne({ participantId: a._id }))?.checkedOutAt).toBeNull();
  // The re-entry's scanner may undo it (the person is outside again); the seat is free.
  const doc = await inst.db.collection("checkins").findOne({ participantId: a._id });
  const undone = await form(`/scan/${session._id}/undo`, { checkInId: String(doc?._id) });
  expect(undone.text).toContain("re-entry was taken back");
  const after = await inst.db.collection("checkins").findOne({ participantId: a._id });
  expect(after?.checkedOutAt).not.toBeNull();
  expect(String(after?.seat)).toStartWith("free:");
  // The API never shows retry keys.
  const listed = await inst.call("GET", `/api/v1/checkin?sessionId=${session._id}`);
  expect(JSON.stringify(listed.body)).not.toContain("first-entry-71");
});

test("the session picker: open now and next first, by day, filtered by room", async () => {
  const now = Date.now();
  const hall = `Hall ${Math.random().toString(36).slice(2, 7)}`;
  const sessions = [
    sessionDoc({ name: "Picker open talk", location: hall }),
    sessionDoc({
      name: "Picker next talk",
      location: hall,
      status: "scheduled",
      // Beyond the scheduler's opening lead (15 minutes), so it stays scheduled.
      startTime: new Date(now + 120 * 60_000),
      endTime: new Date(now + 180 * 60_000),
    }),
    sessionDoc({ name: "Picker elsewhere", location: `${hall} annex`, day: 2 }),
  ];
  await inst.db.collection("sessions").insertMany(sessions);
  const page = async (query: string) => {
    const response = await inst.app.handle(
      new Request(`http://test.local/scan${query}`, {
        headers: { authorization: `Bearer ${await inst.tokenFor("scanner")}` },
      }),
    );
    return { status: response.status, text: await response.text() };
  };
  const section = (text: string, name: string) =>
    text.slice(text.indexOf(`class="${name}"`)).split("</section>")[0] ?? "";

  const all = await page("");
  expect(all.status).toBe(200);
  expect(section(all.text, "picker-open")).toContain("Picker open talk");
  expect(section(all.text, "picker-open")).not.toContain("Picker next talk");
  expect(all.text).toContain(`<option value="${hall}">`);

  const filtered = await page(`?room=${encodeURIComponent(hall)}`);
  expect(filtered.status).toBe(200);
  expect(section(filtered.text, "picker-next")).toContain("Picker next talk");
  expect(filtered.text).not.toContain("Picker elsewhere");
  expect(filtered.text).toContain(`<option value="${hall}" selected>`);

  expect((await page(`?room=${"x".repeat(201)}`)).status).toBe(400);
});

test("a full room's refusal names the rooms of the same time slot that still have space", async () => {
  const full = sessionDoc({ name: "Overflow full room", capacity: 1, capacityEnforced: true });
  const spare = sessionDoc({
    name: "Overflow spare room",
    location: "Annex",
    capacity: 5000,
    capacityEnforced: true,
  });
  const later = sessionDoc({
    name: "Overflow later room",
    status: "open",
    startTime: new Date(full.endTime.getTime() + 60_000),
    endTime: new Date(full.endTime.getTime() + 3_600_000),
  });
  const [a, b] = [participantDoc(71), participantDoc(72)];
  await seedRoom(inst.db, full, [a, b]);
  await inst.db.collection("sessions").insertMany([spare, later]);

  const first = await form(`/scan/${full._id}`, { code: a.qrCode, device: "Door A" });
  expect(first.text).toContain('data-outcome="accept"');
  expect(first.text).not.toContain('class="overflow"');
  const refused = await form(`/scan/${full._id}`, { code: b.qrCode, device: "Door A" });
  expect(refused.text).toContain('data-reason="session_full"');
  const overflow = refused.text.slice(refused.text.indexOf('class="overflow"'));
  expect(overflow).toContain("Overflow spare room · Annex · 5,000 seats left");
  expect(overflow).not.toContain("Overflow later room");
  expect(overflow).not.toContain("Overflow full room");
});

test("a device set to a room: sent to the session open there, told which one is now, refused in words for an empty room", async () => {
  const room = `Room ${Math.random().toString(36).slice(2, 7)}`;
  const open = sessionDoc({ name: "Room-bound open", location: room });
  const next = sessionDoc({
    name: "Room-bound next",
    location: room,
    status: "scheduled",
    startTime: new Date(Date.now() + 120 * 60_000),
    endTime: new Date(Date.now() + 180 * 60_000),
  });
  await inst.db.collection("sessions").insertMany([open, next]);
  const get = async (path: string) =>
    inst.app.handle(
      new Request(`http://test.local${path}`, {
        headers: { authorization: `Bearer ${await inst.tokenFor("scanner")}` },
        redirect: "manual",
      }),
    );
  const sent = await get(`/scan/room/${encodeURIComponent(room)}`);
  expect(sent.status).toBe(303);
  expect(sent.headers.get("location")).toBe(
    `/scan/${open._id}?room=${encodeURIComponent(room).replace(/%20/g, "+")}`,
  );
  const page = await (await get(`/scan/${open._id}?room=${encodeURIComponent(room)}`)).text();
  expect(page).toContain(`data-room="${room}"`);
  expect(page).toContain(`Following room ${room}`);

  expect(await (await get(`/scan/room/${encodeURIComponent(room)}/now`)).json()).toMatchObject({
    sessionId: String(open._id),
  });
  await inst.db
    .collection("sessions")
    .updateOne({ _id: open._id }, { $set: { status: "ended", isOpen: false } });
  expect(await (await get(`/scan/room/${encodeURIComponent(room)}/now`)).json()).toMatchObject({
    sessionId: String(next._id),
  });

  const empty = await get("/scan/room/Nowhere%20at%20all/now");
  expect(empty.status).toBe(404);
  expect(await empty.text()).toContain("No session open or to come in room Nowhere at all");
});

test("an ended or cancelled session's snapshot is gone (410 in words); an open one is served", async () => {
  const open = sessionDoc({ name: "Snapshot open" });
  const ended = sessionDoc({ name: "Snapshot ended", status: "ended" });
  const cancelled = sessionDoc({ name: "Snapshot cancelled", status: "cancelled" });
  await inst.db.collection("sessions").insertMany([open, ended, cancelled]);
  const snapshot = async (id: unknown) =>
    inst.app.handle(
      new Request(`http://test.local/scan/${id}/snapshot`, {
        headers: { authorization: `Bearer ${await inst.tokenFor("scanner")}` },
      }),
    );
  expect((await snapshot(open._id)).status).toBe(200);
  for (const over of [ended, cancelled]) {
    const response = await snapshot(over._id);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain("door devices no longer keep its list");
  }
});
