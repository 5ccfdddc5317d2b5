import { describe, expect, test } from "bun:test";
import { overflowChoices, seatsLeft } from "../../src/door/overflow";

const at = (h: number) => new Date(Date.UTC(2026, 11, 7, h));
const room = (name: string, start: number, end: number, capacity: number, extra = {}) => ({
  name,
  startTime: at(start),
  endTime: at(end),
  capacity,
  capacityEnforced: capacity > 0,
  ...extra,
});

describe("overflow choices for a full room", () => {
  const full = room("Full", 10, 11, 100);

  test("same time slot only, with seats left, most room first, unlimited last", () => {
    const choices = overflowChoices(full, [
      { session: room("Small", 10, 11, 20), admitted: 15, inside: 0 },
      { session: room("Big", 10, 11, 200), admitted: 100, inside: 0 },
      { session: room("Also full", 10, 11, 30), admitted: 30, inside: 0 },
      { session: room("Later", 12, 13, 500), admitted: 0, inside: 0 },
      { session: room("Open floor", 9, 12, 0), admitted: 900, inside: 0 },
    ]);
    expect(choices.map((c) => [c.session.name, c.free])).toEqual([
      ["Big", 100],
      ["Small", 5],
      ["Open floor", null],
    ]);
  });

  test("occupancy rooms count who is inside, not who came", () => {
    const hall = room("Hall", 10, 11, 50, { capacityMode: "occupancy" });
    expect(seatsLeft(hall, { admitted: 80, inside: 45 })).toBe(5);
    expect(overflowChoices(full, [{ session: hall, admitted: 80, inside: 50 }])).toEqual([]);
  });

  test("at most the limit", () => {
    const many = Array.from({ length: 6 }, (_, i) => ({
      session: room(`R${i}`, 10, 11, 10),
      admitted: i,
      inside: 0,
    }));
    expect(overflowChoices(full, many, 2).map((c) => c.session.name)).toEqual(["R0", "R1"]);
  });
});
