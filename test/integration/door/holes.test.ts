import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { SessionDoc } from "../../../src/sessions/repo";
import { participantDoc, seedRoom, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess } from "../../helpers/instance";

// A hostile or confused scanner at the JSON routes: a nonce reused for another badge or
// as an exit, a forged name, queued scans dated out of their session or before the
// person's last move. Each must change nothing it should not.

let inst: InProcess;
beforeAll(async () => {
  inst = await inProcess("door-holes");
});
afterAll(() => inst.stop());

const scan = (session: SessionDoc, qrCode: string, extra: Record<string, unknown> = {}) =>
  inst.call(
    "POST",
    "/api/v1/scan",
    { sessionId: String(session._id), qrCode, ...extra },
    { role: "scanner" },
  );

const checkIns = (session: SessionDoc) =>
  inst.db.collection("checkins").find({ sessionId: session._id }).toArray();

describe("a nonce belongs to its first request, whatever its outcome", () => {
  test("an admission's nonce sent with another badge is refused and admits nobody", async () => {
    const session = sessionDoc({ name: "Nonce room", capacity: 10 });
    const [a, b] = [participantDoc(401), participantDoc(402)];
    await seedRoom(inst.db, session, [a, b]);
    expect((await scan(session, a.qrCode, { nonce: "nonce-admit-1" })).body.data.reason).toBe("ok");
    const other = await scan(session, b.qrCode, { nonce: "nonce-admit-1" });
    expect(other.status).toBe(422);
    expect(other.body.message).toContain("already used for a different scan");
    expect(await checkIns(session)).toHaveLength(1);
    // As an exit, the same nonce records no exit either.
    const asExit = await scan(session, a.qrCode, { nonce: "nonce-admit-1", direction: "exit" });
    expect(asExit.status).toBe(422);
    expect((await checkIns(session))[0]?.checkedOutAt).toBeNull();
    // The same request again gets the first answer.
    const again = await scan(session, a.qrCode, { nonce: "nonce-admit-1" });
    expect(again.body.data).toMatchObject({ outcome: "accept", reason: "ok", replayed: true });
  });

  test("a refusal's nonce is spent too: the same nonce cannot admit another badge later", async () => {
    const session = sessionDoc({ name: "Refusal room", requiresRegistration: true });
    const guest = participantDoc(412);
    await seedRoom(inst.db, session, [guest]);
    const refused = await scan(session, "QR-NOT-A-BADGE-0000", { nonce: "nonce-refused-1" });
    expect(refused.body.data.reason).toBe("unknown_code");
    expect((await scan(session, guest.qrCode, { nonce: "nonce-refused-1" })).status).toBe(422);
    expect(await checkIns(session)).toHaveLength(0);
  });

  test("an exit's nonce reused as an entry, or for another badge, changes nothing", async () => {
    const session = sessionDoc({ name: "Exit nonce room", capacity: 10, capacityMode: "occupancy" });
    const [a, b] = [participantDoc(421), participantDoc(422)];
    await seedRoom(inst.db, session, [a, b]);
    await scan(session, a.qrCode);
    await scan(session, b.qrCode);
    expect(
      (await scan(session, a.qrCode, { direction: "exit", nonce: "nonce-exit-1" })).body.data.outcome,
    ).toBe("left");
    expect((await scan(session, b.qrCode, { direction: "exit", nonce: "nonce-exit-1" })).status).toBe(422);
    expect((await scan(session, a.qrCode, { nonce: "nonce-exit-1" })).status).toBe(422);
    const docs = await checkIns(session);
    expect(docs.find((d) => String(d.participantId) === String(b._id))?.checkedOutAt).toBeNull();
    expect(docs.find((d) => String(d.participantId) === String(a._id))?.checkedOutAt).not.toBeNull();
  });

  test("ten badges sent at once under one nonce: exactly one is decided, the others refused", async () => {
    const session = sessionDoc({ name: "Race room", capacity: 100 });
    const people = Array.from({ length: 10 }, (_, i) => participantDoc(430 + i));
    await seedRoom(inst.db, session, people);
    const answers = await Promise.all(people.map((p) => scan(session, p.qrCode, { nonce: "nonce-race-1" })));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 422)).toHaveLength(9);
    expect(await checkIns(session)).toHaveLength(1);
  });
});

describe("no answer carries retry keys or other staff's ids; the account is always recorded", () => {
  test("a re-entry through /checkin/accept shows neither nonces nor staff ids", async () => {
    const session = sessionDoc({ name: "Accept room", capacity: 10 });
    const a = participantDoc(441);
    await seedRoom(inst.db, session, [a]);
    await scan(session, a.qrCode, { nonce: "secret-entry-441" });
    await scan(session, a.qrCode, { direction: "exit", nonce: "secret-exit-441" });
    const back = await inst.call("POST", "/api/v1/checkin/accept", {
      participantId: String(a._id),
      sessionId: String(session._id),
      nonce: "secret-reentry-441",
    });
    expect(back.status).toBe(201);
    const text = JSON.stringify(back.body);
    for (const secret of ["secret-entry-441", "secret-exit-441", "secret-reentry-441", "token:", "user:"])
      expect(text).not.toContain(secret);
    const details = await inst.call("GET", `/api/v1/participants/${a._id}/details`);
    expect(JSON.stringify(details.body)).not.toContain("secret-entry-441");
  });

  test("a scanner who sends someone else's name still signs with its own account", async () => {
    const session = sessionDoc({ name: "Forgery room", capacity: 10 });
    const a = participantDoc(451);
    await seedRoom(inst.db, session, [a]);
    const answer = await scan(session, a.qrCode, { by: "Chief Organiser" });
    expect(answer.body.data.reason).toBe("ok");
    const doc = await inst.db.collection("checkins").findOne({ participantId: a._id });
    const token = await inst.db.collection("api_tokens").findOne({ name: "scanner (test)" });
    expect(doc?.checkedInById).toBe(`token:${token?._id}`);
    expect(doc?.checkedInBy).toBe("scanner (test) · Chief Organiser");
    const log = await inst.db.collection("scanlog").findOne({ participantId: a._id, action: "scan" });
    expect(log).toMatchObject({ byId: `token:${token?._id}`, by: "scanner (test) · Chief Organiser" });
  });
});

describe("offline replays cannot rewrite the record", () => {
  test("a queued entry dated between an entry and an exit is superseded: the person stays out, no seat taken", async () => {
    const session = sessionDoc({ name: "Replay room", capacity: 1, capacityMode: "occupancy" });
    const [a, b] = [participantDoc(461), participantDoc(462)];
    await seedRoom(inst.db, session, [a, b]);
    const entered = new Date(Date.now() - 120_000);
    await scan(session, a.qrCode, {
      scannedAt: entered.toISOString(),
      provisional: "ok",
      nonce: "replay-in-461",
    });
    expect((await scan(session, a.qrCode, { direction: "exit" })).body.data.outcome).toBe("left");
    const stale = await scan(session, a.qrCode, {
      scannedAt: new Date(entered.getTime() + 30_000).toISOString(),
      provisional: "reentry",
      nonce: "replay-stale-461",
    });
    expect(stale.body.data).toMatchObject({ outcome: "refuse", reason: "superseded" });
    const doc = await inst.db.collection("checkins").findOne({ participantId: a._id });
    expect(doc?.checkedOutAt).not.toBeNull();
    // The one seat is still free for someone else.
    expect((await scan(session, b.qrCode)).body.data.reason).toBe("ok");
  });

  test("a queued scan dated outside its session's door hours is refused in words, never stored", async () => {
    // Written down just now, as imported sessions are; it started 30 min ago.
    const session = sessionDoc({
      name: "Window room",
      startTime: new Date(Date.now() - 30 * 60_000),
      lateThresholdMinutes: 10,
    });
    const [a, b] = [participantDoc(471), participantDoc(472)];
    await seedRoom(inst.db, session, [a, b]);
    const dayBefore = new Date(Date.now() - 23 * 3600_000).toISOString();
    const refused = await scan(session, a.qrCode, {
      scannedAt: dayBefore,
      provisional: "ok",
      nonce: "window-471",
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain("outside the session's door hours");
    expect(await inst.db.collection("checkins").countDocuments({ participantId: a._id })).toBe(0);
    // Its retry hears the same refusal.
    expect(
      (await scan(session, a.qrCode, { scannedAt: dayBefore, provisional: "ok", nonce: "window-471" }))
        .status,
    ).toBe(400);
    // Inside the window (the opening margin before the start) it is taken at its own time, on time.
    const early = new Date(session.startTime.getTime() - 5 * 60_000).toISOString();
    const taken = await scan(session, b.qrCode, { scannedAt: early, provisional: "ok" });
    expect(taken.body.data).toMatchObject({ reason: "ok", isLate: false });
    // An exit dated outside the window is refused too.
    const exit = await scan(session, b.qrCode, { direction: "exit", scannedAt: dayBefore });
    expect(exit.status).toBe(400);
  });
});

describe("a door device holds nothing it should not", () => {
  test("imported counter codes are not in the offline snapshot: trying 10^5 candidates finds none", async () => {
    const session = sessionDoc({ name: "Snapshot room", capacity: 50 });
    const imported = Array.from({ length: 40 }, (_, i) =>
      participantDoc(500 + i, { qrCode: `QR-EVENT2025-${String(123 + i * 17).padStart(6, "0")}` }),
    );
    const generated = Array.from({ length: 10 }, (_, i) => participantDoc(600 + i));
    await seedRoom(inst.db, session, [...imported, ...generated]);
    // The directory learns of people written straight into the database at its next reload.
    await inst.features.directory.reloadEverywhere();
    const response = await inst.app.handle(
      new Request(`http://test.local/scan/${session._id}/snapshot`, {
        headers: { authorization: `Bearer ${await inst.tokenFor("scanner")}` },
      }),
    );
    expect(response.status).toBe(200);
    const snapshot = (await response.json()) as { key: string; people: [string, ...string[]][] };
    const hashes = new Set(snapshot.people.map(([hash]) => hash));
    const key = Buffer.from(snapshot.key, "base64url");
    const { createHmac } = await import("node:crypto");
    const hash = (code: string) => createHmac("sha256", key).update(code).digest("base64url").slice(0, 22);
    let found = 0;
    for (let i = 0; i < 100_000; i++)
      if (hashes.has(hash(`QR-EVENT2025-${String(i).padStart(6, "0")}`))) found++;
    expect(found).toBe(0);
    // Generated badges are there, so the door still decides offline for them.
    for (const p of generated) expect(hashes.has(hash(p.qrCode))).toBe(true);
  });
});
