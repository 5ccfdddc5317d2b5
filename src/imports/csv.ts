import Papa from "papaparse";
import { controlCharacterField } from "../http/input";
import { type Locale, type Text, translate } from "../i18n/locale";
import { participantFields } from "../participants/fields";
import { isValidQrCode } from "../participants/qr";
import { type RowError, rowError } from "./summary";

// Participant spreadsheets as organisers really send them: UTF-8 with or without a
// BOM or Windows-1252, commas or semicolons, quoted fields, blank lines, stray spaces,
// headers in any case. Every bad row is reported as "row N: reason" (N as the
// spreadsheet shows it, the header being row 1) and the good rows still go in.

export interface ParticipantRow {
  row: number;
  name: string;
  email: string;
  organization?: string;
  phone?: string;
  qrCode?: string;
}

export interface ParsedCsv {
  rows: ParticipantRow[];
  errors: RowError[];
  encoding: "utf-8" | "windows-1252";
}

export const TEMPLATE =
  "name,email,organization,phone,qrCode\nAda Lovelace,ada@example.org,Analytical Engines,+44 20 0000 0000,\n";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Cells a spreadsheet would run as a formula (=, +, -, @, a tab or a return first) are
 * written with a quote before them. So that reading a file back gives exactly what was
 * written, a cell that already starts with quotes before such a character gets one more:
 * the guard adds one quote to any run of quotes before a formula character, and reading
 * removes one. "+33 6 12" → "'+33 6 12" → "+33 6 12"; "'=x" → "''=x" → "'=x".
 */
const GUARDED = /^'*[=+\-@\t\r]/;
export const guardCell = (text: string): string => (GUARDED.test(text) ? `'${text}` : text);
export const unguardCell = (text: string): string => (/^'+[=+\-@\t\r]/.test(text) ? text.slice(1) : text);

export function decode(bytes: Uint8Array): { text: string; encoding: ParsedCsv["encoding"] } {
  try {
    return {
      text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes),
      encoding: "utf-8",
    };
  } catch {
    return { text: new TextDecoder("windows-1252").decode(bytes), encoding: "windows-1252" };
  }
}

/** One data row: the participant, or why it is refused. */
function checkRow(
  record: Record<string, string>,
  row: number,
  seen: Map<string, number>,
): ParticipantRow | RowError {
  const name = (record.name ?? "").trim();
  const email = (record.email ?? "").trim().toLowerCase();
  // undefined when the file has no such column: a re-import never blanks what it does not carry.
  const organization = record.organization?.trim();
  const phone = record.phone?.trim();
  const qrCode = (record.qrcode ?? "").trim();
  const cell = controlCharacterField(record);
  if (cell)
    return rowError(row, "the {column} column holds a control character (such as NUL)", { column: cell });
  if (!name) return rowError(row, "name is missing");
  // The API's own limits, from its schema: a file cannot store what a form would refuse.
  for (const [column, value] of [
    ["name", name],
    ["organization", organization],
    ["phone", phone],
  ] as const) {
    const max = participantFields[column].maxLength ?? Number.POSITIVE_INFINITY;
    if (value !== undefined && value.length > max)
      return rowError(row, "{column} is longer than {max} characters", { column, max: String(max) });
  }
  if (!email) return rowError(row, "email is missing");
  if (!EMAIL.test(email) || email.length > 254)
    return rowError(row, 'email "{email}" is not valid', { email });
  if (qrCode && !isValidQrCode(qrCode))
    return rowError(row, 'qrCode "{code}" is not a badge code (QR-…)', { code: qrCode });
  const earlier = seen.get(email);
  if (earlier !== undefined)
    return rowError(row, "email {email} already appears on row {earlier}", {
      email,
      earlier: String(earlier),
    });
  seen.set(email, row);
  return {
    row,
    name,
    email,
    ...(organization !== undefined ? { organization } : {}),
    ...(phone !== undefined ? { phone } : {}),
    ...(qrCode ? { qrCode } : {}),
  };
}

export interface CsvRecords {
  /** Data rows with the row number a spreadsheet shows (the header is row 1). */
  records: { row: number; record: Record<string, string> }[];
  fields: string[];
  errors: RowError[];
  encoding: ParsedCsv["encoding"];
}

/** Decodes and splits a CSV; headers are matched in any case and spacing ("QR code" is qrcode). */
export function readCsv(bytes: Uint8Array): CsvRecords {
  const { text, encoding } = decode(bytes);
  const parsed = Papa.parse<Record<string, string>>(text, {
    header: true,
    // Blank lines are kept as (empty) rows so the row numbers match the spreadsheet's.
    skipEmptyLines: false,
    delimitersToGuess: [",", ";", "\t"],
    transformHeader: (header) =>
      header
        .trim()
        .toLowerCase()
        .replace(/[^a-z]/g, ""),
    // What toCsv guarded is read back as it was.
    transform: (value) => unguardCell(value.trim()),
  });
  const blank = (record: Record<string, string> | undefined) =>
    !record || Object.values(record).every((value) => (value ?? "").trim() === "");
  const issues = parsed.errors.filter((issue) => issue.row !== undefined && !blank(parsed.data[issue.row]));
  const broken = new Set(issues.map((issue) => issue.row));
  return {
    records: parsed.data.flatMap((record, index) =>
      broken.has(index) || blank(record) ? [] : [{ row: index + 2, record }],
    ),
    fields: parsed.meta.fields ?? [],
    errors: issues.map((issue) =>
      rowError((issue.row ?? 0) + 2, "the CSV cannot be read here: {problem}", { problem: issue.message }),
    ),
    encoding,
  };
}

/** The first required column the header lacks, as the report's row 1 error. */
export function missingColumn(fields: string[], required: string[][], expected: string): RowError | null {
  const missing = required.find((names) => !names.some((name) => fields.includes(name)));
  if (!missing) return null;
  const [first = "", second] = missing;
  return second
    ? rowError(1, 'the header has no "{a}" or "{b}" column (expected {expected})', {
        a: first,
        b: second,
        expected,
      })
    : rowError(1, 'the header has no "{a}" column (expected {expected})', { a: first, expected });
}

export function parseParticipants(bytes: Uint8Array): ParsedCsv {
  const csv = readCsv(bytes);
  const missing = missingColumn(csv.fields, [["name"], ["email"]], "name,email,organization,phone");
  if (missing) return { rows: [], errors: [missing], encoding: csv.encoding };
  const rows: ParticipantRow[] = [];
  const errors = [...csv.errors];
  const seen = new Map<string, number>();
  for (const { row, record } of csv.records) {
    const checked = checkRow(record, row, seen);
    if ("problem" in checked) errors.push(checked);
    else rows.push(checked);
  }
  return { rows, errors, encoding: csv.encoding };
}

/**
 * CSV out; a cell a spreadsheet would run as a formula is guarded (guardCell). With a
 * language, the header row is written in it (English keeps the field names scripts read).
 */
export function toCsv(rows: Record<string, unknown>[], columns: readonly string[], locale?: Locale): string {
  const safe = (value: unknown) => {
    const text =
      value instanceof Date
        ? value.toISOString()
        : value === null || value === undefined
          ? ""
          : String(value);
    return guardCell(text);
  };
  return Papa.unparse({
    fields: locale ? columns.map((column) => translate(locale, column as Text)) : [...columns],
    data: rows.map((row) => columns.map((column) => safe(row[column]))),
  });
}
