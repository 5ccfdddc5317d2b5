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

// A person at the door: Chromium drives the real scanner page served by a real instance.

let instance: Instance;
let browser: Browser;
let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let db: Db;
let door: { email: string; password: string };
const session = sessionDoc({ name: "Browser <b>room</b>", capacity: 10 });
const guest = participantDoc(1, { name: "Grace <script>alert(1)</script> Hopper", organization: "Navy" });
const stranger = participantDoc(2, { name: "Walk In" });

beforeAll(async () => {
  cluster = await seededInProcess("browser", 1, {
    sessions: [session],
    participants: [guest, stranger],
    registrations: [registrationDoc(guest._id, session._id)],
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

test("scan a badge with Enter: green verdict and the count moves; again: already checked in", async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const alerts: string[] = [];
  page.on("dialog", (dialog) => {
    alerts.push(dialog.message());
    void dialog.dismiss();
  });
  await signIn(page, instance.url, door, `/scan/${session._id}`);
  expect(await page.textContent("h1")).toBe("Browser <b>room</b>");
  expect((await page.textContent("#count"))?.replace(/\s+/g, " ")).toContain("0");

  await page.fill("#code", guest.qrCode.toLowerCase());
  await page.press("#code", "Enter");
  const green = page.locator('#verdict .verdict[data-outcome="accept"]');
  await green.waitFor();
  expect(await green.textContent()).toContain("Grace <script>alert(1)</script> Hopper");
  expect(await page.locator("#count strong").textContent()).toBe("1");
  // The input is cleared and focused for the next badge.
  expect(await page.inputValue("#code")).toBe("");
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("code");

  // A double tap within three seconds replays the original answer: this very answer says accept.
  const tap = page.waitForResponse(
    (r) => r.request().method() === "POST" && r.url().endsWith(`/scan/${session._id}`),
  );
  await page.fill("#code", guest.qrCode);
  await page.press("#code", "Enter");
  const replayed = await (await tap).text();
  expect(replayed).toContain('data-outcome="accept"');
  expect(replayed).not.toContain('data-outcome="already"');

  await page.waitForTimeout(3100);
  await page.fill("#code", guest.qrCode);
  await page.press("#code", "Enter");
  const grey = page.locator('#verdict .verdict[data-outcome="already"]');
  await grey.waitFor();
  expect(await grey.textContent()).toContain("Already checked in");
  expect(await page.locator("#count strong").textContent()).toBe("1");
  expect(alerts).toEqual([]);
  expect(await db.collection("checkins").countDocuments({ sessionId: session._id })).toBe(1);
});

test("an unregistered badge asks for a decision; accept anyway admits", async () => {
  const page = await browser.newPage();
  await signIn(page, instance.url, door, `/scan/${session._id}`);
  await page.fill("#code", stranger.qrCode);
  await page.press("#code", "Enter");
  const amber = page.locator('#verdict .verdict[data-outcome="decide"]');
  await amber.waitFor();
  expect(await amber.textContent()).toContain("not registered");
  await page.click("button.accept");
  await page.locator('#verdict .verdict[data-outcome="accept"]').waitFor();
  expect(await page.locator("#count strong").textContent()).toBe("2");
  const doc = await db.collection("checkins").findOne({ participantId: stranger._id });
  expect(doc?.badge).toBe("accepted_unregistered");
});

test("an unknown code is refused in words", async () => {
  const page = await browser.newPage();
  await signIn(page, instance.url, door, `/scan/${session._id}`);
  await page.fill("#code", "QR-DOESNOTEXIST");
  await page.press("#code", "Enter");
  const red = page.locator('#verdict .verdict[data-outcome="refuse"]');
  await red.waitFor();
  expect(await red.textContent()).toContain("Badge code not found");
});
