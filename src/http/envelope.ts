import { ObjectId } from "mongodb";
import { phrase, say } from "../i18n/locale";
import { localeOf } from "../web/reader";
import { asPhrase, badRequest, type Words } from "./errors";

/**
 * The success envelope existing clients read: `{status, message, data, timestamp, path}`
 * plus route extras; `message` stays English (clients match it), and in another language the
 * request asks for the same words come as `localizedMessage`.
 */
export function ok<T>(
  request: Request,
  data: T,
  words: Words = "Success",
  extra: Record<string, unknown> = {},
) {
  const url = new URL(request.url);
  const locale = localeOf(request);
  const said = asPhrase(words);
  return {
    status: "success" as const,
    message: say("en", said),
    ...(locale === "en" ? {} : { localizedMessage: say(locale, said) }),
    data,
    ...extra,
    timestamp: new Date().toISOString(),
    path: url.pathname + url.search,
  };
}

export function parseId(value: string): ObjectId {
  if (!ObjectId.isValid(value) || !/^[0-9a-fA-F]{24}$/.test(value))
    throw badRequest(phrase("Invalid ID format: {value}", { value }));
  return new ObjectId(value);
}

export interface Page {
  page: number;
  limit: number;
}

export function pageMeta(page: Page, total: number) {
  const totalPages = Math.max(1, Math.ceil(total / page.limit));
  return {
    page: page.page,
    limit: page.limit,
    total,
    totalPages,
    hasNextPage: page.page < totalPages,
    hasPrevPage: page.page > 1,
  };
}

/** User text used as a case-insensitive substring match: every regex metacharacter is escaped. */
export function containsPattern(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
}
