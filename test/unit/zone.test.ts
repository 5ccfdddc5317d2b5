import { afterEach, expect, test } from "bun:test";
import {
  formatInstant,
  fromWallClock,
  isTimeZone,
  setEventTimeZone,
  startOfEventDay,
} from "../../src/time/zone";

afterEach(() => setEventTimeZone("UTC"));

test("times read on the event's clock, not UTC, written as each language writes them", () => {
  const at = new Date("2026-12-01T08:35:00Z");
  expect(formatInstant("en", "time", at)).toBe("08:35");
  setEventTimeZone("Africa/Tunis");
  expect(formatInstant("fr", "time", at)).toBe("09:35");
  const late = new Date("2026-12-01T23:30:00Z");
  expect(formatInstant("en", "dateTime", late)).toBe("2 Dec 2026, 00:30");
  expect(formatInstant("fr", "dateTime", late)).toBe("2 déc. 2026, 00:30");
});

test("a time typed on the event's clock is the right instant, across a DST change too", () => {
  setEventTimeZone("Europe/Paris");
  expect(fromWallClock("2026-12-01T09:00")?.toISOString()).toBe("2026-12-01T08:00:00.000Z");
  expect(fromWallClock("2026-07-01T09:00")?.toISOString()).toBe("2026-07-01T07:00:00.000Z");
  expect(fromWallClock("2026-03-29T12:00")?.toISOString()).toBe("2026-03-29T10:00:00.000Z");
  expect(fromWallClock("not a time")).toBeNull();
});

test("the event's day starts at its own midnight", () => {
  setEventTimeZone("Africa/Tunis");
  expect(startOfEventDay(new Date("2026-12-01T23:30:00Z")).toISOString()).toBe("2026-12-01T23:00:00.000Z");
});

test("only real zones are accepted", () => {
  expect(isTimeZone("Africa/Tunis")).toBe(true);
  expect(isTimeZone("Mars/Olympus")).toBe(false);
  expect(isTimeZone("")).toBe(false);
});
