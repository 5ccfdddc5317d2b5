import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium, signIn } from "../helpers/browser";
import {
  createUser,
  participantDoc,
  postJson,
  registrationDoc,
  seededInProcess,
  sessionDoc,
} from "../helpers/fixtures";
import type { Served as Instance } from "../helpers/instance";

// Dashboards people can read, checked in Chromium at 390 px and on a desktop, in both
// languages: the charts have a time axis on the event's clock, counts and a capacity line,
// with their figures in a table; scans driven at a known pace give a fill forecast, and a door
// that was scanning and stops is flagged.

let instance: Instance;
let browser: Browser;
let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let viewer: { email: string; password: string };
const session = sessionDoc({ name: "Keynote hall", capacity: 100 });
const people = Array.from({ length: 40 }, (_, i) => participantDoc(300 + i));

beforeAll(async () => {
  cluster = await seededInProcess(
    "charts",
    1,
    {
      sessions: [session],
      participants: people,
      registrations: people.map((p) => registrationDoc(p._id, session._id)),
    },
    // A door silent for 4 s after scanning steadily is flagged (minutes in production).
    { QUIET_DOOR_SECONDS: "4" },
  );
  [instance] = cluster.instances as [Instance];
  viewer = await createUser(cluster.db, "viewer");
  browser = await launchChromium();
  // 20 people through Door A and 5 through Door B within a few seconds: a pace of 20 a minute at least.
  for (let i = 0; i < 25; i++) {
    const answer = await postJson(
      `${instance.url}/api/v1/scan`,
      { qrCode: people[i]?.qrCode, sessionId: String(session._id), device: i < 20 ? "Door A" : "Door B" },
      cluster.auth,
    );
    expect(answer.body.data.outcome).toBe("accept");
  }
});

afterAll(async () => {
  await browser?.close();
  await cluster.stop();
});

async function dashboard(width: number, language?: "fr"): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width, height: 900 },
    ...(language ? { locale: "fr-FR", extraHTTPHeaders: { "accept-language": "fr-FR,fr" } } : {}),
  });
  const page = await context.newPage();
  await signIn(page, instance.url, viewer, `/live/${session._id}`);
  return page;
}

const chartTexts = async (page: Page, id: string) => {
  // Laid out (fonts in) before the labels are measured.
  await page.waitForFunction(
    (selector) =>
      [...document.querySelectorAll(selector)].some(
        (n) => (n as SVGElement).getBoundingClientRect().width > 0,
      ),
    `#${id}-${session._id} svg text`,
  );
  return page.$$eval(`#${id}-${session._id} svg text`, (nodes) =>
    nodes.filter((n) => (n as SVGElement).getBoundingClientRect().width > 0).map((n) => n.textContent ?? ""),
  );
};

test("the occupancy and arrivals charts have a time axis, counts, the capacity and their figures", async () => {
  for (const width of [390, 1280]) {
    const page = await dashboard(width);
    const inside = await chartTexts(page, "inside");
    // Time ticks on the event's clock (HH:MM), count ticks, the capacity line's label, the axis name.
    // (Joined, so a failure shows every label the chart had.)
    expect(inside.join(" | ")).toMatch(/(^| )\d\d:\d\d( |$)/);
    expect(inside).toContain("0");
    expect(inside).toContain("Capacity 100");
    expect(inside.some((text) => text.startsWith("Time ("))).toBe(true);
    expect(await page.getAttribute(`#inside-${session._id} svg`, "aria-label")).toBe(
      "People inside over time",
    );
    const arrivals = await chartTexts(page, "arrivals");
    expect(arrivals.join(" | ")).toMatch(/(^| )\d\d:\d\d( |$)/);
    // The figures, for a screen reader or anyone: 25 arrivals in all.
    await page.click(`#arrivals-${session._id} details summary`);
    const cells = await page.$$eval(`#arrivals-${session._id} details td`, (tds) =>
      tds.map((td) => Number(td.textContent)),
    );
    expect(cells.reduce((a, b) => a + b, 0)).toBe(25);
    // Readable at this width: the chart is as wide as the screen allows, the ticks in it.
    // Drawn for the screen it is on: the labels' text stays 10 px or more, and the chart fits.
    const chart = page.locator(`#inside-${session._id} svg:visible`);
    expect(await chart.count()).toBe(1);
    const box = await chart.boundingBox();
    expect(box?.width ?? 0).toBeLessThanOrEqual(width);
    const smallest = await page.$$eval(`#inside-${session._id} svg text`, (nodes) =>
      Math.min(
        ...nodes.map((n) => (n as SVGGraphicsElement).getBoundingClientRect().height).filter((h) => h > 0),
      ),
    );
    expect(smallest).toBeGreaterThanOrEqual(10);
    await page.context().close();
  }
});

test("a fill forecast from the recent pace, and a door gone quiet, on the dashboard and the overview", async () => {
  const page = await dashboard(390);
  // 25 admitted within a minute: a pace of 25 a minute (a minute at least); 75 seats left: 3 min.
  const alerts = page.locator(`#alerts-${session._id}`);
  expect(await alerts.getAttribute("data-forecast-minutes")).toBe("3");
  expect(await alerts.textContent()).toContain("Full in about 3 min at the current pace");
  // Door A scanned 20 times and then stopped: flagged once silent past the threshold (the page
  // is rendered again every 10 s over its socket, or on a reload).
  await Bun.sleep(4500);
  await page.reload();
  await page.waitForSelector(`#alerts-${session._id} .quiet-door[data-door="Door A"]`);
  expect(await page.textContent(`#alerts-${session._id} .quiet-door`)).toContain("Door A");
  // Door B (5 scans) too; a door with fewer scans than that would not be.
  expect(await page.locator(`#alerts-${session._id} .quiet-door`).count()).toBe(2);
  await page.goto(`${instance.url}/live`);
  const row = page.locator(`#row-${session._id}`);
  expect(await row.locator(".quiet-flag").getAttribute("data-quiet-doors")).toBe("2");
  expect(await row.textContent()).toContain("Full in ~3 min");
  await page.context().close();
});

test("in French: the forecast, the quiet door and the axes", async () => {
  const page = await dashboard(1280, "fr");
  expect(await page.textContent(`#alerts-${session._id}`)).toContain("Complet dans environ");
  expect(await page.textContent(`#alerts-${session._id}`)).toContain("« Door A »");
  const inside = await chartTexts(page, "inside");
  expect(inside.some((text) => text.startsWith("Heure ("))).toBe(true);
  expect(inside).toContain("Capacité 100");
  await page.context().close();
});

test("an admin corrects a history from the attendance page in a real browser (the form carries its CSRF token)", async () => {
  const admin = await createUser(cluster.db, "admin");
  const context = await browser.newContext({ viewport: { width: 390, height: 900 } });
  const page = await context.newPage();
  const person = people[0] as (typeof people)[number];
  await signIn(page, instance.url, admin, `/admin/participants/${person._id}/attendance`);
  await page.click(`[data-session="${session._id}"] button:has-text("Void")`);
  await page.waitForSelector(`[data-session="${session._id}"] tr.voided`);
  expect(await page.textContent(`[data-session="${session._id}"]`)).toContain("voided an event");
  // The entry voided: nothing left inside, and the void itself can be voided in turn.
  expect(await page.textContent(`[data-session="${session._id}"] .figures`)).toContain("0 min inside");
  await context.close();
});
