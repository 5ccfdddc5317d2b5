import Html from "@kitajs/html";
import { ADMIN_LOG } from "../src/audit/paths";
import { AUTH_PAGES } from "../src/auth/paths";
import { DOOR, HANDOVERS } from "../src/door/paths";
import { LOCALE_NAMES, LOCALES, type Text } from "../src/i18n/locale";
import { LANGUAGE_SWITCH } from "../src/i18n/paths";
import { IMPORT_PAGE } from "../src/imports/paths";
import { LIVE } from "../src/live/paths";
import { PARTICIPANT_PAGES } from "../src/participants/paths";
import { REGISTRATION_PAGES } from "../src/registrations/paths";
import { REPORTS } from "../src/reports/paths";
import { SESSION_PAGES } from "../src/sessions/paths";
import { SETTINGS_PAGE } from "../src/settings/paths";
import { withQuery } from "../src/web/paths";
import { mayOpen, reader, t, tAttr } from "../src/web/reader";
import { APP_WORDS } from "../src/web/script-words";
import { WEBHOOK_PAGES } from "../src/webhooks/paths";

const QUICK: readonly (readonly [string, Text])[] = [
  [DOOR.picker(), "Scan"],
  [LIVE.overview(), "Live"],
];

const NAV: readonly (readonly [string, Text])[] = [
  ...QUICK,
  [REPORTS.page(), "Reports"],
  [SESSION_PAGES.list(), "Sessions"],
  [PARTICIPANT_PAGES.list(), "People"],
  [REGISTRATION_PAGES.list(), "Registrations"],
  [IMPORT_PAGE(), "Import"],
  [SETTINGS_PAGE(), "Settings"],
  [AUTH_PAGES.accounts(), "Staff"],
  [AUTH_PAGES.tokens(), "Tokens"],
  [ADMIN_LOG.page(), "Log"],
  [HANDOVERS.list(), "Handed-over scans"],
  [WEBHOOK_PAGES.list(), "Webhooks"],
];

/** Only the pages the reader's role may open. */
const offered = (links: readonly (readonly [string, Text])[]) => links.filter(([href]) => mayOpen(href));

/** What the page's scripts write themselves, in its language (a data block: never run, so the CSP allows it). */
function ScriptWords(props: { words: readonly Text[] }) {
  const words = Object.fromEntries([...APP_WORDS, ...props.words].map((text) => [text, tAttr(text)]));
  const json = JSON.stringify(words).replaceAll("<", "\\u003c");
  return (
    <script type="application/json" id="script-words">
      {json as "safe"}
    </script>
  );
}

/** The other language; the switch comes back to the page it was used on. */
function LanguageSwitch() {
  return (
    <nav class="languages" aria-label={tAttr("Language")}>
      {LOCALES.filter((l) => l !== reader().locale).map((l) => (
        <a href={withQuery(LANGUAGE_SWITCH(), { to: l })} lang={l} hreflang={l} safe>
          {LOCALE_NAMES[l]}
        </a>
      ))}
    </nav>
  );
}

export function Layout(props: {
  title: string;
  children?: JSX.Element | JSX.Element[];
  scripts?: string[];
  /** The door page is an installable web app. */
  manifest?: boolean;
  /** The sign-in page: nothing a signed-out person cannot use. */
  signedOut?: boolean;
  /** Words the page's own scripts write (besides the upload's, which every page has). */
  words?: readonly Text[];
}) {
  return (
    <>
      {"<!doctype html>"}
      <html lang={reader().locale}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
          <title safe>{props.title}</title>
          <link rel="icon" href="/assets/icon.svg" type="image/svg+xml" />
          {props.manifest ? <link rel="manifest" href="/manifest.webmanifest" /> : ""}
          {props.manifest ? <meta name="theme-color" content="#1b5e20" /> : ""}
          <link rel="stylesheet" href="/assets/app.css" />
          <ScriptWords words={props.words ?? []} />
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
              {t("Check-in")}
            </a>
            {props.signedOut ? (
              <LanguageSwitch />
            ) : (
              <>
                <nav class="quick" aria-label={tAttr("Door and dashboards")}>
                  {offered(QUICK).map(([href, label]) => (
                    <a class="navlink" href={href}>
                      {t(label)}
                    </a>
                  ))}
                </nav>
                {/* Works without script: a disclosure that holds the rest, sized for thumbs. */}
                <details class="menu">
                  <summary>{t("Menu")}</summary>
                  <nav aria-label={tAttr("All pages")}>
                    {offered(NAV).map(([href, label]) => (
                      <a class="navlink" href={href}>
                        {t(label)}
                      </a>
                    ))}
                    <LanguageSwitch />
                    <form method="post" action={AUTH_PAGES.logout()} class="logout">
                      <button type="submit" class="secondary">
                        {t("Sign out")}
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
