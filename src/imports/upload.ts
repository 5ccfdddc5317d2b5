import { AppError } from "../http/errors";

/** The uploaded file's bytes, or a 413 the organiser can act on. */
export async function uploadBytes(file: File, maxBytes: number): Promise<Uint8Array> {
  if (file.size > maxBytes) {
    throw new AppError(
      413,
      `The file is ${file.size} bytes; the limit is ${maxBytes} (UPLOAD_MAX_FILE_SIZE). Split it and import the parts.`,
    );
  }
  return new Uint8Array(await file.arrayBuffer());
}

/** "row N: …" messages in spreadsheet order. */
export function byRow(errors: string[]): string[] {
  const rowOf = (message: string) => Number(/\d+/.exec(message)?.[0] ?? 0);
  return [...errors].sort((x, y) => rowOf(x) - rowOf(y));
}

/** The report of one import: what was written, and every refused row in spreadsheet order. */
export function importSummary(
  written: { created: number; updated: number; unchanged: number },
  refused: string[],
  encoding: string,
  rows: number,
) {
  const errors = byRow(refused);
  return { ...written, failed: errors.length, errors, encoding, rows };
}
