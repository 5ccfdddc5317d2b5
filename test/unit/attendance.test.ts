import { expect, test } from "bun:test";
import { overTime, peakInside, type SessionFacts, sessionReport, totals } from "../../src/reports/attendance";

const t = (hhmm: string) => new Date(`2026-11-22T${hhmm}:00Z`);
const facts: SessionFacts = {
  id: "s1",
  name: "Talk",
  day: 1,
  location: "A",
  capacity: 10,
  registered: new Set(["p1", "p2", "p3", "p4"]),
  checkIns: [
    { participantId: "p1", at: t("09:00"), leftAt: t("09:30"), isLate: false },
    { participantId: "p2", at: t("09:10"), leftAt: null, isLate: true },
    { participantId: "w1", at: t("09:30"), leftAt: null, isLate: true },
    { participantId: "w2", at: t("09:40"), leftAt: null, isLate: true },
  ],
};

test("walk-ins apart, so attendance never passes 100%", () => {
  const report = sessionReport(facts);
  expect(report).toMatchObject({
    registered: 4,
    attended: 2,
    walkIns: 2,
    noShows: 2,
    late: 3,
    latePercent: 75,
    attendanceRate: 50,
  });
  const crowded = sessionReport({ ...facts, registered: new Set(["p1"]) });
  expect(crowded.attendanceRate).toBe(100);
  expect(crowded.walkIns).toBe(3);
});

test("peak inside counts exits, exits first when they coincide with an entry", () => {
  expect(peakInside(facts.checkIns)).toBe(3);
  expect(peakInside([])).toBe(0);
});

test("totals and the time series", () => {
  const all = totals([
    sessionReport(facts),
    sessionReport({ ...facts, id: "s2", registered: new Set(), checkIns: [] }),
  ]);
  expect(all).toMatchObject({ sessions: 2, registered: 4, attended: 2, walkIns: 2, attendanceRate: 50 });
  expect(overTime(facts.checkIns, 15).map(([d, n]) => [d.toISOString().slice(11, 16), n])).toEqual([
    ["09:00", 2],
    ["09:30", 2],
  ]);
});
