import type { Text } from "../i18n/locale";
import type { SessionStatus } from "./statuses";

/** A manual open/close: open, or closed if the session is over, else back to scheduled. */
export function statusForIsOpen(isOpen: boolean, endTime: Date, now: Date): SessionStatus {
  if (isOpen) return "open";
  return now.getTime() > endTime.getTime() ? "closed" : "scheduled";
}

export function validTimes(startTime: Date, endTime: Date): Text | null {
  if (Number.isNaN(startTime.getTime()) || Number.isNaN(endTime.getTime()))
    return "startTime and endTime must be ISO dates";
  if (endTime.getTime() <= startTime.getTime()) return "endTime must be after startTime";
  return null;
}
