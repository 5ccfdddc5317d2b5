import { describe, expect, test } from "bun:test";
import { ObjectId } from "mongodb";
import { movesFor, type Presence } from "../../src/door/move";

const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 10, minute));
const presence = (minute: number, sessionId = new ObjectId()): Presence => ({
  checkInId: new ObjectId(),
  sessionId,
  enteredAt: at(minute),
});

describe("one room at a time", () => {
  test("entering B closes the presence in A at the time of the B scan", () => {
    const a = presence(0);
    const b = presence(10);
    expect(movesFor(b, [a])).toEqual([{ close: a.checkInId, at: at(10), movedTo: b.sessionId }]);
  });

  test("a late-synced entry scanned before the person's latest one closes itself at the later entry", () => {
    const a = presence(0);
    const later = presence(20);
    const queued = presence(10);
    expect(movesFor(queued, [a, later])).toEqual([
      { close: a.checkInId, at: at(10), movedTo: queued.sessionId },
      { close: queued.checkInId, at: at(20), movedTo: later.sessionId },
    ]);
  });

  test("the earliest of several later entries is where the person went next", () => {
    const queued = presence(5);
    const first = presence(15);
    const second = presence(30);
    expect(movesFor(queued, [second, first])).toEqual([
      { close: queued.checkInId, at: at(15), movedTo: first.sessionId },
    ]);
  });

  test("nothing elsewhere, or only this session: nothing moves", () => {
    const b = presence(10);
    expect(movesFor(b, [])).toEqual([]);
    expect(movesFor(b, [{ ...presence(0), sessionId: b.sessionId }])).toEqual([]);
  });
});
