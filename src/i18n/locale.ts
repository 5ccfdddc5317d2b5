// The two languages pages, messages and exports are written in. English is the source:
// a text's English words are its key, and the French catalog must hold every key (a
// missing one fails the type check and the catalog test, never shows up as a raw key).

import { FR } from "./fr";

export const LOCALES = ["en", "fr"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "en";
/** What the language switch offers, each in its own language. */
export const LOCALE_NAMES: Record<Locale, string> = { en: "English", fr: "Français" };

export type Text = keyof typeof FR;
export type Params = Record<string, string | number>;

/** Words to say later, in the reader's language: what errors and field messages carry. */
export interface Phrase {
  text: Text;
  params?: Params;
}

export const phrase = (text: Text, params?: Params): Phrase => (params ? { text, params } : { text });

export const isLocale = (value: unknown): value is Locale => LOCALES.includes(value as Locale);

const numbers: Record<Locale, Intl.NumberFormat> = {
  en: new Intl.NumberFormat("en"),
  fr: new Intl.NumberFormat("fr"),
};

/** A count as the language writes it ("1,234" / "1 234"). */
export const formatNumber = (locale: Locale, value: number): string => numbers[locale].format(value);

/**
 * `text` in `locale`, with `{name}` placeholders filled (numbers written the language's
 * way). `{n|one|many}` picks a word by the count `n`.
 */
export function translate(locale: Locale, text: Text, params?: Params): string {
  // The type check refuses a text the catalog lacks; a value cast past it still reads in English.
  const pattern: string = (locale === "fr" ? FR[text] : undefined) ?? text;
  if (!params) return pattern;
  return pattern.replace(
    /\{(\w+)(?:\|([^|}]*)\|([^}]*))?\}/g,
    (whole, name: string, one?: string, many?: string) => {
      const value = params[name];
      if (value === undefined) return whole;
      if (one !== undefined) return plural(locale, Number(value)) === "one" ? one : (many ?? "");
      return typeof value === "number" ? formatNumber(locale, value) : value;
    },
  );
}

const plurals: Record<Locale, Intl.PluralRules> = {
  en: new Intl.PluralRules("en"),
  fr: new Intl.PluralRules("fr"),
};
const plural = (locale: Locale, n: number) => plurals[locale].select(n);

/** A phrase in `locale`. */
export const say = (locale: Locale, p: Phrase): string => translate(locale, p.text, p.params);

/** The reader's language from an `Accept-Language` header: the first of ours it names. */
export function fromAcceptLanguage(header: string | null | undefined): Locale | null {
  if (!header) return null;
  const ranked = header
    .split(",")
    .map((part, i) => {
      const [tag = "", ...rest] = part.trim().split(";");
      const q = rest.map((r) => /^\s*q=([\d.]+)/.exec(r)?.[1]).find(Boolean);
      return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((x) => x.tag && x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of ranked) {
    const base = tag.split("-")[0];
    if (isLocale(base)) return base;
  }
  return null;
}

/** Which language to answer in: the switch's choice on this device, the account's, the browser's. */
export function chooseLocale(choices: {
  chosen?: string | undefined;
  account?: string | undefined;
  acceptLanguage?: string | null;
}): Locale {
  if (isLocale(choices.chosen)) return choices.chosen;
  if (isLocale(choices.account)) return choices.account;
  return fromAcceptLanguage(choices.acceptLanguage) ?? DEFAULT_LOCALE;
}
