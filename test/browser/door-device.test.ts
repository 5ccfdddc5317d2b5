import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db } from "mongodb";
import type { Browser, Page } from "playwright-core";
import { launchChromium, openReadyDoor, queueDrained, signIn } from "../helpers/browser";
import {
  createUser,
  participantDoc,
  registrationDoc,
  seededInProcess,
  sessionDoc,
  tokenHeaders,
} from "../helpers/fixtures";
import type { Served as Instance } from "../helpers/instance";

// What a door device holds between the server's answers: seats of its lease spent by any
// admission (a person chosen from the search too), no seat from a lease past its lifetime,
// and nothing of the previous person's once someone else signs in on it.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
let browser: Browser;
let db: Db;
let auth: Record<string, string>;
const searched = sessionDoc({ name: "Searched lease room", capacity: 4, capacityEnforced: true });
const lapsing = sessionDoc({ name: "Lapsing lease room", capacity: 4, capacityEnforced: true });
const shared = sessionDoc({ name: "Shared device room", capacity: 10 });
const sessions = [searched, lapsing, shared];
const people = Array.from({ length: 6 }, (_, i) => participantDoc(2700 + i, { name: `Device guest ${i}` }));

beforeAll(async () => {
  cluster = await seededInProcess("browser-device", 1, {
    sessions,
    participants: people,
    registrations: sessions.flatMap((s) => people.map((p) => registrationDoc(p._id, s._id))),
  });
  ({ db } = cluster);
  [a] = cluster.instances as [Instance];
  auth = await tokenHeaders(db, "scanner");
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await cluster.stop();
});

const leaseLeft = (page: Page) => page.getAttribute("#door-status", "data-lease-left");

async function scanOnline(sessionId: unknown, person: number) {
  const response = await fetch(`${a.url}/api/v1/scan`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ sessionId: String(sessionId), qrCode: people[person]?.qrCode }),
  });
  expect(response.status).toBe(200);
}

async function scanOffline(page: Page, person: number) {
  await page.evaluate(() => document.querySelector("#verdict")?.replaceChildren());
  await page.fill("#code", people[person]?.qrCode ?? "");
  await page.press("#code", "Enter");
  await page.locator("#verdict .verdict[data-queued]").waitFor();
  return page.evaluate(() => {
    const el = document.querySelector<HTMLElement>("#verdict .verdict");
    return { outcome: el?.dataset.outcome, reason: el?.dataset.reason };
  });
}

test("a person checked in from the search with a seat of the lease is counted on the device", async () => {
  const staff = await createUser(db, "scanner", "searched-device@example.org");
  const { context, page } = await openReadyDoor(browser, a.url, staff, String(searched._id));
  await page.waitForFunction(
    () => document.querySelector("#door-status")?.getAttribute("data-lease-left") === "2",
  );
  // The pool's two seats go to another door.
  await scanOnline(searched._id, 0);
  await scanOnline(searched._id, 1);
  // The pool is empty: checking guest 2 in from the search takes a seat of this door's lease.
  await page.click("details.search summary");
  await page.fill("input[name=q]", "Device guest 2");
  await page.locator("#search-results form button").first().click();
  await page.waitForFunction(
    () => document.querySelector("#verdict .verdict")?.getAttribute("data-outcome") === "accept",
  );
  await page.waitForFunction(
    () => document.querySelector("#door-status")?.getAttribute("data-lease-left") === "1",
  );
  await context.setOffline(true);
  // One seat left on the lease: one more admission offline, then the share is used up.
  expect((await scanOffline(page, 3)).reason).toBe("ok");
  expect((await scanOffline(page, 4)).reason).toBe("offline_share_used_up");
  await context.setOffline(false);
  await queueDrained(page, 30_000);
  expect(await page.textContent("#sync-report .conflicts")).toBe("0");
  expect(await db.collection("checkins").countDocuments({ sessionId: searched._id })).toBe(4);
  await context.close();
});

test("a lease past its lifetime gives no seat offline, on the device's own clock", async () => {
  const staff = await createUser(db, "scanner", "lapsing-device@example.org");
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.clock.install();
  await signIn(page, a.url, staff, `/scan/${lapsing._id}`);
  await page.waitForSelector(".scanner[data-offline-ready=true]", { timeout: 20_000 });
  await page.waitForFunction(
    () => document.querySelector("#door-status")?.getAttribute("data-lease-left") === "2",
  );
  await context.setOffline(true);
  await page.clock.fastForward("31:00");
  await page.waitForFunction(
    () => document.querySelector("#door-status")?.getAttribute("data-lease-left") === "0",
  );
  expect(await leaseLeft(page)).toBe("0");
  expect((await scanOffline(page, 0)).reason).toBe("offline_share_used_up");
  await context.close();
});

test("someone else signing in on the device without signing out sees nothing of the last person's", async () => {
  const first = await createUser(db, "scanner", "first-device@example.org");
  const second = await createUser(db, "scanner", "second-device@example.org");
  const { context, page } = await openReadyDoor(browser, a.url, first, String(shared._id));
  await context.setOffline(true);
  await scanOffline(page, 5);
  await context.setOffline(false);
  await queueDrained(page);
  expect(await page.textContent("#sync-report")).toContain("Device guest 5");
  // The device is passed on: the next person signs in from the login page.
  await page.goto(`${a.url}/login`);
  await page.fill('input[name="email"]', second.email);
  await page.fill('input[name="password"]', second.password);
  await Promise.all([page.waitForURL(/\/scan/), page.click('form.login button[type="submit"]')]);
  await page.goto(`${a.url}/scan/${shared._id}`);
  await page.waitForSelector(".scanner[data-snapshot-at]");
  expect(await page.textContent("#sync-report")).not.toContain("Device guest 5");
  await context.close();
});

test("a door whose sign-in has ended notices at its next snapshot and keeps no list", async () => {
  const staff = await createUser(db, "scanner", "ended-device@example.org");
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.clock.install();
  await signIn(page, a.url, staff, `/scan/${shared._id}`);
  await page.waitForSelector(".scanner[data-snapshot-at]");
  await context.clearCookies();
  await page.clock.fastForward("00:31");
  await page.waitForFunction(() => !document.querySelector(".scanner")?.hasAttribute("data-snapshot-at"));
  const stored = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const open = indexedDB.open("checkin-door");
        open.onsuccess = () => {
          const count = open.result.transaction("snapshots").objectStore("snapshots").count();
          count.onsuccess = () => resolve(count.result);
        };
      }),
  );
  expect(stored).toBe(0);
  await context.close();
});

test("the door's count follows admissions at other doors; a double click on a search result is one check-in", async () => {
  const staff = await createUser(db, "scanner", "count-device@example.org");
  const counted = sessionDoc({ name: "Counted room", capacity: 20, capacityEnforced: true });
  await db.collection("sessions").insertOne(counted);
  await db.collection("registrations").insertMany(people.map((p) => registrationDoc(p._id, counted._id)));
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, a.url, staff, `/scan/${counted._id}`);
  await page.waitForSelector(".scanner[data-snapshot-at]");
  // Another door (the API) admits two people: this door's count says so without a scan of its own.
  await scanOnline(counted._id, 0);
  await scanOnline(counted._id, 1);
  await page.waitForFunction(() => document.querySelector("#count strong")?.textContent === "2", null, {
    timeout: 20_000,
  });
  await page.click("details.search summary");
  await page.fill("input[name=q]", "Device guest 3");
  await page.locator("#search-results form button").first().dblclick();
  await page.waitForFunction(
    () => document.querySelector("#verdict .verdict")?.getAttribute("data-outcome") !== null,
  );
  await page.waitForTimeout(1000);
  expect(await page.getAttribute("#verdict .verdict", "data-outcome")).toBe("accept");
  expect(await db.collection("checkins").countDocuments({ sessionId: counted._id })).toBe(3);
  await context.close();
});
