import { describe, expect, test } from "bun:test";
import { type DecisionInput, decide, isFull, isLate } from "../../src/door/decide";
import { REASONS } from "../../src/door/reasons";

const START = new Date("2026-11-22T09:00:00Z");
const base: DecisionInput = {
  participant: { isActive: true },
  session: {
    status: "open",
    startTime: START,
    capacity: 10,
    capacityEnforced: true,
    requiresRegistration: false,
    lateThresholdMinutes: null,
  },
  registration: { status: "confirmed" },
  alreadyCheckedIn: false,
  checkedOut: false,
  checkedInCount: 3,
  now: new Date("2026-11-22T09:05:00Z"),
  acceptUnregistered: false,
  defaultLateThresholdMinutes: 10,
};
const run = (patch: Partial<DecisionInput>, session: Partial<DecisionInput["session"]> = {}) =>
  decide({ ...base, ...patch, session: { ...base.session, ...session } });

describe("decide", () => {
  test("a registered participant on an open session with room is accepted on time", () => {
    expect(run({})).toEqual({
      outcome: "accept",
      reason: "ok",
      isLate: false,
      wasRegistered: true,
      badge: "accepted",
    });
  });
  test("unknown code", () => {
    expect(run({ participant: null })).toMatchObject({
      outcome: "refuse",
      reason: "unknown_code",
      badge: null,
    });
  });
  test("inactive participant", () => {
    expect(run({ participant: { isActive: false } })).toMatchObject({
      outcome: "refuse",
      reason: "inactive_participant",
    });
  });
  test.each(["scheduled", "closed", "cancelled"] as const)("session %s is not open", (status) => {
    expect(run({}, { status })).toMatchObject({ outcome: "refuse", reason: "session_not_open" });
  });
  test("ended session", () => {
    expect(run({}, { status: "ended" })).toMatchObject({ outcome: "refuse", reason: "session_ended" });
  });
  test("already checked in wins over capacity and registration", () => {
    expect(run({ alreadyCheckedIn: true, registration: null, checkedInCount: 10 })).toMatchObject({
      outcome: "already",
      reason: "already_checked_in",
    });
  });
  test("someone who left comes back: a re-entry, whatever their registration says now", () => {
    const back = { alreadyCheckedIn: true, checkedOut: true, registration: null };
    expect(run(back)).toMatchObject({ outcome: "accept", reason: "reentry" });
    // Admissions: they were counted once already, so a full room still lets them back in.
    expect(run({ ...back, checkedInCount: 10 })).toMatchObject({ outcome: "accept", reason: "reentry" });
    // Occupancy: the room is full of people inside now.
    expect(run({ ...back, checkedInCount: 10 }, { capacityMode: "occupancy" })).toMatchObject({
      outcome: "refuse",
      reason: "session_full",
    });
    expect(run({ ...back, checkedInCount: 9 }, { capacityMode: "occupancy" })).toMatchObject({
      reason: "reentry",
    });
    expect(run(back, { status: "closed" })).toMatchObject({ reason: "session_not_open" });
  });
  test("not registered: staff decide, or accept anyway", () => {
    expect(run({ registration: null })).toMatchObject({
      outcome: "decide",
      reason: "not_registered",
      wasRegistered: false,
    });
    expect(run({ registration: { status: "pending" } })).toMatchObject({
      outcome: "decide",
      reason: "not_registered",
    });
    expect(run({ registration: null, acceptUnregistered: true })).toMatchObject({
      outcome: "accept",
      reason: "ok",
      badge: "accepted_unregistered",
      wasRegistered: false,
    });
  });
  test("cancelled registration is its own reason", () => {
    expect(run({ registration: { status: "cancelled" } })).toMatchObject({
      outcome: "decide",
      reason: "registration_cancelled",
    });
  });
  test("invite-only sessions cannot be overridden", () => {
    expect(
      run({ registration: null, acceptUnregistered: true }, { requiresRegistration: true }),
    ).toMatchObject({
      outcome: "refuse",
      reason: "invite_only",
    });
    expect(
      run(
        { registration: { status: "cancelled" }, acceptUnregistered: true },
        { requiresRegistration: true },
      ),
    ).toMatchObject({
      outcome: "refuse",
      reason: "registration_cancelled",
    });
    expect(run({}, { requiresRegistration: true })).toMatchObject({ outcome: "accept" });
  });
  test("full only when capacity is enforced and positive", () => {
    expect(run({ checkedInCount: 10 })).toMatchObject({ outcome: "refuse", reason: "session_full" });
    expect(run({ checkedInCount: 9 })).toMatchObject({ outcome: "accept" });
    expect(run({ checkedInCount: 10 }, { capacityEnforced: false })).toMatchObject({ outcome: "accept" });
    expect(run({ checkedInCount: 500 }, { capacity: 0 })).toMatchObject({ outcome: "accept" });
    expect(run({ checkedInCount: 10, registration: null })).toMatchObject({ reason: "session_full" });
  });
  test("late uses the session override, else the global default", () => {
    expect(run({ now: new Date("2026-11-22T09:10:00Z") }).isLate).toBe(false);
    expect(run({ now: new Date("2026-11-22T09:10:01Z") }).isLate).toBe(true);
    expect(run({ now: new Date("2026-11-22T09:10:01Z") }, { lateThresholdMinutes: 30 }).isLate).toBe(false);
    expect(run({ now: new Date("2026-11-22T09:00:01Z") }, { lateThresholdMinutes: 0 }).isLate).toBe(true);
    expect(run({ now: new Date("2026-11-22T09:20:00Z"), defaultLateThresholdMinutes: 25 }).isLate).toBe(
      false,
    );
  });
  test("helpers", () => {
    expect(isLate({ startTime: START, lateThresholdMinutes: 5 }, new Date("2026-11-22T09:06:00Z"), 10)).toBe(
      true,
    );
    expect(isFull({ capacity: 2, capacityEnforced: true }, 2)).toBe(true);
    expect(isFull({ capacity: 2, capacityEnforced: true }, 1)).toBe(false);
    for (const text of Object.values(REASONS)) expect(text.text.length).toBeGreaterThan(5);
  });
});
