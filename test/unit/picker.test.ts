import { describe, expect, test } from "bun:test";
import { pickerGroups, sessionOfRoom } from "../../src/door/picker";

const at = (h: number, m = 0, day = 1) => new Date(Date.UTC(2026, 11, 6 + day, h, m));
const session = (
  name: string,
  status: string,
  day: number,
  location: string,
  start: number,
  end: number,
) => ({
  name,
  status,
  day,
  location,
  startTime: at(start, 0, day),
  endTime: at(end, 0, day),
});

const sessions = [
  session("Day 2 keynote", "scheduled", 2, "Hall A", 9, 10),
  session("Workshop", "scheduled", 1, "Room 2", 11, 12),
  session("Talk", "open", 1, "Room 1", 10, 11),
  session("Panel", "scheduled", 1, "Hall A", 11, 12),
  session("Breakfast", "ended", 1, "Hall A", 8, 9),
  session("Late talk", "scheduled", 1, "Room 1", 14, 15),
];

describe("the session picker's groups", () => {
  test("open sessions first, then the next time slot, then every day in order", () => {
    const groups = pickerGroups(sessions, (s) => s, at(10, 15));
    expect(groups.open.map((s) => s.name)).toEqual(["Talk"]);
    expect(groups.next.map((s) => s.name).sort()).toEqual(["Panel", "Workshop"]);
    expect(groups.days.map((d) => d.day)).toEqual([1, 2]);
    expect(groups.days[0]?.sessions.map((s) => s.name)).toEqual([
      "Breakfast",
      "Talk",
      "Workshop",
      "Panel",
      "Late talk",
    ]);
    expect(groups.rooms).toEqual(["Hall A", "Room 1", "Room 2"]);
  });

  test("a room filter keeps that room's sessions everywhere, and every room in the filter", () => {
    const groups = pickerGroups(sessions, (s) => s, at(10, 15), "Hall A");
    expect(groups.open).toEqual([]);
    expect(groups.next.map((s) => s.name)).toEqual(["Panel"]);
    expect(groups.days.flatMap((d) => d.sessions.map((s) => s.name))).toEqual([
      "Breakfast",
      "Panel",
      "Day 2 keynote",
    ]);
    expect(groups.rooms).toHaveLength(3);
  });

  test("after the last session nothing is next", () => {
    const groups = pickerGroups(sessions, (s) => s, at(23, 0, 2));
    expect(groups.next).toEqual([]);
    expect(groups.open.map((s) => s.name)).toEqual(["Talk"]);
  });
});

describe("a device set to a room", () => {
  test("works the session open there, else the next one there, else none", () => {
    expect(sessionOfRoom(sessions, "Room 1", at(10, 15))?.name).toBe("Talk");
    expect(sessionOfRoom(sessions, "Hall A", at(10, 15))?.name).toBe("Panel");
    expect(sessionOfRoom(sessions, "Room 2", at(10, 15))?.name).toBe("Workshop");
    expect(sessionOfRoom(sessions, "Nowhere", at(10, 15))).toBeNull();
  });

  test("of two open sessions in one room, the later started is the one at the door now", () => {
    const both = [session("Early", "open", 1, "Room 9", 9, 10), session("Late", "open", 1, "Room 9", 10, 11)];
    expect(sessionOfRoom(both, "Room 9", at(10, 1))?.name).toBe("Late");
  });
});
