import { expect, test } from "bun:test";
import { ObjectId } from "mongodb";
import type { CheckInDoc } from "../../src/checkin/repo";
import { entryOf } from "../../src/door/codec";
import { current } from "../../src/door/copies";
import {
  addChanges,
  applyLines,
  emptyDelta,
  entryFields,
  linesOf,
  packCopy,
  packRemoved,
  unpackCopy,
  unpackRemoved,
} from "../../src/door/copy-entries";
import { changesBySession, type HeadDoc, type RemovalDoc } from "../../src/door/copy-store";
import { createStamps, WINDOW_MS, windowOf } from "../../src/infra/stamps";

// The door's copies (door/copies.ts) without a server: packing, applying what changed, and the
// stamps whose low water decides what a copy may claim.

const checkIn = (participantId: ObjectId, patch: Partial<CheckInDoc> = {}): CheckInDoc => {
  const at = new Date("2026-12-07T09:00:00Z");
  return {
    _id: new ObjectId(),
    participantId,
    sessionId: new ObjectId("65f000000000000000000001"),
    checkInTime: at,
    method: "qr",
    isLate: false,
    badge: "accepted",
    wasRegistered: true,
    seat: 0,
    instance: "unit",
    notes: "line one\nline two",
    checkedOutAt: null,
    createdAt: at,
    updatedAt: at,
    __v: 0,
    ...patch,
  };
};

const applyChanges = (base: ReturnType<typeof linesOf>, docs: CheckInDoc[], removed: Set<string>) =>
  applyLines(base, linesOf(docs), removed);

test("a copy packs and unpacks every entry as the door state holds it, line breaks in notes included", () => {
  const [a, b] = [new ObjectId(), new ObjectId()];
  const docs = [checkIn(a), checkIn(b, { seat: 1, checkedOutAt: new Date() })];
  const entries = linesOf(docs);
  const again = unpackCopy(packCopy(entries));
  expect(again).toEqual(entries);
  expect(entryFields(again)).toEqual(docs.flatMap((d) => [`i:${d.participantId}`, entryOf(d)]));
  expect(unpackCopy(packCopy(new Map())).size).toBe(0);
  const removed = new Set([docs[0]?._id.toHexString() as string, docs[1]?._id.toHexString() as string]);
  expect(unpackRemoved(packRemoved(removed))).toEqual(removed);
});

test("changes apply in the order read, and a removal takes out only the check-in it names", () => {
  const [a, b] = [new ObjectId(), new ObjectId()];
  const first = checkIn(a);
  const base = applyChanges(new Map(), [first, checkIn(b)], new Set());
  const left = { ...first, checkedOutAt: new Date(), updatedAt: new Date() };
  // Read twice (two windows): the later read is the later version.
  const after = applyChanges(base, [first, left], new Set());
  expect(after.get(a.toHexString())?.entry).toBe(entryOf(left));
  // Undone, then in again: the new check-in stays.
  const again = checkIn(a, { seat: 2 });
  const final = applyChanges(after, [again], new Set([first._id.toHexString()]));
  expect(final.get(a.toHexString())?.checkIn).toBe(again._id.toHexString());
  const gone = applyChanges(final, [], new Set([again._id.toHexString()]));
  expect([...gone.keys()]).toEqual([b.toHexString()]);
  // The base is not changed in place.
  expect(base.get(a.toHexString())?.entry).toBe(entryOf(first));
});

test("a delta kept beside its base gives what the changes applied to the base give", () => {
  const people = Array.from({ length: 6 }, () => new ObjectId());
  const docs = people.map((p, seat) => checkIn(p, { seat }));
  const base = linesOf(docs);
  const left = { ...(docs[0] as CheckInDoc), checkedOutAt: new Date() };
  const back = checkIn(people[1] as ObjectId, { seat: 9 });
  // Pass 1: one left, one undone; pass 2: the undone one back in, another undone.
  const steps: [CheckInDoc[], Set<string>][] = [
    [[left], new Set([docs[1]?._id.toHexString() as string])],
    [[back], new Set([docs[2]?._id.toHexString() as string])],
  ];
  let delta = emptyDelta();
  let direct = base;
  for (const [changed, removed] of steps) {
    delta = addChanges(delta, linesOf(changed), removed);
    direct = applyChanges(direct, changed, removed);
  }
  expect(applyLines(base, delta.upserts, delta.removed)).toEqual(direct);
  expect(direct.get(people[1]?.toHexString() as string)?.checkIn).toBe(back._id.toHexString());
  expect(direct.has(people[2]?.toHexString() as string)).toBe(false);
  // Undone again after it came back: gone from the delta and the result.
  delta = addChanges(delta, new Map(), new Set([back._id.toHexString()]));
  expect(applyLines(base, delta.upserts, delta.removed).has(people[1]?.toHexString() as string)).toBe(false);
});

test("stamps: the low water stays at the oldest write still open, and never goes back", async () => {
  let clock = 10 * WINDOW_MS;
  const stamps = createStamps(() => clock);
  expect(stamps.lowWater()).toBe(clock);
  let release: () => void = () => undefined;
  const open = stamps.during(
    (stamp) =>
      new Promise<number>((resolve) => {
        expect(stamp.changeWindow).toBe(windowOf(10 * WINDOW_MS));
        release = () => resolve(stamp.at.getTime());
      }),
  );
  clock += 3 * WINDOW_MS;
  expect(stamps.lowWater()).toBe(10 * WINDOW_MS);
  await stamps.during(async () => undefined);
  expect(stamps.lowWater()).toBe(10 * WINDOW_MS);
  release();
  expect(await open).toBe(10 * WINDOW_MS);
  expect(stamps.lowWater()).toBe(13 * WINDOW_MS);
  // The wall clock set back: stamps and low water hold.
  clock -= 2 * WINDOW_MS;
  expect(stamps.lowWater()).toBe(13 * WINDOW_MS);
  await stamps.during(async (stamp) => expect(stamp.at.getTime()).toBe(13 * WINDOW_MS));
  // A write that fails settles too.
  await expect(stamps.during(async () => Promise.reject(new Error("no")))).rejects.toThrow("no");
  expect(stamps.lowWater()).toBe(13 * WINDOW_MS);
});

test("heads used: recent ones close to the newest; a lagging or old one leaves its session to be read whole", () => {
  const now = 1_000 * WINDOW_MS;
  const head = (from: number): HeadDoc => ({
    _id: new ObjectId().toHexString(),
    sessionId: new ObjectId(),
    epoch: "",
    from,
    version: "v",
    delta: "",
    at: new Date(now),
  });
  const fresh = head(windowOf(now) - 1);
  const close = head(windowOf(now) - 5);
  const lagging = head(windowOf(now) - 6);
  const old = head(windowOf(now) - 200);
  expect(current([fresh, close, lagging, old, undefined], now)).toEqual([fresh, close]);
  // Alone, a head a minute old is still worth its changes; one older than two minutes is not.
  expect(current([head(windowOf(now) - 12)], now)).toHaveLength(1);
  expect(current([old], now)).toEqual([]);
});

test("changes by session: each head gets its own session's changes and removals from its window on, no other", () => {
  const [one, two] = [new ObjectId(), new ObjectId()];
  const head = (sessionId: ObjectId, from: number): HeadDoc => ({
    _id: sessionId.toHexString(),
    sessionId,
    epoch: "",
    from,
    version: "v",
    delta: "",
    at: new Date(),
  });
  const changed = (sessionId: ObjectId, changeWindow: number) =>
    checkIn(new ObjectId(), { sessionId, changeWindow });
  const removal = (sessionId: ObjectId, changeWindow: number): RemovalDoc => ({
    _id: new ObjectId(),
    sessionId,
    participantId: new ObjectId(),
    changeWindow,
    at: new Date(),
  });
  const [early, onTime, late, elsewhere] = [
    changed(one, 9),
    changed(one, 10),
    changed(one, 12),
    changed(two, 10),
  ];
  const [removedEarly, removedLate, removedElsewhere] = [removal(one, 9), removal(one, 11), removal(two, 3)];
  const changesOf = changesBySession({
    changed: [early, elsewhere, onTime, late],
    removed: [removedEarly, removedElsewhere, removedLate],
    windows: 4,
  });
  const ofOne = changesOf(head(one, 10));
  // In the order read: a later read of a person is their later version.
  expect(ofOne.changed).toEqual([onTime, late]);
  expect([...ofOne.removed]).toEqual([removedLate._id.toHexString()]);
  const ofTwo = changesOf(head(two, 2));
  expect(ofTwo.changed).toEqual([elsewhere]);
  expect([...ofTwo.removed]).toEqual([removedElsewhere._id.toHexString()]);
  expect(changesOf(head(new ObjectId(), 0))).toEqual({ changed: [], removed: new Set() });
});
