import { badRequest, fieldError, type Words } from "../http/errors";
import { type Locale, type Params, type Phrase, phrase, say, type Text, translate } from "../i18n/locale";

/** A refused row: its number as a spreadsheet shows it (the header is row 1), and why. */
export interface RowError {
  row: number;
  problem: Phrase;
}

export const rowError = (row: number, text: Text, params?: Params): RowError => ({
  row,
  problem: phrase(text, params),
});

/** "row N: why", in `locale`. */
export const sayRow = (locale: Locale, error: RowError): string =>
  // A row number is a label, not a count: never "row 1,009".
  translate(locale, "row {row}: {problem}", { row: String(error.row), problem: say(locale, error.problem) });

/** A report as the JSON API sends it: its row errors as sentences in the caller's language. */
export const reportJson = (locale: Locale, report: ImportSummary) => ({
  ...report,
  errors: report.errors.map((error) => sayRow(locale, error)),
});
/** What an import reports back, row by row: for the page and the API alike. */
export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  /** The first refused rows (at most MAX_LISTED_ROW_ERRORS); `failed` counts them all. */
  errors: RowError[];
  /** Refused rows not listed in `errors`. */
  errorsNotListed?: number;
  encoding: string;
  rows: number;
}

/** The envelope's message for an import: whether every row went in. */
export const importedWords = (report: { failed: number }): Words =>
  report.failed > 0 ? phrase("Imported with {n} {n|row|rows} refused", { n: report.failed }) : "Imported";

/**
 * A file refused as a whole (empty, or its header lacks a column the import needs) is a 400 in
 * words through the JSON API, not a 200 with one row refused: nothing was imported.
 */
export function refuseUnreadableFile(report: ImportSummary): void {
  // Row 1 is the header: an error there refused every row.
  const header = report.errors.find((error) => error.row === 1);
  if (header) throw badRequest("The CSV file cannot be imported", [fieldError("file", header.problem)]);
}
