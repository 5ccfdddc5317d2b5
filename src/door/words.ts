import type { Text } from "../i18n/locale";

/**
 * What the door's script (src/door/browser, bundled as public/scanner.js) writes itself: the banner, the offline
 * verdicts, the sync report. The page hands them over in its language; a test checks that
 * every `say("…")` in the script is listed here.
 */
export const DOOR_WORDS = [
  "Already in (as of {time})",
  "Already queued",
  "Already scanned here",
  "Badge not in this device's list (as of {time})",
  "Camera unavailable: {error}",
  "DIFFERS",
  "Exit noted",
  "NOT SAVED",
  "Name this device (for example: Door A, left)",
  "No list of this session on this device yet",
  "Not inside (as of {time})",
  "Not registered (as of {time})",
  "Offline: scans are queued on this device",
  "Online",
  "Queued — offline",
  "Re-entry",
  "Registered (as of {time})",
  "Room looks full (as of {time})",
  "Session is not open",
  "Signed out: sign in again to send the queued scans",
  "Syncing…",
  "The scan could not be stored on this device ({error}). Note the badge.",
  "This device's storage is full: the scan was not queued. Note the badge and admit by hand.",
  "Waiting to sync since {time}",
  "not named",
  "{n} waiting",
  "{time} {who} ({direction}) · door said: {words} · server: {answer}",
  "entry",
  "exit",
  "{n} scans queued by {name} wait on this device",
  "Not handed over: the server did not take them. Try again online.",
  "Handed to an admin: they decide what to do with these scans.",
  "Registration cancelled (as of {time})",
  "Not on this session's list (as of {time})",
  "This door's offline share is used up: admit only once online",
  "offline, this door may admit {n} more",
  "For {session}",
] as const satisfies readonly Text[];
