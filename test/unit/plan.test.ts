import { describe, expect, test } from "bun:test";
import { type PlannedSession, planTransition } from "../../src/scheduler/plan";
import type { Timing } from "../../src/settings/settings";

const timing: Timing = {
  autoOpenMinutesBefore: 10,
  autoEndEnabled: true,
  autoEndGraceMinutes: 5,
  lateThresholdMinutes: 10,
  schedulerIntervalMs: 30_000,
  timeZone: "UTC",
  moveOnEntry: false,
  retentionDays: null,
  retentionKeepNames: false,
  eventName: "",
};
const start = new Date("2026-11-22T10:00:00Z");
const end = new Date("2026-11-22T11:00:00Z");
const session = (patch: Partial<PlannedSession> = {}): PlannedSession => ({
  status: "scheduled",
  startTime: start,
  endTime: end,
  autoOpenMinutesBefore: null,
  autoEndGraceMinutes: null,
  ...patch,
});
const at = (iso: string) => new Date(`2026-11-22T${iso}Z`);

describe("planTransition", () => {
  test("opens from start minus the auto-open minutes", () => {
    expect(planTransition(session(), at("09:49:59"), timing)).toBeNull();
    expect(planTransition(session(), at("09:50:00"), timing)).toEqual({ to: "open", reason: "auto_open" });
    expect(planTransition(session({ autoOpenMinutesBefore: 30 }), at("09:30:00"), timing)).toEqual({
      to: "open",
      reason: "auto_open",
    });
  });
  test("ends after end plus grace, also sessions that never opened", () => {
    expect(planTransition(session({ status: "open" }), at("11:04:59"), timing)).toBeNull();
    expect(planTransition(session({ status: "open" }), at("11:05:00"), timing)).toEqual({
      to: "ended",
      reason: "auto_end",
    });
    expect(planTransition(session(), at("11:05:00"), timing)).toEqual({ to: "ended", reason: "auto_end" });
    expect(
      planTransition(session({ status: "open", autoEndGraceMinutes: 0 }), at("11:00:00"), timing),
    ).toEqual({
      to: "ended",
      reason: "auto_end",
    });
  });
  test("auto-end can be switched off", () => {
    expect(
      planTransition(session({ status: "open" }), at("12:00:00"), { ...timing, autoEndEnabled: false }),
    ).toBeNull();
    expect(planTransition(session(), at("12:00:00"), { ...timing, autoEndEnabled: false })).toBeNull();
  });
  test("never touches a manual decision, closed, cancelled or ended sessions", () => {
    expect(planTransition(session({ statusSource: "manual" }), at("10:00:00"), timing)).toBeNull();
    expect(
      planTransition(session({ status: "open", statusSource: "manual" }), at("12:00:00"), timing),
    ).toBeNull();
    for (const status of ["closed", "cancelled", "ended"] as const) {
      expect(planTransition(session({ status }), at("10:00:00"), timing)).toBeNull();
      expect(planTransition(session({ status }), at("12:00:00"), timing)).toBeNull();
    }
  });
});
