import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { launchChromium, signIn } from "../helpers/browser";
import { eventually } from "../helpers/env";
import {
  createUser,
  participantDoc,
  postJson,
  registrationDoc,
  seededInProcess,
  sessionDoc,
} from "../helpers/fixtures";
import type { Served as Instance } from "../helpers/instance";

// A wall screen on instance A; scans go through the API of instance B; the counter
// moves without a reload, and comes back right after the socket is cut.

let a: Instance;
let b: Instance;
let browser: Browser;
let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let viewer: { email: string; password: string };
const session = sessionDoc({ name: "Wall screen room", capacity: 20 });
const people = Array.from({ length: 3 }, (_, i) => participantDoc(i));

beforeAll(async () => {
  cluster = await seededInProcess("dashboard", 2, {
    sessions: [session],
    participants: people,
    registrations: people.map((p) => registrationDoc(p._id, session._id)),
  });
  [a, b] = cluster.instances as [Instance, Instance];
  viewer = await createUser(cluster.db, "viewer");
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await cluster.stop();
});

const big = `#live-${session._id} .big strong`;

test("the session dashboard counts scans made on another instance, live", async () => {
  const page = await browser.newPage();
  await signIn(page, a.url, viewer, `/live/${session._id}`);
  expect(await page.textContent(big)).toBe("0 / 20");
  await socketOpen(a, 1);

  const scan = await postJson(
    `${b.url}/api/v1/scan`,
    {
      qrCode: people[0]?.qrCode,
      sessionId: String(session._id),
      device: "North door",
    },
    cluster.auth,
  );
  expect(scan.body.data.outcome).toBe("accept");
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "1 / 20", big, {
    timeout: 5000,
  });
  expect(await page.textContent(`#feed-${session._id}`)).toContain(people[0]?.name as string);

  await postJson(
    `${b.url}/api/v1/scan`,
    { qrCode: people[1]?.qrCode, sessionId: String(session._id) },
    cluster.auth,
  );
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "2 / 20", big, {
    timeout: 5000,
  });
  expect(page.url()).toBe(`${a.url}/live/${session._id}`);
});

test("the overview shows the session row and updates it", async () => {
  const page = await browser.newPage();
  await signIn(page, a.url, viewer, "/live");
  const row = `#row-${session._id}`;
  expect(await page.textContent(row)).toContain("2 / 20");
  await socketOpen(a, 2);
  await postJson(
    `${b.url}/api/v1/scan`,
    { qrCode: people[2]?.qrCode, sessionId: String(session._id) },
    cluster.auth,
  );
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
