import type { SessionStatus } from "../sessions/statuses";
import type { Timing } from "../settings/settings";

export interface PlannedSession {
  status: SessionStatus;
  startTime: Date;
  endTime: Date;
  statusSource?: "manual" | "scheduler";
  autoOpenMinutesBefore: number | null;
  autoEndGraceMinutes: number | null;
}

export interface Transition {
  to: "open" | "ended";
  reason: "auto_open" | "auto_end";
}

/**
 * What the scheduler does to one session now, or null. A session opened or closed by
 * hand is left alone: the scheduler never undoes a person's decision.
 */
export function planTransition(session: PlannedSession, now: Date, timing: Timing): Transition | null {
  if (session.statusSource === "manual") return null;
  const openFrom =
    session.startTime.getTime() - (session.autoOpenMinutesBefore ?? timing.autoOpenMinutesBefore) * 60_000;
  const endAt =
    session.endTime.getTime() + (session.autoEndGraceMinutes ?? timing.autoEndGraceMinutes) * 60_000;
  const t = now.getTime();
  const over = timing.autoEndEnabled && t >= endAt;
  // A session that never opened ends as ended too; with no check-ins it counts no attendance.
  if ((session.status === "open" || session.status === "scheduled") && over)
    return { to: "ended", reason: "auto_end" };
  if (session.status === "scheduled" && t >= openFrom && t < endAt)
    return { to: "open", reason: "auto_open" };
  return null;
}
