import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db } from "mongodb";
import type { Browser, Page } from "playwright-core";
import { type DecisionInput, decide } from "../../src/door/decide";
import type { ParticipantDoc } from "../../src/participants/repo";
import type { RegistrationDoc } from "../../src/registrations/repo";
import type { SessionDoc } from "../../src/sessions/repo";
import { launchChromium, signIn } from "../helpers/browser";
import {
  createUser,
  participantDoc,
  postJson,
  registrationDoc,
  seededInProcess,
  sessionDoc,
  tokenHeaders,
} from "../helpers/fixtures";
import type { Served as Instance } from "../helpers/instance";

// One decision for both sides: the door's offline verdicts in Chromium (the bundled
// public/scanner.js) against the server's `decide` fed the same facts, case by case:
// a full room by admissions, an occupancy room with people inside and one who left,
// registrations confirmed, pending and cancelled, invite-only, a session not open.

let instance: Instance;
let browser: Browser;
let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let db: Db;

const admissions = sessionDoc({ name: "Full by admissions", capacity: 2 });
const occupancy = sessionDoc({ name: "Full inside", capacity: 2, capacityMode: "occupancy" });
const open = sessionDoc({ name: "Open room" });
const inviteOnly = sessionDoc({ name: "Invite only", requiresRegistration: true });
const notOpen = sessionDoc({
  name: "Not open yet",
  status: "scheduled",
  startTime: new Date(Date.now() + 3 * 3600_000),
  endTime: new Date(Date.now() + 4 * 3600_000),
});
const SESSIONS = [admissions, occupancy, open, inviteOnly, notOpen];

const person = (i: number) => participantDoc(800 + i, { name: `Case ${i}` });
const P = Array.from({ length: 16 }, (_, i) => person(i));
const p = (i: number) => P[i] as ParticipantDoc;
const REGISTRATIONS: RegistrationDoc[] = [
  ...[0, 1, 2].map((i) => registrationDoc(p(i)._id, admissions._id)),
  ...[3, 4, 5, 6].map((i) => registrationDoc(p(i)._id, occupancy._id)),
  registrationDoc(p(7)._id, open._id),
  registrationDoc(p(8)._id, open._id, "pending"),
  registrationDoc(p(9)._id, open._id, "cancelled"),
  registrationDoc(p(10)._id, inviteOnly._id, "cancelled"),
  registrationDoc(p(11)._id, inviteOnly._id),
  registrationDoc(p(12)._id, notOpen._id),
];

beforeAll(async () => {
  cluster = await seededInProcess("decision", 1, {
    sessions: SESSIONS,
    participants: P,
    registrations: REGISTRATIONS,
  });
  ({ db } = cluster);
  [instance] = cluster.instances as [Instance];
  browser = await launchChromium();
  // The rooms as the day has made them, through the API.
  const auth = await tokenHeaders(db, "admin");
  const scan = (session: SessionDoc, who: ParticipantDoc, direction = "entry") =>
    postJson(
      `${instance.url}/api/v1/scan`,
      {
        sessionId: String(session._id),
        qrCode: who.qrCode,
        direction,
      },
      auth,
    );
  await scan(admissions, p(0));
  await scan(admissions, p(1));
  await scan(admissions, p(0), "exit");
  await scan(occupancy, p(3));
  await scan(occupancy, p(4));
  await scan(occupancy, p(3), "exit");
  await scan(occupancy, p(5));
});

afterAll(async () => {
  await browser?.close();
  await cluster.stop();
});

/** The server's `decide`, fed the facts as MongoDB holds them: outcome/reason. */
async function serverReason(asSeeded: SessionDoc, who: ParticipantDoc): Promise<string> {
  const session = (await db.collection<SessionDoc>("sessions").findOne({ _id: asSeeded._id })) ?? asSeeded;
  const registration = await db
    .collection<RegistrationDoc>("registrations")
    .findOne({ sessionId: session._id, participantId: who._id });
  const checkIn = await db.collection("checkins").findOne({ sessionId: session._id, participantId: who._id });
  const admitted = await db.collection("checkins").countDocuments({ sessionId: session._id });
  const inside = await db
    .collection("checkins")
    .countDocuments({ sessionId: session._id, checkedOutAt: null });
  const input: DecisionInput = {
    participant: { isActive: true },
    session,
    registration: registration ? { status: registration.status } : null,
    alreadyCheckedIn: checkIn !== null,
    checkedOut: Boolean(checkIn?.checkedOutAt),
    checkedInCount: session.capacityMode === "occupancy" ? inside : admitted,
    now: new Date(),
    acceptUnregistered: false,
    defaultLateThresholdMinutes: 10,
  };
  const verdict = decide(input);
  return `${verdict.outcome}/${verdict.reason}`;
}

/** The door's own verdict for a badge, offline, as the page shows it: outcome/reason. */
async function doorReason(page: Page, who: ParticipantDoc): Promise<string | null> {
  await page.fill("#code", who.qrCode);
  await page.press("#code", "Enter");
  const verdict = page.locator("#verdict .verdict[data-queued]");
  await verdict.waitFor();
  const reason = `${await verdict.getAttribute("data-outcome")}/${await verdict.getAttribute("data-reason")}`;
  // The next scan must not read this one's verdict.
  await page.evaluate(() => document.querySelector("#verdict")?.replaceChildren());
  return reason;
}

const CASES: [SessionDoc, number[]][] = [
  [admissions, [1, 0, 2]],
  [occupancy, [4, 3, 6]],
  [open, [7, 8, 9]],
  [inviteOnly, [10, 11]],
  [notOpen, [12]],
];

test("the door offline and the server decide every case alike", async () => {
  const door = await createUser(db, "scanner", "decision-door@example.org");
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, instance.url, door, `/scan/${admissions._id}`);
  const compared: { session: string; who: string; door: string | null; server: string }[] = [];
  for (const [session, people] of CASES) {
    await context.setOffline(false);
    await page.goto(`${instance.url}/scan/${session._id}`);
    // The door holds this session's list, ready to decide from.
    await page.waitForSelector(".scanner[data-snapshot-at]");
    await context.setOffline(true);
    await page.waitForFunction(() => document.querySelector("#door-status")?.classList.contains("offline"));
    for (const i of people) {
      const who = p(i);
      compared.push({
        session: session.name,
        who: who.name,
        door: await doorReason(page, who),
        server: await serverReason(session, who),
      });
    }
  }
  for (const row of compared) expect(row).toEqual({ ...row, door: row.server });
  // The cases cover what they claim to.
  const reasons = new Set(compared.map((row) => row.server.split("/")[1]));
  for (const reason of [
    "ok",
    "reentry",
    "already_checked_in",
    "session_full",
    "not_registered",
    "registration_cancelled",
    "session_not_open",
  ])
    expect(reasons).toContain(reason);
  await context.close();
});
