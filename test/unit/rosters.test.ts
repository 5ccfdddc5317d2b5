import { describe, expect, test } from "bun:test";
import { ObjectId } from "mongodb";
import {
  pack,
  type RosterDoc,
  rewriteRule,
  trusted,
  unpack,
  WRITER_DEAD_MS,
} from "../../src/registrations/rosters";

const copy = (patch: Partial<RosterDoc>): RosterDoc => ({
  _id: new ObjectId(),
  began: 3,
  built: 3,
  writers: [],
  ids: {},
  ...patch,
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
  });

  test("a copy is trusted only when nobody is writing and it was read after the last writer came in", () => {
    expect(trusted(null)).toBe(false);
    expect(trusted(copy({}))).toBe(true);
    expect(trusted(copy({ built: 2 }))).toBe(false);
    expect(trusted(copy({ writers: [`${Date.now()}:a`] }))).toBe(false);
    expect(trusted(copy({ built: -1, began: 0 }))).toBe(false);
  });

  test("a copy is rewritten while nobody writes, after dead writers are taken out, and never under a live one", () => {
    const now = Date.now();
    expect(rewriteRule(null, now)).toBe("write");
    expect(rewriteRule(copy({ built: 1 }), now)).toBe("write");
    expect(rewriteRule(copy({ writers: [`${now - 1000}:live`] }), now)).toBe("wait");
    expect(rewriteRule(copy({ writers: [`${now - WRITER_DEAD_MS - 1}:dead`] }), now)).toBe("revive");
    expect(rewriteRule(copy({ writers: [`${now - WRITER_DEAD_MS - 1}:dead`, `${now}:live`] }), now)).toBe(
      "wait",
    );
  });
});
