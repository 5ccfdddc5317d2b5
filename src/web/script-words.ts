import type { Text } from "../i18n/locale";

/**
 * What public/app.js writes itself (the upload's progress), on every page. A test checks
 * that every `say("…")` in the script is listed here.
 */
export const APP_WORDS = [
  "Uploading… {percent}%",
  "Importing…",
  "Importing… {done} of {total} rows written",
  "Done",
  "Refused (HTTP {status})",
  "The upload failed: the server could not be reached",
  "The upload was cancelled",
  "The upload took too long; try again or split the file",
] as const satisfies readonly Text[];
