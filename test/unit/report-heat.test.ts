import { expect, test } from "bun:test";
import { peakByHour } from "../../src/reports/attendance";

const H = 3600_000;
const T0 = Date.parse("2026-06-01T09:00:00Z");
const hourStart = (d: Date) => Math.floor(d.getTime() / H) * H;
const c = (inMin: number, outMin: number | null) => ({
  participantId: String(inMin),
  at: new Date(T0 + inMin * 60_000),
  leftAt: outMin === null ? null : new Date(T0 + outMin * 60_000),
  isLate: false,
});

test("each hour's peak: who was inside at its start, and every rise within it", () => {
  const checkIns = [c(-10, 70), c(5, 20), c(30, null), c(65, 150), c(100, 110)];
  const peaks = peakByHour(checkIns, { start: new Date(T0), end: new Date(T0 + 3 * H) }, hourStart);
  // 09:xx: 1 at the start, 2 at :05, back to 1 at :20, 2 at :30: peak 2.
  expect(peaks.get(T0)).toBe(2);
  // 10:xx: 2 inside at 10:00, a third at 10:05 (the first leaves at 10:10): peak 3.
  expect(peaks.get(T0 + H)).toBe(3);
  // 11:xx: 2 inside at 11:00 (30 and 65 stay), 100–110 was in 10:xx: peak 2.
  expect(peaks.get(T0 + 2 * H)).toBe(2);
  expect(peaks.size).toBe(3);
});

test("the night the clock goes back, the repeated hour ends (no endless loop)", () => {
  // New York, 2026-11-01: 01:00–02:00 happens twice; hours as that zone's clock starts them.
  const zone = new Intl.DateTimeFormat("en-US", {
    timeZone: "America/New_York",
    hour12: false,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
  });
  const nyHourStart = (d: Date) => {
    // The first instant whose New York hour label equals d's (as a wall clock maps it back).
    const label = zone.format(d);
    let t = Math.floor(d.getTime() / H) * H;
    while (zone.format(new Date(t - H)) === label) t -= H;
    return t;
  };
  const start = Date.parse("2026-11-01T04:30:00Z"); // 00:30 EDT
  const checkIns = [c(0, 200)].map((x) => ({
    ...x,
    at: new Date(start),
    leftAt: new Date(start + 200 * 60_000),
  }));
  const peaks = peakByHour(checkIns, { start: new Date(start), end: new Date(start + 4 * H) }, nyHourStart);
  expect(peaks.size).toBeGreaterThan(2);
  expect(Math.max(...peaks.values())).toBe(1);
});
