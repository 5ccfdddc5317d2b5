import Papa from "papaparse";
import { isValidQrCode } from "../checkin/qr";

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
  errors: string[];
  encoding: "utf-8" | "windows-1252";
}

export const TEMPLATE =
  "name,email,organization,phone,qrCode\nAda Lovelace,ada@example.org,Analytical Engines,+44 20 0000 0000,\n";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

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

/** One data row: the participant, or "row N: reason". */
function checkRow(
  record: Record<string, string>,
  row: number,
  seen: Map<string, number>,
): ParticipantRow | string {
  const name = (record.name ?? "").trim();
  const email = (record.email ?? "").trim().toLowerCase();
  const organization = (record.organization ?? "").trim();
  const phone = (record.phone ?? "").trim();
  const qrCode = (record.qrcode ?? "").trim();
  if (!name) return `row ${row}: name is missing`;
  if (name.length > 200) return `row ${row}: name is longer than 200 characters`;
  if (!email) return `row ${row}: email is missing`;
  if (!EMAIL.test(email) || email.length > 254) return `row ${row}: email "${email}" is not valid`;
  if (qrCode && !isValidQrCode(qrCode)) return `row ${row}: qrCode "${qrCode}" is not a badge code (QR-…)`;
  const earlier = seen.get(email);
  if (earlier !== undefined) return `row ${row}: email ${email} already appears on row ${earlier}`;
  seen.set(email, row);
  return {
    row,
    name,
    email,
    ...(organization ? { organization } : {}),
    ...(phone ? { phone } : {}),
    ...(qrCode ? { qrCode } : {}),
  };
}

export function parseParticipants(bytes: Uint8Array): ParsedCsv {
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
  });
  const errors: string[] = [];
  const fields = parsed.meta.fields ?? [];
  for (const required of ["name", "email"]) {
    if (!fields.includes(required)) {
      return {
        rows: [],
        errors: [`row 1: the header has no "${required}" column (expected name,email,organization,phone)`],
        encoding,
      };
    }
  }
  const rows: ParticipantRow[] = [];
  const seen = new Map<string, number>();
  const blank = (record: Record<string, string> | undefined) =>
    !record || Object.values(record).every((value) => (value ?? "").trim() === "");
  const issues = parsed.errors.filter((issue) => issue.row !== undefined && !blank(parsed.data[issue.row]));
  for (const issue of issues) errors.push(`row ${(issue.row ?? 0) + 2}: ${issue.message}`);
  const broken = new Set(issues.map((issue) => issue.row));
  for (const [index, record] of parsed.data.entries()) {
    if (broken.has(index) || blank(record)) continue;
    const checked = checkRow(record, index + 2, seen);
    if (typeof checked === "string") errors.push(checked);
    else rows.push(checked);
  }
  return { rows, errors, encoding };
}

/** CSV out; a cell a spreadsheet would run as a formula is prefixed with a quote. */
export function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  const safe = (value: unknown) => {
    const text =
      value instanceof Date
        ? value.toISOString()
        : value === null || value === undefined
          ? ""
          : String(value);
    return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  };
  return Papa.unparse({
    fields: columns,
    data: rows.map((row) => columns.map((column) => safe(row[column]))),
  });
}
