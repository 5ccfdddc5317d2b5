import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db, MongoClient } from "mongodb";
import { type Browser, chromium } from "playwright-core";
import { type Instance, spawnInstance, stopProcess } from "../../deploy/local/cluster";
import { freePort, instanceEnv, TEST_LOGS } from "../helpers/env";
import { openDb, participantDoc, registrationDoc, sessionDoc } from "../helpers/fixtures";

// A person at the door: Chromium drives the real scanner page served by a real instance.

let instance: Instance;
let browser: Browser;
let client: MongoClient;
let db: Db;
const env = instanceEnv("browser");
const session = sessionDoc({ name: "Browser <b>room</b>", capacity: 10 });
const guest = participantDoc(1, { name: "Grace <script>alert(1)</script> Hopper", organization: "Navy" });
const stranger = participantDoc(2, { name: "Walk In" });

beforeAll(async () => {
  ({ client, db } = await openDb(String(env.MONGODB_DB)));
  await db.collection("sessions").insertOne(session);
  await db.collection("participants").insertMany([guest, stranger]);
  await db.collection("registrations").insertOne(registrationDoc(guest._id, session._id));
  instance = await spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await stopProcess(instance.proc);
  await db.dropDatabase();
  await client.close();
});

test("scan a badge with Enter: green verdict and the count moves; again: already checked in", async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const alerts: string[] = [];
  page.on("dialog", (dialog) => {
    alerts.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${instance.url}/scan/${session._id}`);
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

  // A double tap within three seconds replays the original answer.
  await page.fill("#code", guest.qrCode);
  await page.press("#code", "Enter");
  await page.locator('#verdict .verdict[data-outcome="accept"]').waitFor();

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
  await page.goto(`${instance.url}/scan/${session._id}`);
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
  await page.goto(`${instance.url}/scan/${session._id}`);
  await page.fill("#code", "QR-DOESNOTEXIST");
  await page.press("#code", "Enter");
  const red = page.locator('#verdict .verdict[data-outcome="refuse"]');
  await red.waitFor();
  expect(await red.textContent()).toContain("Badge code not found");
});
