import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { launchChromium, signIn } from "../helpers/browser";
import { createUser, seededInProcess, sessionDoc } from "../helpers/fixtures";
import type { Served as Instance } from "../helpers/instance";

// An organiser's morning in Chromium: sign in, import the attendee list, scan one of
// them at the door, read the report.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
let browser: Browser;
let admin: { email: string; password: string };
const session = sessionDoc({ name: "Organiser room", location: "Hall 9", capacity: 50 });

beforeAll(async () => {
  cluster = await seededInProcess("organiser", 1, { sessions: [session] });
  [a] = cluster.instances as [Instance];
  admin = await createUser(cluster.db, "admin");
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await cluster.stop();
});

test("sign in → import → scan → report", async () => {
  const page = await browser.newPage();
  await signIn(page, a.url, admin, "/admin/import");
  const csv =
    'name;email;organization;qrCode\nLin Import;lin@example.org;"Org; One";QR-IMPORTED1\n;broken@example.org;;\n';
  await page.setInputFiles('input[name="file"]', {
    name: "people.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv),
  });
  // Every state the upload shows, in order.
  await page.evaluate(() => {
    const state = document.querySelector(".upload-state") as HTMLElement;
    const seen: string[] = [];
    (window as unknown as { uploadStates: string[] }).uploadStates = seen;
    new MutationObserver(() => seen.push(state.textContent ?? "")).observe(state, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  await page.click('button:has-text("Import")');
  const report = page.locator("#import-result");
  await report.locator(".headline").waitFor();
  expect(await report.textContent()).toContain("1 created");
  expect(await report.textContent()).toContain("row 3: name is missing");
  // Sent by the progress-reporting upload (htmx's fetch would not set this state).
  expect(await page.textContent(".upload-state")).toBe("Done");
  expect(await page.isHidden(".upload-progress")).toBe(true);
  expect(await report.innerHTML()).not.toContain("<!--progress");
  const states = await page.evaluate(() => (window as unknown as { uploadStates: string[] }).uploadStates);
  expect(states.some((text) => /^Importing… \d+ of 1 rows written$/.test(text))).toBe(true);
  expect(states.at(-1)).toBe("Done");

  await page.goto(`${a.url}/scan/${session._id}`);
  await page.fill("#code", "QR-IMPORTED1");
  await page.press("#code", "Enter");
  await page.locator('#verdict .verdict[data-outcome="decide"]').waitFor();
  await page.click("button.accept");
  await page.locator('#verdict .verdict[data-outcome="accept"]').waitFor();
  expect(await page.textContent("#verdict")).toContain("Lin Import");

  await page.goto(`${a.url}/reports?room=Hall%209`);
  const row = await page.locator("table.overview tbody tr").first().textContent();
  expect(row).toContain("Organiser room");
  const totals = await page.textContent(".totals");
  expect(totals?.replace(/\s+/g, " ")).toContain("Walk-ins1");
  // One bar (the chart is drawn for phone and wide screen; one of them shows).
  expect(await page.locator("figure.chart svg:visible rect").count()).toBe(1);
});
