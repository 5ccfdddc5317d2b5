import { describe, expect, test } from "bun:test";
import {
  countedOnLease,
  differsFromDoor,
  type OfflineFacts,
  offlineDecision,
  takesSeat,
} from "../../src/door/offline-decision";

// The door's own verdict offline: the server's rule on the snapshot, and a seat only from
// the door's lease, so two doors offline cannot give the same seat away.

const session: OfflineFacts["session"] = {
  name: "Room",
  status: "open",
  startTime: new Date(Date.now() - 60_000).toISOString(),
  endTime: new Date(Date.now() + 3600_000).toISOString(),
  capacity: 4,
  capacityEnforced: true,
  requiresRegistration: false,
  capacityMode: "admissions",
  lateThresholdMinutes: 10,
};
const facts = (
  patch: Partial<OfflineFacts> = {},
  room: Partial<OfflineFacts["session"]> = {},
): OfflineFacts => ({
  session: { ...session, ...room },
  person: { registration: "confirmed", where: "" },
  admitted: 1,
  inside: 1,
  now: new Date(),
  leaseLeft: 2,
  ...patch,
});

describe("offline decision with seat leases", () => {
  test("an admission against a lease with seats left is accepted", () => {
    expect(offlineDecision(facts())).toMatchObject({ outcome: "accept", reason: "ok" });
  });

  test("a lease used up (or none held) refuses in its own words while the room may still have seats", () => {
    expect(offlineDecision(facts({ leaseLeft: 0 }))).toMatchObject({
      outcome: "refuse",
      reason: "offline_share_used_up",
      badge: null,
    });
    expect(offlineDecision(facts({ leaseLeft: null })).reason).toBe("offline_share_used_up");
  });

  test("a room the snapshot knows full says so, not the lease", () => {
    expect(offlineDecision(facts({ admitted: 4, leaseLeft: 0 })).reason).toBe("session_full");
  });

  test("without enforced capacity no lease is needed", () => {
    expect(offlineDecision(facts({ leaseLeft: null }, { capacityEnforced: false })).outcome).toBe("accept");
  });

  test("a re-entry takes a seat only where exits free seats", () => {
    const back = { person: { registration: "confirmed", where: "out" as const }, leaseLeft: 0 };
    expect(offlineDecision(facts(back)).reason).toBe("reentry");
    expect(offlineDecision(facts(back, { capacityMode: "occupancy" })).reason).toBe("offline_share_used_up");
    expect(offlineDecision(facts({ ...back, leaseLeft: 1 }, { capacityMode: "occupancy" })).reason).toBe(
      "reentry",
    );
  });

  test("refusals other than capacity keep their own reason", () => {
    expect(offlineDecision(facts({ person: { registration: "", where: "" }, leaseLeft: 0 }))).toMatchObject({
      outcome: "decide",
      reason: "not_registered",
    });
    expect(offlineDecision(facts({ person: { registration: "confirmed", where: "in" } })).outcome).toBe(
      "already",
    );
  });

  test("which admissions take a seat", () => {
    expect(takesSeat(session, "ok")).toBe(true);
    expect(takesSeat(session, "reentry")).toBe(false);
    expect(takesSeat({ ...session, capacityMode: "occupancy" }, "reentry")).toBe(true);
    expect(takesSeat({ ...session, capacityEnforced: false }, "ok")).toBe(false);
    expect(takesSeat(session, "offline_share_used_up")).toBe(false);
  });
});

describe("the door's verdict against the server's, after a sync", () => {
  test("an admission refused, or a refusal admitted, differs; 'unknown' and overtaken history never do", () => {
    expect(differsFromDoor("ok", { outcome: "refuse", reason: "session_full" })).toBe(true);
    expect(differsFromDoor("ok", { outcome: "accept", reason: "ok" })).toBe(false);
    expect(differsFromDoor("session_full", { outcome: "accept", reason: "ok" })).toBe(true);
    expect(differsFromDoor("session_full", { outcome: "refuse", reason: "session_full" })).toBe(false);
    expect(differsFromDoor("unknown", { outcome: "refuse", reason: "not_registered" })).toBe(false);
    expect(differsFromDoor("ok", { outcome: "refuse", reason: "superseded" })).toBe(false);
  });
  test("'already in' let the person walk in: the server agreeing or admitting again is the same", () => {
    expect(differsFromDoor("already_checked_in", { outcome: "already", reason: "already_checked_in" })).toBe(
      false,
    );
    expect(differsFromDoor("already_checked_in", { outcome: "accept", reason: "reentry" })).toBe(false);
    expect(differsFromDoor("already_checked_in", { outcome: "refuse", reason: "session_full" })).toBe(true);
    expect(differsFromDoor("already_checked_in", { outcome: "refused" })).toBe(true);
  });
  test("only an admission or a re-entry was counted on the door's lease", () => {
    expect(["ok", "reentry", "already_checked_in", "unknown", "session_full"].filter(countedOnLease)).toEqual(
      ["ok", "reentry"],
    );
  });
});
