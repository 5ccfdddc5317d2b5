// Who a page is rendered for: the language it is written in and the role that decides
// which links it offers. Held per render in async-local storage, never in a module
// variable: a view that awaits cannot hand its reader to another request's page.

import { AsyncLocalStorage } from "node:async_hooks";
import Html from "@kitajs/html";
import { readCookie } from "../auth/cookies";
import { principalOf } from "../auth/plugin";
import { allows, type Role, requirement } from "../auth/policy";
import {
  chooseLocale,
  DEFAULT_LOCALE,
  type Locale,
  type Params,
  type Phrase,
  say,
  type Text,
  translate,
} from "../i18n/locale";

export interface Reader {
  locale: Locale;
  role: Role | null;
}

/** The cookie the language switch sets on this device. */
export const LANGUAGE_COOKIE = "checkin_lang";

const NOBODY: Reader = { locale: DEFAULT_LOCALE, role: null };
const readers = new AsyncLocalStorage<Reader>();

/** The language a request is answered in: this device's switch, the account's choice, the browser's. */
export function localeOf(request: Request): Locale {
  return chooseLocale({
    chosen: readCookie(request, LANGUAGE_COOKIE),
    account: principalOf(request)?.language,
    acceptLanguage: request.headers.get("accept-language"),
  });
}

export const readerOf = (request: Request): Reader => ({
  locale: localeOf(request),
  role: principalOf(request)?.role ?? null,
});

/** Runs `render` (and whatever it awaits) with `reader` as the page's reader. */
export function renderFor<T>(reader: Reader, render: () => T): T {
  return readers.run(reader, render);
}

export const reader = (): Reader => readers.getStore() ?? NOBODY;

/** Whether the reader's role opens the page at `href`: pages offer only links that lead somewhere. */
export const mayOpen = (href: string): boolean => allows(reader().role, requirement("GET", href));

/** Words for the page being rendered, escaped for HTML. */
export const t = (text: Text, params?: Params): JSX.Element =>
  Html.escapeHtml(translate(reader().locale, text, params));

/** Words for an attribute (which the renderer escapes itself). */
export const tAttr = (text: Text, params?: Params): string => translate(reader().locale, text, params);

/** A phrase (an error, a field message) in the page's language, not yet escaped. */
export const sayHere = (p: Phrase): string => say(reader().locale, p);
