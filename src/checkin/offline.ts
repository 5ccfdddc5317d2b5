import { badRequest } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { Reason } from "./decide";
import type { OfflineScan } from "./scan";

// The bounds on a scan a door queued while offline. Its time decides "late" and is
// stored as the check-in time, so a device clock far off must not rewrite the record:
// a scan from the future beyond the skew allowed, or older than a working day, is
// refused in words the door shows in its sync report (it is never dropped silently).

/** Clocks of phones and laptops drift; more than this ahead is a wrong clock. */
export const CLOCK_SKEW_MS = 2 * 60_000;
/** A queue older than this is yesterday's: its scans need a person's look, not a replay. */
export const OFFLINE_MAX_AGE_MS = 24 * 3600_000;

export function offlineScan(
  body: { scannedAt?: string; provisional?: string },
  now = Date.now(),
): OfflineScan | undefined {
  if (body.scannedAt === undefined) return undefined;
  const scannedAt = new Date(body.scannedAt);
  const ahead = scannedAt.getTime() - now;
  if (ahead > CLOCK_SKEW_MS)
    throw badRequest(
      phrase(
        "This scan is dated {minutes} min in the future: the door's clock is wrong. Set the device's date and time, then sync again.",
        { minutes: Math.round(ahead / 60_000) },
      ),
    );
  if (now - scannedAt.getTime() > OFFLINE_MAX_AGE_MS)
    throw badRequest(
      "This scan was queued more than 24 hours ago and is not replayed; check the person in by hand if they attended.",
    );
  return { scannedAt, provisional: (body.provisional ?? "unknown") as Reason | "unknown" };
}
