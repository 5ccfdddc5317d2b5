import Html from "@kitajs/html";
import { ADMIN_LOG } from "../src/audit/paths";
import { AUTH_PAGES } from "../src/auth/paths";
import { IMPORT_PAGE } from "../src/imports/paths";
import { LIVE } from "../src/live/paths";
import { PARTICIPANT_PAGES } from "../src/participants/paths";
import { REGISTRATION_PAGES } from "../src/registrations/paths";
import { REPORTS } from "../src/reports/paths";
import { DOOR } from "../src/scanner/paths";
import { SESSION_PAGES } from "../src/sessions/paths";
import { SETTINGS_PAGE } from "../src/settings/paths";

const NAV = [
  [DOOR.picker(), "Scan"],
  [LIVE.overview(), "Live"],
  [REPORTS.page(), "Reports"],
  [SESSION_PAGES.list(), "Sessions"],
  [PARTICIPANT_PAGES.list(), "People"],
  [REGISTRATION_PAGES.list(), "Registrations"],
  [IMPORT_PAGE(), "Import"],
  [SETTINGS_PAGE(), "Settings"],
  [AUTH_PAGES.accounts(), "Staff"],
  [AUTH_PAGES.tokens(), "Tokens"],
  [ADMIN_LOG.page(), "Log"],
] as const;

export function Layout(props: {
  title: string;
  children?: JSX.Element | JSX.Element[];
  scripts?: string[];
  /** The door page is an installable web app. */
  manifest?: boolean;
  /** The sign-in page: nothing a signed-out person cannot use. */
  signedOut?: boolean;
}) {
  return (
    <>
      {"<!doctype html>"}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
          <title safe>{props.title}</title>
          <link rel="icon" href="/assets/icon.svg" type="image/svg+xml" />
          {props.manifest ? <link rel="manifest" href="/manifest.webmanifest" /> : ""}
          {props.manifest ? <meta name="theme-color" content="#1b5e20" /> : ""}
          <link rel="stylesheet" href="/assets/app.css" />
          {/* Not deferred: htmx must have its extensions before it processes the page. */}
          <script src="/assets/htmx.min.js"></script>
          <script src="/assets/app.js"></script>
          {(props.scripts ?? []).map((src) => (
            <script src={src}></script>
          ))}
        </head>
        <body>
          <header class="topbar">
            <a href="/" class="brand">
              Check-in
            </a>
            {props.signedOut ? (
              ""
            ) : (
              <>
                <nav class="quick" aria-label="Door and dashboards">
                  <a class="navlink" href={DOOR.picker()}>
                    Scan
                  </a>
                  <a class="navlink" href={LIVE.overview()}>
                    Live
                  </a>
                </nav>
                {/* Works without script: a disclosure that holds the rest, sized for thumbs. */}
                <details class="menu">
                  <summary>Menu</summary>
                  <nav aria-label="All pages">
                    {NAV.map(([href, label]) => (
                      <a class="navlink" href={href}>
                        {label}
                      </a>
                    ))}
                    <form method="post" action={AUTH_PAGES.logout()} class="logout">
                      <button type="submit" class="secondary">
                        Sign out
                      </button>
                    </form>
                  </nav>
                </details>
              </>
            )}
          </header>
          <main>{props.children as "safe"}</main>
        </body>
      </html>
    </>
  );
}

export { Html };
