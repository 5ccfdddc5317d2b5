import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium, headless, with the flags this sandbox needs (no background networking). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
}

/** Signs in through the login page and lands on `path`. */
export async function signIn(
  page: Page,
  baseUrl: string,
  account: { email: string; password: string },
  path: string,
) {
  await page.goto(`${baseUrl}${path}`);
  await page.waitForURL(/\/login/);
  await page.fill('input[name="email"]', account.email);
  await page.fill('input[name="password"]', account.password);
  await Promise.all([page.waitForURL(`${baseUrl}${path}`), page.click('form.login button[type="submit"]')]);
}

/** A door device at 390 px, signed in, its page held by the service worker and its list loaded: ready to lose the network. */
export async function openReadyDoor(
  browser: Browser,
  baseUrl: string,
  account: { email: string; password: string },
  sessionId: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page, baseUrl, account, `/scan/${sessionId}`);
  await page.waitForSelector(".scanner[data-offline-ready=true]", { timeout: 20_000 });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  return { context, page };
}

/** Waits until the door has nothing left in its queue. */
export const queueDrained = (page: Page, timeout = 20_000) =>
  page.waitForFunction(
    () => document.querySelector("#door-status")?.getAttribute("data-waiting") === "0",
    null,
    {
      timeout,
    },
  );
