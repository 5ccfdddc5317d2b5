import { ErrorPanel } from "../../views/components";
import { ImportReport } from "../../views/import";
import { AppError } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { Runtime } from "../runtime";
import { readerOf, renderFor, sayHere } from "../web/reader";
import type { ImportSummary, RowError } from "./summary";

/** The uploaded file's bytes, or a 413 the organiser can act on. */
export async function uploadBytes(file: File, maxBytes: number): Promise<Uint8Array> {
  if (file.size > maxBytes) {
    throw new AppError(
      413,
      phrase(
        "The file is {size} bytes; the limit is {limit} (UPLOAD_MAX_FILE_SIZE). Split it and import the parts.",
        {
          size: file.size,
          limit: maxBytes,
        },
      ),
    );
  }
  return new Uint8Array(await file.arrayBuffer());
}

/** The report of one import: what was written, and every refused row in spreadsheet order. */
/** Refused rows an import report lists one by one; the rest are counted. */
export const MAX_LISTED_ROW_ERRORS = 200;

export function importSummary(
  written: { created: number; updated: number; unchanged: number },
  refused: RowError[],
  encoding: string,
  rows: number,
) {
  const errors = [...refused].sort((x, y) => x.row - y.row);
  // A file of 100,000 bad rows makes a report of its first ones and a count, not a 10 MB answer.
  const listed = errors.slice(0, MAX_LISTED_ROW_ERRORS);
  return {
    ...written,
    failed: errors.length,
    errors: listed,
    ...(errors.length > listed.length ? { errorsNotListed: errors.length - listed.length } : {}),
    encoding,
    rows,
  };
}

/** How far an import is: rows written so far of those to write. */
export type Progress = (done: number, total: number) => void;

/**
 * An import answered while it runs: `<!--progress done/total-->` markers as batches are
 * written (public/app.js turns them into the progress bar and strips them), then the
 * report. Nginx is told not to buffer it, so the markers arrive as they are sent.
 */
export function streamedImport(
  rt: Runtime,
  request: Request,
  work: (progress: Progress) => Promise<ImportSummary>,
): Response {
  const encoder = new TextEncoder();
  const reader = readerOf(request);
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => controller.enqueue(encoder.encode(text));
      try {
        const report = await work((done, total) => send(`<!--progress ${done}/${total}-->\n`));
        send(renderFor(reader, () => ImportReport({ report })) as string);
      } catch (error) {
        send(renderFor(reader, () => importFailed(rt, error)));
      }
      controller.close();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}

/** What an import that broke half-way shows: rows written so far stay, and importing again is safe. */
function importFailed(rt: Runtime, error: unknown): string {
  if (error instanceof AppError) return ErrorPanel({ message: sayHere(error.phrase) }) as string;
  rt.log.error({ err: error }, "import failed");
  return ErrorPanel({
    message: sayHere(
      phrase(
        "The import stopped on an error on our side (it is logged). Rows written so far stay; importing the file again is safe.",
      ),
    ),
  }) as string;
}
