import { describe, expect, test } from "bun:test";
import { ObjectId } from "mongodb";
import {
  type CopyDoc,
  coverable,
  idsWith,
  type MarkDoc,
  newest,
  pack,
  unpack,
  WRITER_DEAD_MS,
} from "../../src/registrations/rosters";

const mark = (done: boolean, ageMs: number): MarkDoc => ({
  _id: new ObjectId(),
  sessionId: new ObjectId(),
  at: new Date(Date.now() - ageMs),
  done,
});
const copy = (version: number): CopyDoc => ({
  _id: `s:${version}`,
  sessionId: new ObjectId(),
  version,
  ids: {},
});

describe("a session's packed registrations", () => {
  test("unpack gives back every registration packed, with its status", () => {
    const regs = [
      { participantId: new ObjectId(), status: "confirmed" as const },
      { participantId: new ObjectId(), status: "pending" as const },
      { participantId: new ObjectId(), status: "confirmed" as const },
      { participantId: new ObjectId(), status: "cancelled" as const },
    ];
    const back: [string, string][] = [...unpack(pack(regs))].sort();
    expect(back).toEqual(
      regs.map((r) => [r.participantId.toHexString(), r.status] as [string, string]).sort(),
    );
    expect([...unpack(pack([]))]).toEqual([]);
    expect(idsWith(pack(regs), "confirmed")).toEqual(
      [regs[0], regs[2]].map((r) => String(r?.participantId.toHexString())),
    );
  });

  test("the newest version of a session's copies is the one that counts", () => {
    expect(newest([])).toBeNull();
    expect(newest([copy(3), copy(7), copy(5)])?.version).toBe(7);
  });

  test("packing covers finished writes and dead writers, never a write still running", () => {
    const now = Date.now();
    expect(coverable([], now)).toBe(true);
    expect(coverable([mark(true, 1000), mark(true, 0)], now)).toBe(true);
    expect(coverable([mark(true, 0), mark(false, 1000)], now)).toBe(false);
    expect(coverable([mark(false, WRITER_DEAD_MS + 1000)], now)).toBe(true);
  });
});
