import { badRequest } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { SessionDoc } from "../sessions/repo";
import { wallClock } from "../time/zone";
import type { Reason } from "./decide";

// The bounds on a scan a door queued while offline. Its time decides "late" and is
// stored as the check-in time, so a device clock far off must not rewrite the record:
// a scan from the future beyond the skew allowed, or older than a working day, is
// refused in words the door shows in its sync report (it is never dropped silently).

/** What only a door offline says: it could not tell, or its share of the seats was used up (offline-decision.ts). */
export const OFFLINE_REASONS = ["unknown", "offline_share_used_up"] as const;

export interface OfflineScan {
  /** When the door scanned it (checked against the bounds before it gets here). */
  scannedAt: Date;
  /** What the door decided on its own: a reason, or one only a door offline gives. */
  provisional: Reason | (typeof OFFLINE_REASONS)[number];
}

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
  return { scannedAt, provisional: (body.provisional ?? "unknown") as OfflineScan["provisional"] };
}

/** The defaults a session without its own opening margin and grace uses (settings). */
export interface WindowDefaults {
  autoOpenMinutesBefore: number;
  autoEndGraceMinutes: number;
}

/**
 * When a door may have scanned someone for this session: from its start less its opening
 * margin to its end plus its grace. Not from when the session was written down: sessions
 * are often created or imported late.
 */
export function scanWindow(
  session: Pick<SessionDoc, "startTime" | "endTime" | "autoOpenMinutesBefore" | "autoEndGraceMinutes">,
  defaults: WindowDefaults,
): { from: Date; to: Date } {
  const before = session.autoOpenMinutesBefore ?? defaults.autoOpenMinutesBefore;
  const grace = session.autoEndGraceMinutes ?? defaults.autoEndGraceMinutes;
  return {
    from: new Date(session.startTime.getTime() - before * 60_000),
    to: new Date(session.endTime.getTime() + grace * 60_000),
  };
}

/** A time on the event's clock, to the minute. */
const shown = (date: Date) => wallClock(date).slice(0, 16).replace("T", " ");

/** A queued scan dated outside its session's window is refused in words, never stored at that time. */
export function assertInWindow(
  scannedAt: Date,
  session: Parameters<typeof scanWindow>[0],
  defaults: WindowDefaults,
): void {
  const { from, to } = scanWindow(session, defaults);
  if (scannedAt >= from && scannedAt <= to) return;
  throw badRequest(
    phrase(
      "This scan is dated {at}, outside the session's door hours ({from} to {to}): it was not recorded. Check the device's clock, or check the person in by hand.",
      { at: shown(scannedAt), from: shown(from), to: shown(to) },
    ),
  );
}
