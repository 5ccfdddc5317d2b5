import { describe, expect, test } from "bun:test";
import {
  addDoorScan,
  addMove,
  arrivalsPer,
  emptyTimeline,
  fillForecast,
  insideOverTime,
  quietDoors,
} from "../../src/live/figures";

const T0 = Date.parse("2026-06-01T09:00:00Z");
const min = 60_000;

describe("dashboard figures", () => {
  test("arrivals per 5 minutes count first admissions only; inside follows entries and exits", () => {
    const tl = emptyTimeline();
    addMove(tl, T0 + 1 * min, "arrival", T0);
    addMove(tl, T0 + 2 * min, "arrival", T0);
    addMove(tl, T0 + 6 * min, "exit", T0);
    addMove(tl, T0 + 7 * min, "reentry", T0);
    addMove(tl, T0 + 8 * min, "arrival", T0);
    expect(arrivalsPer(tl, 5)).toEqual([
      [new Date(T0), 2],
      [new Date(T0 + 5 * min), 1],
    ]);
    expect(insideOverTime(tl).map(([, n]) => n)).toEqual([1, 2, 1, 2, 3]);
  });

  test("the forecast reads the last ten minutes' pace", () => {
    const tl = emptyTimeline();
    const now = T0 + 10 * min;
    // 20 arrivals over the last 5 minutes: 4 a minute; 80 seats left: 20 minutes.
    for (let i = 0; i < 20; i++) addMove(tl, now - 5 * min + i * 15_000, "arrival", now);
    // An old arrival outside the window does not count.
    addMove(tl, now - 30 * min, "arrival", now);
    expect(fillForecast(tl, { capacity: 100, taken: 20, occupancy: false }, now)).toEqual({
      full: false,
      minutes: 20,
    });
    expect(fillForecast(tl, { capacity: 100, taken: 100, occupancy: false }, now)).toEqual({ full: true });
    expect(fillForecast(tl, { capacity: 0, taken: 20, occupancy: false }, now)).toBeNull();
    expect(fillForecast(emptyTimeline(), { capacity: 100, taken: 20, occupancy: false }, now)).toBeNull();
  });

  test("an occupancy room fills at arrivals minus departures; a room emptying has no forecast", () => {
    const tl = emptyTimeline();
    const now = T0 + 10 * min;
    for (let i = 0; i < 10; i++) addMove(tl, now - 5 * min + i * 30_000, "arrival", now);
    for (let i = 0; i < 5; i++) addMove(tl, now - 4 * min + i * 30_000, "exit", now);
    expect(fillForecast(tl, { capacity: 50, taken: 40, occupancy: true }, now)).toEqual({
      full: false,
      minutes: 10,
    });
    for (let i = 0; i < 10; i++) addMove(tl, now - 1000, "exit", now);
    expect(fillForecast(tl, { capacity: 50, taken: 40, occupancy: true }, now)).toBeNull();
  });

  test("a door that was scanning and went silent is quiet; a slow door is judged by its own pace", () => {
    const tl = emptyTimeline();
    for (let i = 0; i < 10; i++) addDoorScan(tl, "Door A", T0 + i * 6000);
    for (let i = 0; i < 3; i++) addDoorScan(tl, "Door B", T0 + i * 1000);
    // Door C scans every 2 minutes: 3 minutes of silence is not unusual for it.
    for (let i = 0; i < 6; i++) addDoorScan(tl, "Door C", T0 + i * 2 * min);
    const now = T0 + 10 * min + 54_000;
    expect(quietDoors(tl, true, 3 * min, now)).toEqual([{ door: "Door A", silentMinutes: 10 }]);
    expect(quietDoors(tl, false, 3 * min, now)).toEqual([]);
    expect(quietDoors(tl, true, 3 * min, T0 + 30 * min + 1).map((d) => d.door)).toEqual(["Door A", "Door C"]);
  });
});
