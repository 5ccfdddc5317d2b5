import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, signIn } from "../helpers/browser";
import {
  createUser,
  participantDoc,
  registrationDoc,
  seededInProcess,
  sessionDoc,
} from "../helpers/fixtures";
import type { Served as Instance } from "../helpers/instance";

// Every page as staff use it standing up: a 360-pixel phone, no horizontal scroll, and no
// serious or critical accessibility violation found by axe-core (WCAG 2.2 AA rules).

const AXE = join(import.meta.dir, "../../node_modules/axe-core/axe.min.js");
let instance: Instance;
let browser: Browser;
let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let admin: { email: string; password: string };
const session = sessionDoc({ name: "Phone room", capacity: 20, walkIns: true });
const person = participantDoc(1, { name: "Zoë Phone", organization: "Small Screens" });

beforeAll(async () => {
  cluster = await seededInProcess("pages", 1, {
    sessions: [session],
    participants: [person],
    registrations: [registrationDoc(person._id, session._id)],
  });
  [instance] = cluster.instances as [Instance];
  admin = await createUser(cluster.db, "admin");
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await cluster.stop();
});

const PAGES = () => [
  "/scan",
  `/scan/${session._id}`,
  "/live",
  `/live/${session._id}`,
  "/reports",
  "/admin/sessions",
  "/admin/participants",
  `/admin/participants/${person._id}/checkins`,
  "/admin/registrations",
  "/admin/import",
  "/settings",
  "/admin/accounts",
  "/admin/tokens",
  "/admin/log",
  "/admin/handovers",
  "/admin/webhooks",
  `/certificates/${person._id}`,
  `/admin/participants/${person._id}/attendance`,
  "/verify/ABCD-EFGH-JKLM-NPQR-STUV-WXYZ",
];

interface Problem {
  page: string;
  problem: string;
}

async function inspect(page: Page, path: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > 360) {
    // Name the outermost elements that stick out, so the message says what to fix.
    const culprits = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > 361 && !el.parentElement?.closest("table, svg"))
        .filter((el) => !(el.parentElement && el.parentElement.getBoundingClientRect().right > 361))
        .slice(0, 4)
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
    );
    problems.push({ page: path, problem: `scrolls sideways: ${width} px wide (${culprits.join(", ")})` });
  }
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected into the page
    const result = await (window as any).axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
    });
    return result.violations
      .filter((v: { impact: string }) => v.impact === "serious" || v.impact === "critical")
      .map(
        (v: { id: string; help: string; nodes: { target: string[] }[] }) =>
          `${v.id}: ${v.help} (${v.nodes
            .slice(0, 3)
            .map((n) => n.target.join(" "))
            .join(", ")})`,
      );
  });
  for (const v of violations) problems.push({ page: path, problem: v });
  return problems;
}

// French words run longer than English ones: both languages must fit the phone.
for (const locale of ["en-GB", "fr-FR"]) {
  test(`every page at 360 px in ${locale}: no sideways scroll, no serious accessibility violation`, async () => {
    // axe is injected as a script of the test, which the pages' CSP would rightly refuse.
    const context = await browser.newContext({
      viewport: { width: 360, height: 740 },
      bypassCSP: true,
      locale,
    });
    const page = await context.newPage();
    const signedOut = await context.newPage();
    await signedOut.goto(`${instance.url}/login`);
    expect(await signedOut.getAttribute("html", "lang")).toBe(locale.slice(0, 2));
    const problems = await inspect(signedOut, "/login");
    // The sign-in page offers only what a signed-out person can use.
    expect(await signedOut.locator(".logout").count()).toBe(0);
    expect(await signedOut.locator(".menu").count()).toBe(0);
    await signIn(page, instance.url, admin, "/scan");
    for (const path of PAGES()) {
      await page.goto(`${instance.url}${path}`);
      await page.waitForLoadState("networkidle").catch(() => undefined);
      problems.push(...(await inspect(page, `${locale} ${path}`)));
    }
    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);
}

test("on a laptop an admin table spans the page and a person's row stays a line or two, actions side by side", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, instance.url, admin, "/admin/participants");
  const row = page.locator(`#participants tr, table.overview tbody tr`).filter({ hasText: "Zoë Phone" });
  const box = await row.boundingBox();
  // Six actions stacked in a cell that left its row's grid made a row about 230 px tall.
  expect(box?.height ?? 999).toBeLessThan(110);
  const actions = row.locator(".row-actions");
  expect(await actions.evaluate((el) => getComputedStyle(el.parentElement as Element).display)).toBe(
    "table-cell",
  );
  const code = await row.locator("code").boundingBox();
  expect(code?.height ?? 999).toBeLessThan(30);
  // The table is laid out across the page, not shrunk to its columns.
  for (const path of ["/admin/participants", "/admin/log", "/live"]) {
    await page.goto(`${instance.url}${path}`);
    const widths = await page.evaluate(() => {
      const table = document.querySelector("table.overview") as HTMLElement;
      const firstRow = table.querySelector("tr") as HTMLElement;
      return { table: table.getBoundingClientRect().width, row: firstRow.getBoundingClientRect().width };
    });
    expect(`${path} ${Math.round(widths.row)}`).toBe(`${path} ${Math.round(widths.table)}`);
    expect(widths.table).toBeGreaterThan(900);
  }
  await context.close();
});

test("the door's verdicts at 360 px: each announced, readable, and not told by colour alone", async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true });
  const page = await context.newPage();
  await signIn(page, instance.url, admin, `/scan/${session._id}`);
  expect(await page.getAttribute("#verdict", "aria-live")).toBe("assertive");
  const problems: Problem[] = [];
  for (const [code, outcome] of [
    [person.qrCode, "accept"],
    [person.qrCode, "already"],
    ["QR-NOBODY-360", "refuse"],
  ] as const) {
    await page.waitForTimeout(3100);
    await page.fill("#code", code);
    await page.press("#code", "Enter");
    await page.locator(`#verdict .verdict[data-outcome="${outcome}"]`).waitFor();
    // An icon and words, not only a colour.
    expect((await page.textContent("#verdict .headline"))?.trim().length).toBeGreaterThan(2);
    problems.push(...(await inspect(page, `/scan (${outcome})`)));
  }
  expect(problems).toEqual([]);
  await context.close();
}, 120_000);
