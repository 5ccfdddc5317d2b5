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

// A USB barcode scanner types a badge in milliseconds and presses Enter, often before the
// last answer is back: every badge is read whole, answered in order, and none goes astray
// after the direction switch.

let instance: Instance;
let browser: Browser;
let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let db: Db;
let door: { email: string; password: string };
const session = sessionDoc({ name: "Wedge room", capacity: 50 });
const people = Array.from({ length: 6 }, (_, i) => participantDoc(5100 + i, { name: `Wedge guest ${i}` }));

beforeAll(async () => {
  cluster = await seededInProcess("browser-wedge", 1, {
    sessions: [session],
    participants: people,
    registrations: people.map((p) => registrationDoc(p._id, session._id)),
  });
  ({ db } = cluster);
  [instance] = cluster.instances as [Instance];
  door = await createUser(db, "scanner", "wedge@example.org");
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await cluster.stop();
});

const admitted = () => db.collection("checkins").countDocuments({ sessionId: session._id });

test("two badges back to back while the first answer is slow: both read whole, both admitted, the screen ends on the second", async () => {
  const page = await browser.newPage();
  await signIn(page, instance.url, door, `/scan/${session._id}`);
  let first = true;
  await page.route(`**/scan/${session._id}`, async (route) => {
    if (route.request().method() === "POST" && first) {
      first = false;
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    await route.continue();
  });
  await page.locator("#code").focus();
  await page.keyboard.type(people[0]?.qrCode ?? "", { delay: 5 });
  await page.keyboard.press("Enter");
  await page.keyboard.type(people[1]?.qrCode ?? "", { delay: 5 });
  await page.keyboard.press("Enter");
  await page.waitForFunction(() =>
    document.querySelector("#verdict .verdict")?.textContent?.includes("Wedge guest 1"),
  );
  expect(await admitted()).toBe(2);
  expect(await page.getAttribute("#verdict .verdict", "data-outcome")).toBe("accept");
  await page.close();
});

test("after switching the direction, the next badge still reaches the scan box", async () => {
  const page = await browser.newPage();
  await signIn(page, instance.url, door, `/scan/${session._id}`);
  // The door script is running (it has its list) before staff touch the page.
  await page.waitForSelector(".scanner[data-snapshot-at]");
  await page.locator('input[name="direction"][value="exit"]').check();
  await page.locator('input[name="direction"][value="entry"]').check();
  // Focus left on the switch itself (keyboard users, or a wedge firing before any timer runs).
  await page.focus('input[name="direction"][value="entry"]');
  await page.keyboard.type(people[2]?.qrCode ?? "", { delay: 5 });
  await page.keyboard.press("Enter");
  await page.waitForFunction(() =>
    document.querySelector("#verdict .verdict")?.textContent?.includes("Wedge guest 2"),
  );
  expect(await page.getAttribute("#verdict .verdict", "data-outcome")).toBe("accept");
  await page.close();
});
