import { expect, test } from "bun:test";
import { buildHistory } from "../../src/demo/history";
import { buildDemo } from "../../src/demo/seed";

test("the demo's morning: started sessions have check-ins (late, walk-ins, exits), never over capacity", () => {
  const now = new Date("2026-12-01T11:00:00Z");
  const demo = buildDemo(now);
  const { checkIns, scanlog } = buildHistory(demo, now);
  expect(checkIns.length).toBeGreaterThan(100);
  expect(checkIns.some((c) => c.isLate)).toBe(true);
  expect(checkIns.some((c) => c.badge === "accepted_unregistered")).toBe(true);
  expect(checkIns.some((c) => c.checkedOutAt !== null)).toBe(true);
  expect(scanlog.some((e) => e.action === "decline")).toBe(true);
  for (const session of demo.sessions) {
    const mine = checkIns.filter((c) => String(c.sessionId) === String(session._id));
    if (session.startTime > now) expect(mine).toHaveLength(0);
    if (session.capacityEnforced && session.capacity > 0)
      expect(mine.length).toBeLessThanOrEqual(session.capacity);
    expect(new Set(mine.map((c) => String(c.participantId))).size).toBe(mine.length);
    for (const c of mine) expect(c.checkInTime.getTime()).toBeLessThanOrEqual(now.getTime());
  }
  // The same conference gets the same morning.
  expect(buildHistory(demo, now).checkIns.map((c) => String(c.participantId))).toEqual(
    checkIns.map((c) => String(c.participantId)),
  );
});
