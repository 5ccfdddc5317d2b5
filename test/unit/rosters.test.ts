import { describe, expect, test } from "bun:test";
import { ObjectId } from "mongodb";
import {
  applyWrites,
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

describe("a copy with a burst's listed writes applied", () => {
  const [a, b, c, d] = [1, 2, 3, 4].map(() => new ObjectId().toHexString()) as [
    string,
    string,
    string,
    string,
  ];
  const listed = (wrote?: Record<string, string>): MarkDoc => ({ ...mark(true, 0), wrote });
  const copyIds = pack([
    { participantId: ObjectId.createFromHexString(a), status: "confirmed" },
    { participantId: ObjectId.createFromHexString(b), status: "pending" },
  ]);

  test("creates, changes and removals listed once are applied without reading anything", () => {
    const applied = applyWrites(copyIds, [
      listed({ [a]: "cancelled", [b]: "" }),
      listed({ [c]: "confirmed" }),
    ]);
    expect(applied?.unsure).toEqual([]);
    expect([...(applied?.entries ?? [])].sort()).toEqual(
      [
        [a, "cancelled"],
        [c, "confirmed"],
      ].sort() as never,
    );
  });

  test("a person under two marks, an unknown outcome or an unknown status is read from MongoDB", () => {
    const applied = applyWrites(copyIds, [
      listed({ [a]: "cancelled", [c]: "?" }),
      listed({ [a]: "", [d]: "attended-maybe" }),
    ]);
    expect(applied?.unsure.sort()).toEqual([a, c, d].sort());
    // Nothing the marks cannot tell is guessed: b stays as the copy has it.
    expect(applied?.entries.get(b)).toBe("pending");
  });

  test("a mark that lists nothing (a bulk write, a dead writer) means the session is read whole", () => {
    expect(applyWrites(copyIds, [listed({ [a]: "cancelled" }), listed()])).toBeNull();
    expect(applyWrites(copyIds, [mark(false, WRITER_DEAD_MS + 1)])).toBeNull();
  });
});
