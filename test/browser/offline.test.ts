import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db } from "mongodb";
import type { Browser, Page } from "playwright-core";
import { launchChromium, openReadyDoor, queueDrained } from "../helpers/browser";
import {
  createUser,
  participantDoc,
  registrationDoc,
  seededInProcess,
  sessionDoc,
} from "../helpers/fixtures";
import type { Served as Instance } from "../helpers/instance";

// The door without a network, in a real Chromium: the page reloads from the service
// worker's cache, scans queue in IndexedDB with a provisional verdict, and replay when
// the network is back: exactly the right check-ins, conflicts reported.

let instance: Instance;
let browser: Browser;
let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let db: Db;
let door: { email: string; password: string };
const session = sessionDoc({ name: "Offline room", capacity: 10 });
const twoDoors = sessionDoc({ name: "Two doors", capacity: 4 });
const people = [1, 2, 3, 4].map((i) => participantDoc(i, { name: `Guest ${i}` }));

beforeAll(async () => {
  cluster = await seededInProcess("offline", 1, {
    sessions: [session, twoDoors],
    participants: people,
    registrations: [
      ...people.map((p) => registrationDoc(p._id, session._id)),
      ...people.map((p) => registrationDoc(p._id, twoDoors._id)),
    ],
  });
  ({ db } = cluster);
  [instance] = cluster.instances as [Instance];
  door = await createUser(db, "scanner");
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await cluster.stop();
});

// The worker holds the page and the door has its snapshot: ready for the network to go.
const openDoor = (sessionId: string) => openReadyDoor(browser, instance.url, door, sessionId);

const waiting = (page: Page) => page.getAttribute("#door-status", "data-waiting");

async function scanCode(page: Page, code: string) {
  await page.fill("#code", code);
  await page.press("#code", "Enter");
}

test("offline: reload still gives a scanner; three scans queue (one twice); online: synced exactly", async () => {
  const { context, page } = await openDoor(String(session._id));
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector("#code");
  expect(await page.textContent("h1")).toBe("Offline room");

  const [a, b] = people as [(typeof people)[0], (typeof people)[0]];
  await scanCode(page, a.qrCode);
  // The device's own decision (an admission), shown apart as queued.
  const queued = page.locator('#verdict .verdict[data-queued][data-outcome="accept"][data-reason="ok"]');
  await queued.waitFor();
  expect(await queued.textContent()).toContain("Queued");
  expect(await queued.textContent()).toContain("Guest 1");
  await page.waitForTimeout(3100);
  await scanCode(page, b.qrCode);
  await page.waitForFunction(() => document.querySelector("#verdict")?.textContent?.includes("Guest 2"));
  await scanCode(page, a.qrCode);
  await page.locator('#verdict .verdict[data-outcome="already"]').waitFor();
  expect(await waiting(page)).toBe("2");
  expect(await page.textContent("#door-status")).toContain("Offline");
  expect(await db.collection("checkins").countDocuments({ sessionId: session._id })).toBe(0);

  await context.setOffline(false);
  await queueDrained(page, 15_000);
  const docs = await db.collection("checkins").find({ sessionId: session._id }).toArray();
  expect(docs.map((d) => String(d.participantId)).sort()).toEqual([String(a._id), String(b._id)].sort());
  expect(await page.textContent("#sync-report summary")).toContain("2 synced");
  const log = await db.collection("scanlog").find({ sessionId: session._id, offline: true }).toArray();
  expect(log).toHaveLength(2);
  await context.close();
});

test("two offline doors admit the same badge: one check-in, and a conflict on a report and the log", async () => {
  const one = await openDoor(String(twoDoors._id));
  const two = await openDoor(String(twoDoors._id));
  // Each door holds a share of the free seats to admit against (the second door's arrival makes the first renew).
  for (const door of [one, two])
    await door.page.waitForFunction(
      () => Number(document.querySelector("#door-status")?.getAttribute("data-lease-left") ?? 0) > 0,
      null,
      { timeout: 30_000 },
    );
  const [, , c] = people as [unknown, unknown, (typeof people)[0]];
  await one.context.setOffline(true);
  await two.context.setOffline(true);
  await scanCode(one.page, c.qrCode);
  await scanCode(two.page, c.qrCode);
  await one.page.locator('#verdict .verdict[data-queued][data-outcome="accept"]').waitFor();
  await two.page.locator('#verdict .verdict[data-queued][data-outcome="accept"]').waitFor();
  await one.context.setOffline(false);
  await queueDrained(one.page, 15_000);
  await two.context.setOffline(false);
  await queueDrained(two.page, 15_000);
  expect(await db.collection("checkins").countDocuments({ sessionId: twoDoors._id })).toBe(1);
  expect(await two.page.textContent("#sync-report summary")).toContain("1 differ");
  expect(await two.page.textContent("#sync-report")).toContain("DIFFERS");
  expect(await db.collection("scanlog").countDocuments({ sessionId: twoDoors._id, conflict: true })).toBe(1);
  // The session's live dashboard shows the conflict too.
  await one.page.goto(`${instance.url}/live/${twoDoors._id}`);
  await one.page.locator(".feed li.conflict").first().waitFor();
  expect(await one.page.textContent(".feed li.conflict")).toContain(
    "Conflict: an offline door said admitted",
  );
  await one.context.close();
  await two.context.close();
});
