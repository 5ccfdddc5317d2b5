import { describe, expect, test } from "bun:test";
import {
  createSnapshots,
  type DoorSnapshot,
  guessableBits,
  OFFLINE_MIN_BITS,
  offlineVerifiable,
} from "../../src/door/snapshot";
import type { Person } from "../../src/participants/directory";
import { generateQrCode } from "../../src/participants/qr";
import { participantRecord } from "../../src/participants/repo";
import { sessionRecord } from "../../src/sessions/repo";

// Which badge codes a door device may hold: by how hard each is to guess, not by its length.

const counters = (n: number, format: (i: number) => string) => Array.from({ length: n }, (_, i) => format(i));

describe("a code is on a door device only when guessing it from the snapshot is hopeless", () => {
  test("generated codes (100 random bits) are held", () => {
    const codes = Array.from({ length: 2000 }, generateQrCode);
    const bits = guessableBits(codes);
    for (const code of codes) expect(bits.get(code)).toBeGreaterThanOrEqual(OFFLINE_MIN_BITS);
    expect(offlineVerifiable(codes).size).toBe(2000);
  });

  test("an imported counter is not, however long its code", () => {
    const codes = counters(20_000, (i) => `QR-EVENT2025-${String(i).padStart(6, "0")}`);
    expect(offlineVerifiable(codes).size).toBe(0);
    const long = counters(500, (i) => `QR-CONFERENCE-BADGE-2026-${String(i * 7).padStart(8, "0")}`);
    expect(offlineVerifiable(long).size).toBe(0);
  });

  test("counters mixed with generated codes of the same length stay off; the generated stay on", () => {
    const generated = Array.from({ length: 1000 }, generateQrCode);
    const sameLength = counters(1000, (i) => `QR-EVENTAB${String(i).padStart(13, "0")}`);
    expect(sameLength[0]).toHaveLength(generated[0]?.length ?? 0);
    const verifiable = offlineVerifiable([...generated, ...sameLength]);
    expect(sameLength.some((code) => verifiable.has(code))).toBe(false);
    expect(generated.every((code) => verifiable.has(code))).toBe(true);
  });

  test("a short random code, or one alone of its kind, is not held", () => {
    const short = Array.from(
      { length: 300 },
      () => `QR-${Math.random().toString(36).slice(2, 8).toUpperCase()}`,
    );
    expect(offlineVerifiable(short).size).toBe(0);
    expect(offlineVerifiable(["QR-SOMEONE-IMPORTED-BY-HAND"]).size).toBe(0);
  });
});

test("a door's snapshot waits for the badge directory to be read whole (a part would misjudge the codes)", async () => {
  let loaded: () => void = () => undefined;
  const peopleLoaded = new Promise<void>((resolve) => {
    loaded = resolve;
  });
  const people: Person[] = [];
  const session = sessionRecord({
    name: "Snapshot room",
    location: "A",
    startTime: new Date(Date.now() - 60_000),
    endTime: new Date(Date.now() + 3600_000),
    capacity: 0,
  });
  const snapshots = createSnapshots({
    door: { roster: async () => ({ registrations: new Map(), where: new Map() }) },
    sessions: { require: async () => session },
    people: () => people,
    peopleLoaded: () => peopleLoaded,
    lateThresholdMinutes: () => 10,
  });
  let taken: DoorSnapshot | null = null;
  const pending = snapshots.get(session._id).then((s) => {
    taken = s;
  });
  await Bun.sleep(20);
  expect(taken).toBeNull();
  // The directory is read: everyone is there when the snapshot is made.
  const codes = Array.from({ length: 50 }, generateQrCode);
  for (const [i, qrCode] of codes.entries())
    people.push({ ...participantRecord({ name: `P${i}`, email: `p${i}@example.org` }), qrCode } as Person);
  loaded();
  await pending;
  expect((taken as DoorSnapshot | null)?.people).toHaveLength(50);
});
