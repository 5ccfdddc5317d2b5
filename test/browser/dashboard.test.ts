import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db, MongoClient } from "mongodb";
import { type Browser, chromium } from "playwright-core";
import { type Instance, spawnInstance, stopProcess } from "../../deploy/local/cluster";
import { eventually, freePort, instanceEnv, TEST_LOGS } from "../helpers/env";
import { openDb, participantDoc, postJson, registrationDoc, sessionDoc } from "../helpers/fixtures";

// A wall screen on instance A; scans go through the API of instance B; the counter
// moves without a reload, and comes back right after the socket is cut.

let a: Instance;
let b: Instance;
let browser: Browser;
let client: MongoClient;
let db: Db;
const env = instanceEnv("dashboard");
const session = sessionDoc({ name: "Wall screen room", capacity: 20 });
const people = Array.from({ length: 3 }, (_, i) => participantDoc(i));

beforeAll(async () => {
  ({ client, db } = await openDb(String(env.MONGODB_DB)));
  await db.collection("sessions").insertOne(session);
  await db.collection("participants").insertMany(people);
  await db.collection("registrations").insertMany(people.map((p) => registrationDoc(p._id, session._id)));
  [a, b] = await Promise.all([
    spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env }),
    spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env }),
  ]);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([stopProcess(a.proc), stopProcess(b.proc)]);
  await db.dropDatabase();
  await client.close();
});

const big = `#live-${session._id} .big strong`;

test("the session dashboard counts scans made on another instance, live", async () => {
  const page = await browser.newPage();
  await page.goto(`${a.url}/live/${session._id}`);
  expect(await page.textContent(big)).toBe("0 / 20");
  await socketOpen(a, 1);

  const scan = await postJson(`${b.url}/api/v1/scan`, {
    qrCode: people[0]?.qrCode,
    sessionId: String(session._id),
    device: "North door",
  });
  expect(scan.body.data.outcome).toBe("accept");
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "1 / 20", big, {
    timeout: 5000,
  });
  expect(await page.textContent(`#feed-${session._id}`)).toContain(people[0]?.name as string);

  await postJson(`${b.url}/api/v1/scan`, { qrCode: people[1]?.qrCode, sessionId: String(session._id) });
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "2 / 20", big, {
    timeout: 5000,
  });
  expect(page.url()).toBe(`${a.url}/live/${session._id}`);
});

test("the overview shows the session row and updates it", async () => {
  const page = await browser.newPage();
  await page.goto(`${a.url}/live`);
  const row = `#row-${session._id}`;
  expect(await page.textContent(row)).toContain("2 / 20");
  await socketOpen(a, 2);
  await postJson(`${b.url}/api/v1/scan`, { qrCode: people[2]?.qrCode, sessionId: String(session._id) });
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("3 / 20"), row, {
    timeout: 5000,
  });
});

/** Waits until the instance counts this many open WebSockets (the page has subscribed). */
async function socketOpen(instance: Instance, count: number) {
  const open = await eventually(async () => {
    const metrics = await (await fetch(`${instance.url}/metrics`)).text();
    return Number(/^ws_connections\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0) >= count;
  }, 5000);
  expect(open).toBe(true);
}
