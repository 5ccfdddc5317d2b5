import { describe, expect, test } from "bun:test";
import {
  attendance,
  attended,
  type HistoryEvent,
  standingMoves,
  timeInside,
} from "../../src/attendance/minutes";

const T0 = Date.parse("2026-06-01T09:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const window = { start: at(0), end: at(60) };
const rule = { credits: 1.5, minAttendancePercent: 80 };
const after = at(120);
let n = 0;
const ev = (kind: HistoryEvent["kind"], minute: number, extra: Partial<HistoryEvent> = {}): HistoryEvent => ({
  id: `e${n++}`,
  at: at(minute),
  kind,
  checkInId: "c1",
  ...extra,
});

describe("time inside a session", () => {
  test("one entry, one exit", () => {
    const a = attendance([ev("entry", 5), ev("exit", 55)], window, rule, after);
    expect(a).toEqual({ minutes: 50, percent: 83.3, credited: true, credits: 1.5, inside: false });
  });

  test("entries before the start and exits after the end are clamped to the session", () => {
    expect(attendance([ev("entry", -20), ev("exit", 90)], window, rule, after).minutes).toBe(60);
  });

  test("a presence still open counts until the end, or until now while the session runs", () => {
    expect(attendance([ev("entry", 10)], window, rule, after)).toMatchObject({ minutes: 50, inside: true });
    expect(attendance([ev("entry", 10)], window, rule, at(30))).toMatchObject({
      minutes: 20,
      credited: false,
    });
  });

  test("exits and re-entries add up; a second entry while inside changes nothing", () => {
    const history = [ev("entry", 0), ev("exit", 20), ev("entry", 30), ev("entry", 35), ev("exit", 50)];
    expect(attendance(history, window, rule, after)).toMatchObject({
      minutes: 40,
      percent: 66.7,
      credited: false,
    });
  });

  test("offline replays count at their scan times, whatever order they arrive in", () => {
    const history = [ev("exit", 58), ev("entry", 2)];
    expect(attendance(history, window, rule, after).minutes).toBe(56);
  });

  test("a move to another room closes the presence here at the move", () => {
    const here = [ev("entry", 0), ev("exit", 45)];
    const there = [ev("entry", 45, { checkInId: "c2" })];
    expect(attendance(here, window, rule, after).minutes).toBe(45);
    expect(attendance(there, { start: at(30), end: at(90) }, rule, after).minutes).toBe(45);
  });

  test("an undone check-in counts for nothing; a later check-in counts", () => {
    const history = [ev("entry", 0), ev("undo", 1), ev("entry", 10, { checkInId: "c2" })];
    expect(attendance(history, window, rule, after).minutes).toBe(50);
    expect(attended([ev("entry", 0), ev("undo", 1)])).toBe(false);
  });

  test("corrections: a forgotten exit added, a wrong entry voided, a correction voided in turn", () => {
    const entry = ev("entry", 0);
    const wrong = ev("entry", 5, { checkInId: undefined });
    const forgottenExit = ev("exit", 30, { checkInId: undefined });
    expect(attendance([entry, forgottenExit], window, rule, after).minutes).toBe(30);
    const voidExit = ev("void", 0, { voids: forgottenExit.id, checkInId: undefined });
    expect(attendance([entry, forgottenExit, voidExit], window, rule, after).minutes).toBe(60);
    expect(standingMoves([wrong, ev("void", 0, { voids: wrong.id })])).toEqual([]);
  });

  test("credited on the exact share: 47.9 of 60 minutes is under 80 %, 48 is not", () => {
    const almost = [ev("entry", 0), { ...ev("exit", 0), at: new Date(T0 + 48 * 60_000 - 6000) }];
    expect(attendance(almost, window, rule, after)).toMatchObject({ credited: false, credits: 0 });
    expect(attendance([ev("entry", 0), ev("exit", 48)], window, rule, after)).toMatchObject({
      credited: true,
      credits: 1.5,
    });
  });

  test("moves at the same instant keep their recorded order: an undone re-entry's exit closes it", () => {
    const history = [ev("entry", 0), ev("exit", 10), ev("entry", 20), ev("exit", 20)];
    expect(attendance(history, window, rule, after)).toMatchObject({ minutes: 10, inside: false });
  });

  test("nothing inside the window is zero, never negative", () => {
    expect(timeInside(standingMoves([ev("entry", 70), ev("exit", 80)]), window, after)).toEqual({
      ms: 0,
      inside: false,
    });
  });
});
