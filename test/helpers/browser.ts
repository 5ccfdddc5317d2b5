import { type Browser, chromium, type Page } from "playwright-core";

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
