import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db } from "mongodb";
import type { Browser } from "playwright-core";
import { launchChromium, signIn } from "../helpers/browser";
import {
  createUser,
  participantDoc,
  registrationDoc,
  seededInProcess,
  sessionDoc,
} from "../helpers/fixtures";
import type { Served as Instance } from "../helpers/instance";

// A device set to a room follows it: when the room's session ends and the next one opens,
// the door page moves to the next session by itself, and scans land in the new session; the
// ended session's list then leaves the device.

let instance: Instance;
let browser: Browser;
let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let db: Db;

const ROOM = "Salle Carthage";
const first = sessionDoc({ name: "Morning talk", location: ROOM });
const second = sessionDoc({
  name: "Afternoon talk",
  location: ROOM,
  status: "scheduled",
  startTime: new Date(Date.now() + 3 * 3600_000),
  endTime: new Date(Date.now() + 4 * 3600_000),
});
const guest = participantDoc(901, { name: "Room guest" });

beforeAll(async () => {
  cluster = await seededInProcess("room-bound", 1, {
    sessions: [first, second],
    participants: [guest],
    registrations: [registrationDoc(guest._id, first._id), registrationDoc(guest._id, second._id)],
  });
  ({ db } = cluster);
  [instance] = cluster.instances as [Instance];
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await cluster.stop();
});

test("a room-bound door moves to the room's next session by itself, and scans land there", async () => {
  const door = await createUser(db, "scanner", "room-door@example.org");
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, instance.url, door, "/scan");
  await page.goto(`${instance.url}/scan?room=${encodeURIComponent(ROOM)}`);
  // The picker, filtered by the room, offers to set the device to it.
  await page.click(`a[href="/scan/room/${encodeURIComponent(ROOM)}"]`);
  await page.waitForSelector(`.scanner[data-session="${first._id}"][data-room="${ROOM}"]`);
  expect(await page.textContent("h1")).toBe("Morning talk");
  // Marks this document: a switch that reloaded the page would lose the mark.
  await page.evaluate(() => {
    (window as unknown as { sameDocument: boolean }).sameDocument = true;
  });

  // The boundary: the morning session ends, the afternoon one opens (as the scheduler would).
  await db.collection("sessions").updateOne({ _id: first._id }, { $set: { status: "ended", isOpen: false } });
  await db.collection("sessions").updateOne({ _id: second._id }, { $set: { status: "open", isOpen: true } });
  await page.waitForSelector(`.scanner[data-session="${second._id}"][data-room="${ROOM}"]`, {
    timeout: 45_000,
  });
  expect(await page.textContent("h1")).toBe("Afternoon talk");
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
    true,
  );
  expect(page.url()).toContain(`/scan/${second._id}`);

  await page.fill("#code", guest.qrCode);
  await page.press("#code", "Enter");
  await page.locator('#verdict .verdict[data-outcome="accept"]').waitFor();
  // The verdict says which session it is for.
  expect(await page.textContent("#verdict .for-session")).toBe("For Afternoon talk");
  expect(
    await db.collection("checkins").countDocuments({ sessionId: second._id, participantId: guest._id }),
  ).toBe(1);
  expect(await db.collection("checkins").countDocuments({ sessionId: first._id })).toBe(0);

  // The morning session is over: the device drops its list.
  // It may already be gone (the morning page asked for its list once the session ended); opening
  // the page of the ended session makes sure the device asks.
  await page.goto(`${instance.url}/scan/${first._id}`);
  await page.waitForFunction(
    async (id) => {
      const idb = await new Promise<IDBDatabase>((resolve) => {
        const request = indexedDB.open("checkin-door");
        request.onsuccess = () => resolve(request.result);
      });
      const keys = await new Promise<IDBValidKey[]>((resolve) => {
        const request = idb.transaction("snapshots").objectStore("snapshots").getAllKeys();
        request.onsuccess = () => resolve(request.result);
      });
      return !keys.map(String).includes(id);
    },
    String(first._id),
    { timeout: 15_000 },
  );
  // Nor does the page decide from it any longer.
  await page.waitForFunction(
    () => !document.querySelector(".scanner")?.hasAttribute("data-snapshot-at"),
    null,
    {
      timeout: 15_000,
    },
  );
  await context.close();
});
