import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db } from "mongodb";
import type { Browser, Page } from "playwright-core";
import { launchChromium, signIn } from "../helpers/browser";
import { eventually } from "../helpers/env";
import {
  createUser,
  participantDoc,
  registrationDoc,
  seededInProcess,
  sessionDoc,
  tokenHeaders,
} from "../helpers/fixtures";
import type { Served as Instance } from "../helpers/instance";

// A door device passed from hand to hand, in a real Chromium: signing out (or the server
// answering 401) wipes what the device holds for its person, and a queue of one person's
// scans is never sent under another's name; it can be handed to an admin.

let instance: Instance;
let browser: Browser;
let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let db: Db;
const session = sessionDoc({ name: "Shared device room", capacity: 10 });
const people = [1, 2, 3].map((i) => participantDoc(700 + i, { name: `Visitor ${i}` }));

beforeAll(async () => {
  cluster = await seededInProcess("device", 1, {
    sessions: [session],
    participants: people,
    registrations: people.map((p) => registrationDoc(p._id, session._id)),
  });
  ({ db } = cluster);
  [instance] = cluster.instances as [Instance];
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await cluster.stop();
});

const DOOR = () => `/scan/${session._id}`;

/** What the device holds: rows per IndexedDB store, and door pages in the worker's caches. */
function held(page: Page) {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open("checkin-door");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const count = (name: string) =>
      new Promise<number>((resolve) => {
        if (!db.objectStoreNames.contains(name)) return resolve(0);
        const request = db.transaction(name).objectStore(name).count();
        request.onsuccess = () => resolve(request.result);
      });
    const counts = {
      queue: await count("queue"),
      report: await count("report"),
      snapshots: await count("snapshots"),
    };
    db.close();
    let pages = 0;
    for (const name of await caches.keys())
      for (const request of await (await caches.open(name)).keys())
        if (new URL(request.url).pathname.startsWith("/scan/")) pages++;
    return { ...counts, pages };
  });
}

async function scanCode(page: Page, code: string) {
  await page.fill("#code", code);
  await page.press("#code", "Enter");
}

test("sign-out wipes snapshot, report and cached door page; the next person sees the queue and hands it to an admin", async () => {
  const first = await createUser(db, "scanner", "first-shift@example.org");
  const second = await createUser(db, "scanner", "second-shift@example.org");
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page, instance.url, first, DOOR());
  await page.waitForSelector(".scanner[data-offline-ready=true]", { timeout: 20_000 });
  const [a, b] = people as [(typeof people)[0], (typeof people)[0]];

  // One scan goes through and into the sync report (offline, then synced).
  await context.setOffline(true);
  await scanCode(page, a.qrCode);
  await page.locator("#verdict .verdict[data-queued]").waitFor();
  await context.setOffline(false);
  await page.waitForFunction(
    () => document.querySelector("#door-status")?.getAttribute("data-waiting") === "0",
    null,
    {
      timeout: 15_000,
    },
  );
  // Another stays queued: the server cannot be reached for scans now.
  await page.route("**/api/v1/scan", (route) => route.abort());
  await page.route("**/api/v1/health/ready", (route) => route.abort());
  await context.setOffline(true);
  // The first scan's verdict is still on screen: the second's must be the one waited for.
  await page.evaluate(() => document.querySelector("#verdict")?.replaceChildren());
  await scanCode(page, b.qrCode);
  await page.locator("#verdict .verdict[data-queued]").waitFor();
  await context.setOffline(false);
  const before = await held(page);
  expect(before).toMatchObject({ queue: 1, snapshots: 1 });
  expect(before.report).toBeGreaterThan(0);
  expect(before.pages).toBeGreaterThan(0);

  // Sign out from the menu.
  await page.click("details.menu summary");
  await Promise.all([page.waitForURL(/\/login/), page.click("form.logout button")]);
  const after = await held(page);
  expect(after).toEqual({ queue: 1, report: 0, snapshots: 0, pages: 0 });

  // The next person signs in on the device: the queue is shown as someone else's, never sent.
  await page.unroute("**/api/v1/scan");
  await page.unroute("**/api/v1/health/ready");
  await page.fill('input[name="email"]', second.email);
  await page.fill('input[name="password"]', second.password);
  await Promise.all([page.waitForURL(/\/scan/), page.click('form.login button[type="submit"]')]);
  await page.goto(`${instance.url}${DOOR()}`);
  const foreign = page.locator("#foreign-queue");
  await foreign.waitFor({ state: "visible" });
  expect(await foreign.textContent()).toContain("1 scans queued by Test scanner");
  expect(await page.getAttribute("#door-status", "data-waiting")).toBe("0");
  await page.waitForTimeout(6000);
  expect(await db.collection("checkins").countDocuments({ participantId: b._id })).toBe(0);

  // Handed to an admin: stored, gone from the device, replayed by the admin as queued.
  await page.click("#hand-over");
  await page.waitForFunction(() => document.querySelector("#foreign-queue")?.hasAttribute("hidden"));
  expect((await held(page)).queue).toBe(0);
  const handover = await db.collection("handovers").findOne({ status: "waiting" });
  expect(handover?.scans).toHaveLength(1);
  expect(handover?.handedOverBy?.name).toBe("Test scanner");
  const admin = await tokenHeaders(db, "admin");
  const replay = await fetch(`${instance.url}/admin/handovers/${handover?._id}/replay`, {
    method: "POST",
    headers: admin,
  });
  expect(replay.status).toBe(200);
  expect(await replay.text()).toContain("Checked in");
  const checkIn = await db.collection("checkins").findOne({ participantId: b._id });
  expect(checkIn?.checkInTime.getTime()).toBeLessThan(Date.now() - 5000);
  expect(String(checkIn?.checkedInById)).toStartWith("token:");
  // The admin log is written once the answer has left.
  expect(
    await eventually(
      async () =>
        (await db
          .collection("admin_log")
          .countDocuments({ path: `/admin/handovers/${handover?._id}/replay` })) === 1,
      5000,
    ),
  ).toBe(true);
  await context.close();
});

test("a 401 from the server wipes the device too; a disabled account's handed-over scans are refused", async () => {
  const third = await createUser(db, "scanner", "third-shift@example.org");
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, instance.url, third, DOOR());
  await page.waitForFunction(async () => {
    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open("checkin-door");
      request.onsuccess = () => resolve(request.result);
    });
    const n = await new Promise<number>((resolve) => {
      const request = db.transaction("snapshots").objectStore("snapshots").count();
      request.onsuccess = () => resolve(request.result);
    });
    db.close();
    return n === 1;
  });
  // The account is disabled by an admin: the next scan hears 401.
  const user = await db.collection("users").findOne({ email: third.email });
  const admin = await tokenHeaders(db, "admin");
  const disabled = await fetch(`${instance.url}/api/v1/auth/accounts/${user?._id}`, {
    method: "PATCH",
    headers: { ...admin, "content-type": "application/json" },
    body: JSON.stringify({ disabled: true }),
  });
  expect(disabled.status).toBe(200);
  const c = people[2] as (typeof people)[0];
  await scanCode(page, c.qrCode);
  await page.waitForFunction(() => document.querySelector("#door-status")?.classList.contains("signin"));
  expect(await held(page)).toMatchObject({ snapshots: 0, report: 0, queue: 1 });

  // Their queue, handed over by someone else, is refused with a report, never replayed.
  const queued = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open("checkin-door");
      request.onsuccess = () => resolve(request.result);
    });
    return new Promise<Record<string, string>[]>((resolve) => {
      const request = db.transaction("queue").objectStore("queue").getAll();
      request.onsuccess = () => resolve(request.result);
    });
  });
  const scanner = await tokenHeaders(db, "scanner");
  const handed = await fetch(`${instance.url}/scan/handover`, {
    method: "POST",
    headers: { ...scanner, "content-type": "application/json" },
    body: JSON.stringify({
      queuedBy: { account: queued[0]?.account, name: queued[0]?.staff },
      scans: queued.map((q) => ({
        sessionId: q.sessionId,
        code: q.code,
        direction: q.direction,
        scannedAt: q.scannedAt,
        nonce: q.nonce,
      })),
    }),
  });
  expect(handed.status).toBe(201);
  const { id } = (await handed.json()) as { id: string };
  const replay = await fetch(`${instance.url}/admin/handovers/${id}/replay`, {
    method: "POST",
    headers: admin,
  });
  expect(await replay.text()).toContain("disabled or revoked");
  expect((await db.collection("handovers").findOne({ status: "refused" }))?.refusal).toContain(
    "not replayed",
  );
  expect(await db.collection("checkins").countDocuments({ participantId: c._id })).toBe(0);
  await context.close();
});
