import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually } from "../../helpers/env";
import { participantDoc, registrationDoc, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess } from "../../helpers/instance";

// Minutes inside, credits and certificates against the real servers: histories made by the
// door's own routes (offline replays with their scan times, exits, re-entries, an online scan),
// corrections appended by an admin, certificates anyone can verify and nobody can forge.

let inst: InProcess;
const minute = 60_000;
const now = Date.now();
// Ended: 09:00–10:00 an hour and a half ago (60 minutes long).
const start = now - 90 * minute;
const ethics = sessionDoc({
  name: "Ethics in practice",
  day: 1,
  startTime: new Date(start),
  endTime: new Date(start + 60 * minute),
  status: "ended",
  credits: 1.5,
  minAttendancePercent: 80,
});
// Running: started 20 minutes ago.
const law = sessionDoc({
  name: "Contract law",
  day: 1,
  startTime: new Date(now - 20 * minute),
  endTime: new Date(now + 40 * minute),
  credits: 2,
  minAttendancePercent: 50,
});
const ada = participantDoc(9101, {
  name: "Ada Lovelace",
  email: "ada@example.org",
  phone: "+33 6 00 00 00 01",
});
const bob = participantDoc(9102, { name: "Bob Marley", email: "bob@example.org" });

const scan = (
  who: typeof ada,
  session: typeof ethics,
  minuteOf: number | null,
  direction: "entry" | "exit",
) =>
  inst.call(
    "POST",
    "/api/v1/scan",
    {
      sessionId: String(session._id),
      qrCode: who.qrCode,
      direction,
      ...(minuteOf === null
        ? {}
        : {
            scannedAt: new Date(start + minuteOf * minute).toISOString(),
            ...(direction === "entry" ? { provisional: "ok" } : {}),
          }),
    },
    { role: "scanner" },
  );
const attendance = async (who: typeof ada) =>
  (await inst.call("GET", `/api/v1/participants/${who._id}/attendance`)).body.data;
const page = (path: string, headers: Record<string, string> = {}) =>
  inst.app
    .handle(new Request(`http://test.local${path}`, { headers }))
    .then(async (r) => ({ status: r.status, text: await r.text() }));

beforeAll(async () => {
  inst = await inProcess("credits");
  await inst.db.collection("sessions").insertMany([ethics, law]);
  await inst.db.collection("participants").insertMany([ada, bob] as never[]);
  await inst.db
    .collection("registrations")
    .insertMany(
      [ada, bob].flatMap((p) => [registrationDoc(p._id, ethics._id), registrationDoc(p._id, law._id)]),
    );
  await inst.features.directory.reload();
  await inst.call("PUT", "/api/v1/settings/timing", { eventName: "Bar Congress 2026" });
});
afterAll(() => inst.stop());

test("sessions carry credits and a minimum share, with defaults for those without", async () => {
  const created = await inst.call("POST", "/api/v1/sessions", {
    name: "No credits",
    startTime: new Date(now).toISOString(),
    endTime: new Date(now + 60 * minute).toISOString(),
  });
  expect(created.status).toBe(201);
  const read = await inst.call("GET", `/api/v1/sessions/${created.body.data._id}`);
  expect(read.body.data).toMatchObject({ credits: 0, minAttendancePercent: 80 });
  const patched = await inst.call("PATCH", `/api/v1/sessions/${created.body.data._id}`, {
    credits: 0.75,
    minAttendancePercent: 60,
  });
  expect(patched.body.data).toMatchObject({ credits: 0.75, minAttendancePercent: 60 });
  const bad = await inst.call("PATCH", `/api/v1/sessions/${created.body.data._id}`, { credits: -1 });
  expect(bad.status).toBe(400);
  expect((await inst.call("GET", `/api/v1/sessions/${ethics._id}`)).body.data).toMatchObject({
    credits: 1.5,
  });
});

test("minutes from offline replays at their scan times, exits and re-entries; an open presence counts until now", async () => {
  // Ada: in at 2, out at 20, back at 25, out at 58: 51 of 60 minutes (85 %): credited.
  for (const [m, d] of [
    [2, "entry"],
    [20, "exit"],
    [25, "entry"],
    [58, "exit"],
  ] as const) {
    const answer = await scan(ada, ethics, m, d);
    expect({ status: answer.status, message: answer.body.message }).toMatchObject({ status: 200 });
  }
  // Bob: in at 0, out at 30: 50 %: not credited.
  expect((await scan(bob, ethics, 0, "entry")).status).toBe(200);
  expect((await scan(bob, ethics, 30, "exit")).status).toBe(200);
  // Ada enters the running session now.
  expect((await scan(ada, law, null, "entry")).body.data.outcome).toBe("accept");

  const a = await attendance(ada);
  const inEthics = a.sessions.find((s: { sessionId: string }) => s.sessionId === String(ethics._id));
  expect(inEthics).toEqual({
    sessionId: String(ethics._id),
    name: "Ethics in practice",
    minutes: 51,
    percent: 85,
    credited: true,
    credits: 1.5,
    inside: false,
  });
  const inLaw = a.sessions.find((s: { sessionId: string }) => s.sessionId === String(law._id));
  expect(inLaw).toMatchObject({ credited: false, credits: 0, inside: true });
  expect(inLaw.minutes).toBeLessThan(2);
  expect(a.totalCredits).toBe(1.5);
  expect((await attendance(bob)).sessions[0]).toMatchObject({ minutes: 30, percent: 50, credited: false });
});

test("corrections are appended, audited, and the figures follow them", async () => {
  const history = await inst.call(
    "GET",
    `/api/v1/participants/${bob._id}/attendance/history?sessionId=${ethics._id}`,
  );
  const exit = history.body.data.find((e: { kind: string }) => e.kind === "exit");
  expect(exit).toBeDefined();
  // The exit was scanned by mistake: void it; Bob stayed to the end (60 minutes).
  const voided = await inst.call("POST", `/api/v1/participants/${bob._id}/attendance/corrections`, {
    sessionId: String(ethics._id),
    kind: "void",
    eventId: exit.id,
    note: "scanned the wrong badge at the exit",
  });
  expect(voided.status).toBe(201);
  expect(voided.body.data.session).toMatchObject({ minutes: 60, credited: true, credits: 1.5 });
  // In fact he left at 40: an exit added.
  const added = await inst.call("POST", `/api/v1/participants/${bob._id}/attendance/corrections`, {
    sessionId: String(ethics._id),
    kind: "exit",
    at: new Date(start + 40 * minute).toISOString(),
  });
  expect(added.body.data.session).toMatchObject({ minutes: 40, credited: false });
  // Nothing was overwritten: the history holds the scans and both corrections.
  const after = await inst.call(
    "GET",
    `/api/v1/participants/${bob._id}/attendance/history?sessionId=${ethics._id}`,
  );
  expect(after.body.data.map((e: { kind: string }) => e.kind)).toEqual(["entry", "exit", "void", "exit"]);
  // The admin log is written as the answer leaves.
  const audited = () =>
    inst.db
      .collection("admin_log")
      .countDocuments({ path: `/api/v1/participants/${bob._id}/attendance/corrections` });
  expect(await eventually(async () => (await audited()) === 2, 5000)).toBe(true);
  // Bad corrections: words, nothing written.
  const noTime = await inst.call("POST", `/api/v1/participants/${bob._id}/attendance/corrections`, {
    sessionId: String(ethics._id),
    kind: "exit",
  });
  expect(noTime.status).toBe(400);
  const wrongEvent = await inst.call("POST", `/api/v1/participants/${bob._id}/attendance/corrections`, {
    sessionId: String(ethics._id),
    kind: "void",
    eventId: String(ada._id),
  });
  expect(wrongEvent.status).toBe(400);
  expect(await inst.db.collection("scanlog").countDocuments({ action: "correct" })).toBe(2);
});

test("a certificate in the reader's language, verifiable by anyone, with no contact data", async () => {
  const admin = { authorization: `Bearer ${await inst.tokenFor("admin")}` };
  const en = await page(`/certificates/${ada._id}`, admin);
  expect(en.status).toBe(200);
  expect(en.text).toContain("Certificate of attendance");
  expect(en.text).toContain("Ada Lovelace");
  expect(en.text).toContain("Bar Congress 2026");
  expect(en.text).toContain("Ethics in practice");
  expect(en.text).not.toContain("Contract law");
  const code = /data-code="([A-Z0-9-]+)"/.exec(en.text)?.[1] as string;
  expect(code).toMatch(/^([A-Z2-9]{4}-){5}[A-Z2-9]{4}$/);
  // Asked again with nothing changed: the same certificate.
  expect((await page(`/certificates/${ada._id}`, admin)).text).toContain(code);
  const fr = await page(`/certificates/${ada._id}`, { ...admin, "accept-language": "fr-FR,fr;q=0.9" });
  expect(fr.text).toContain("Attestation de présence");
  expect(fr.text).toContain("1,5");

  const verified = await page(`/verify/${code}`);
  expect(verified.status).toBe(200);
  expect(verified.text).toContain('data-verification="valid"');
  expect(verified.text).toContain("Ada Lovelace");
  expect(verified.text).toContain("Ethics in practice");
  for (const secret of [ada.email, ada.qrCode, "+33 6 00 00 00 01"])
    expect(verified.text).not.toContain(secret);
  const frVerified = await page(`/verify/${code.toLowerCase()}`, { "accept-language": "fr" });
  expect(frVerified.text).toContain("Attestation valide");
});

test("forged, altered and superseded codes", async () => {
  const admin = { authorization: `Bearer ${await inst.tokenFor("admin")}` };
  const code = /data-code="([A-Z0-9-]+)"/.exec(
    (await page(`/certificates/${ada._id}`, admin)).text,
  )?.[1] as string;
  // A guessed code, and the real one with one character changed.
  for (const forged of [
    "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ",
    `${code.slice(0, -1)}${code.endsWith("A") ? "B" : "A"}`,
  ]) {
    const answer = await page(`/verify/${forged}`);
    expect(answer.status).toBe(404);
    expect(answer.text).toContain('data-verification="unknown"');
    expect(answer.text).not.toContain("Ada Lovelace");
  }
  // The stored certificate altered behind the system's back (more credits): it verifies nothing.
  await inst.db.collection("certificates").updateOne({ code }, { $set: { totalCredits: 15 } });
  expect((await page(`/verify/${code}`)).status).toBe(404);
  await inst.db.collection("certificates").updateOne({ code }, { $set: { totalCredits: 1.5 } });
  expect((await page(`/verify/${code}`)).text).toContain('data-verification="valid"');
  // Her figures change after issue (an entry voided): the old code shows as superseded, a new one is issued.
  const history = await inst.call(
    "GET",
    `/api/v1/participants/${ada._id}/attendance/history?sessionId=${ethics._id}`,
  );
  const reentry = history.body.data.filter((e: { kind: string }) => e.kind === "entry")[1];
  await inst.call("POST", `/api/v1/participants/${ada._id}/attendance/corrections`, {
    sessionId: String(ethics._id),
    kind: "void",
    eventId: reentry.id,
  });
  const old = await page(`/verify/${code}`);
  expect(old.text).toContain('data-verification="superseded"');
  const again = await page(`/certificates/${ada._id}`, admin);
  expect(again.text).not.toContain(code);
  expect(again.text).toContain("attended no session that awards credits");
});

test("the signed link opens the person's certificate without signing in; a day's certificates print together", async () => {
  const admin = { authorization: `Bearer ${await inst.tokenFor("admin")}` };
  expect((await page(`/certificates/${bob._id}`)).status).not.toBe(200);
  const adminView = await page(`/certificates/${bob._id}`, admin);
  const link = /(\/certificates\/[0-9a-f]{24}\/[A-Za-z0-9_-]+)/.exec(adminView.text)?.[1] as string;
  expect(link).toBeDefined();
  const opened = await page(link);
  expect(opened.status).toBe(200);
  expect(opened.text).toContain("Bob Marley");
  expect((await page(`${link.slice(0, -2)}xx`)).status).toBe(404);
  expect((await page(`/certificates/${ada._id}/${link.split("/").at(-1)}`)).status).toBe(404);

  // Bob again credited (his wrong exit voided): day 1 prints his certificate, one a page.
  const history = await inst.call(
    "GET",
    `/api/v1/participants/${bob._id}/attendance/history?sessionId=${ethics._id}`,
  );
  const added = history.body.data.filter((e: { kind: string }) => e.kind === "exit").at(-1);
  await inst.call("POST", `/api/v1/participants/${bob._id}/attendance/corrections`, {
    sessionId: String(ethics._id),
    kind: "void",
    eventId: added.id,
  });
  const day = await page("/certificates?day=1", admin);
  expect(day.status).toBe(200);
  expect(day.text.match(/<article class="certificate"/g)?.length).toBe(1);
  expect(day.text).toContain("Bob Marley");
  expect((await page("/certificates?day=0", admin)).status).toBe(400);
});

test("the report and its CSVs carry minutes and credits per session and per person", async () => {
  const admin = { authorization: `Bearer ${await inst.tokenFor("admin")}` };
  const perPerson = await page("/api/v1/reports/credits.csv?day=1", admin);
  expect(perPerson.status).toBe(200);
  const lines = perPerson.text.trim().split("\n");
  expect(lines[0]).toContain("minutes");
  expect(lines[0]).toContain("credits");
  const bobLine = lines.find((l) => l.includes("Bob Marley") && l.includes("Ethics in practice"));
  expect(bobLine).toContain(",60,100,");
  // Names per person are for admins: a viewer is refused the file.
  const viewer = { authorization: `Bearer ${await inst.tokenFor("viewer")}` };
  expect((await page("/api/v1/reports/credits.csv", viewer)).status).toBe(403);
  const perSession = await page("/api/v1/reports/attendance.csv?day=1", viewer);
  expect(perSession.text.split("\n")[0]).toContain("creditsAwarded");
  const oneSession = await page(`/api/v1/sessions/${ethics._id}/attendance.csv`, admin);
  expect(oneSession.text.split("\n")[0]).toContain("credits");
  expect(oneSession.text).toMatch(/Bob Marley.*,60,100,true,1\.5/);

  const report = await page("/reports?day=1", viewer);
  expect(report.status).toBe(200);
  expect(report.text).toContain('class="heat-map"');
  expect(report.text).toContain("Average minutes inside");
  expect(report.text).toContain("Time (");
});

test("the admin page shows the figures and history, and corrects it with forms", async () => {
  const admin = { authorization: `Bearer ${await inst.tokenFor("admin")}` };
  const before = await page(`/admin/participants/${ada._id}/attendance`, admin);
  expect(before.status).toBe(200);
  expect(before.text).toContain("Ethics in practice");
  const form = (fields: Record<string, string>) =>
    inst.app.handle(
      new Request(`http://test.local/admin/participants/${ada._id}/attendance`, {
        method: "POST",
        headers: {
          ...admin,
          "content-type": "application/x-www-form-urlencoded",
          origin: "http://test.local",
        },
        body: new URLSearchParams(fields).toString(),
      }),
    );
  // Her exit from the running session, recorded by hand, typed on the event's clock (UTC here).
  const added = await form({
    sessionId: String(law._id),
    kind: "exit",
    at: new Date(Date.now() + 2 * minute).toISOString().slice(0, 16),
    note: "left for a call",
  });
  expect(added.status).toBe(200);
  expect(await added.text()).toContain('id="attendance"');
  const after = await page(`/admin/participants/${ada._id}/attendance`, admin);
  expect(after.text).toContain("left for a call");
  const law2 = (await attendance(ada)).sessions.find(
    (s: { sessionId: string }) => s.sessionId === String(law._id),
  );
  expect(law2).toMatchObject({ inside: false, credited: false });
  // A time that is not a time: the page again, with words, nothing written.
  const bad = await form({ sessionId: String(law._id), kind: "entry", at: "yesterday" });
  expect(bad.status).toBe(422);
  expect(await bad.text()).toContain("Say when the entry or exit happened");
  expect(
    await inst.db.collection("scanlog").countDocuments({ action: "correct", participantId: ada._id }),
  ).toBe(2);
});

test("one room at a time: a move closes the presence in the room left at the entry into the next", async () => {
  const tax = sessionDoc({
    name: "Tax update",
    day: 1,
    startTime: new Date(now - 30 * minute),
    endTime: new Date(now + 30 * minute),
    credits: 1,
    minAttendancePercent: 50,
  });
  const carol = participantDoc(9103, { name: "Carol Moves" });
  await inst.db.collection("sessions").insertOne(tax);
  await inst.db.collection("participants").insertOne(carol as never);
  await inst.features.directory.reload();
  // Through the API, so the doors of both rooms (already built) know at once.
  for (const session of [tax, law]) {
    const made = await inst.call("POST", "/api/v1/registrations", {
      participantId: String(carol._id),
      sessionId: String(session._id),
      status: "confirmed",
    });
    expect(made.status).toBe(201);
  }
  await inst.call("PUT", "/api/v1/settings/timing", { moveOnEntry: true });
  const entry = (session: typeof tax, at: number) =>
    inst.call(
      "POST",
      "/api/v1/scan",
      {
        sessionId: String(session._id),
        qrCode: carol.qrCode,
        scannedAt: new Date(at).toISOString(),
        provisional: "ok",
      },
      { role: "scanner" },
    );
  // Into Tax 30 minutes ago (its start), then into Law 10 minutes ago: she left Tax then.
  expect((await entry(tax, now - 30 * minute)).body.data.outcome).toBe("accept");
  expect((await entry(law, now - 10 * minute)).body.data.outcome).toBe("accept");
  await inst.call("PUT", "/api/v1/settings/timing", { moveOnEntry: false });
  const figures = (await attendance(carol)).sessions as {
    sessionId: string;
    minutes: number;
    inside: boolean;
  }[];
  const inTax = figures.find((s) => s.sessionId === String(tax._id));
  const inLaw = figures.find((s) => s.sessionId === String(law._id));
  expect(inTax).toMatchObject({ minutes: 20, inside: false, credited: false });
  expect(inLaw?.inside).toBe(true);
  expect(inLaw?.minutes).toBeGreaterThanOrEqual(10);
  expect(inLaw?.minutes).toBeLessThan(11.5);
});

test("an undone re-entry counts for nothing, however late the undo", async () => {
  const dan = participantDoc(9104, { name: "Dan Undone" });
  await inst.db.collection("participants").insertOne(dan as never);
  await inst.features.directory.reload();
  const made = await inst.call("POST", "/api/v1/registrations", {
    participantId: String(dan._id),
    sessionId: String(law._id),
    status: "confirmed",
  });
  expect(made.status).toBe(201);
  const move = (direction: "entry" | "exit", minutesAgo: number) =>
    inst.call(
      "POST",
      "/api/v1/scan",
      {
        sessionId: String(law._id),
        qrCode: dan.qrCode,
        direction,
        scannedAt: new Date(now - minutesAgo * minute).toISOString(),
        ...(direction === "entry" ? { provisional: "ok" } : {}),
      },
      { role: "scanner" },
    );
  // In at the start (20 min ago), out 10 min ago, back in by mistake 8 min ago.
  expect((await move("entry", 20)).status).toBe(200);
  expect((await move("exit", 10)).status).toBe(200);
  expect((await move("entry", 8)).body.data.reason).toBe("reentry");
  const checkIn = await inst.db
    .collection("checkins")
    .findOne({ sessionId: law._id, participantId: dan._id });
  // An admin undoes the re-entry now, eight minutes later.
  const undone = await inst.app.handle(
    new Request(`http://test.local/scan/${law._id}/undo`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await inst.tokenFor("admin")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ checkInId: String(checkIn?._id) }).toString(),
    }),
  );
  expect(undone.status).toBe(200);
  const figures = (await attendance(dan)).sessions[0];
  expect(figures).toMatchObject({ minutes: 10, inside: false });
});
