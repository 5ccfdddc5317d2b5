import { type Locale, type Phrase, phrase, say, type Text } from "../i18n/locale";

export interface FieldError {
  field: string;
  message: Phrase;
}

/** Words given as a text of the catalog, or as a phrase when they carry values. */
export type Words = Text | Phrase;
export const asPhrase = (words: Words): Phrase => (typeof words === "string" ? phrase(words) : words);

/**
 * An error meant for the person who sent the request: its status and words are shown as
 * they are, in the reader's language (`message` is the English, for logs).
 */
export class AppError extends Error {
  readonly phrase: Phrase;
  constructor(
    readonly status: number,
    words: Words,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    const said = asPhrase(words);
    super(say("en", said));
    this.phrase = said;
    this.name = "AppError";
  }
}

/** One field's message (the form or API field it is about, and what is wrong with it). */
export const fieldError = (field: string, words: Words): FieldError => ({ field, message: asPhrase(words) });

export const badRequest = (words: Words, errors?: FieldError[]) => new AppError(400, words, errors);
export const notFound = (words: Words) => new AppError(404, words);
export const unavailable = (words: Words, retryAfterSeconds = 2) =>
  new AppError(503, words, undefined, { "Retry-After": String(retryAfterSeconds) });

export interface ErrorEnvelope {
  status: "error";
  statusCode: number;
  message: string;
  errors?: { field: string; message: string }[];
  timestamp: string;
  path: string;
  method: string;
}

/**
 * The error envelope existing clients read. Its `message` and each field's stay English
 * whatever the language: the mobile app matches "Validation failed" and words such as "not
 * open" in them. In another language the same words come as `localizedMessage` beside them.
 */
export function errorEnvelope(
  request: Request,
  status: number,
  words: Words,
  errors?: FieldError[],
  locale: Locale = "en",
): ErrorEnvelope {
  const url = new URL(request.url);
  const said = asPhrase(words);
  const localized = (text: Phrase) => (locale === "en" ? {} : { localizedMessage: say(locale, text) });
  return {
    status: "error",
    statusCode: status,
    message: say("en", said),
    ...localized(said),
    ...(errors && errors.length > 0
      ? {
          errors: errors.map((e) => ({
            field: e.field,
            message: say("en", e.message),
            ...localized(e.message),
          })),
        }
      : {}),
    timestamp: new Date().toISOString(),
    path: url.pathname + url.search,
    method: request.method,
  };
}

/**
 * A 4xx AppError as messages for a form (next to `field`, or to the fields the error
 * names); anything else is not the person's to fix and is rethrown.
 */
export function formErrors(error: unknown, field: string): FieldError[] {
  if (error instanceof AppError && error.status >= 400 && error.status < 500) {
    return error.errors ?? [{ field, message: error.phrase }];
  }
  throw error;
}
