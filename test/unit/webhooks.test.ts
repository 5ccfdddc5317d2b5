import { describe, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { backoffMs, eventOfEntry, newSecret, sendLock, signedHeaders } from "../../src/webhooks/events";
import { isPublicAddress } from "../../src/webhooks/targets";

describe("webhook rules", () => {
  test("each door action is its own event; refusals are none", () => {
    expect(eventOfEntry({ action: "scan", outcome: "accept", reason: "ok" })).toBe("checkin.admitted");
    expect(eventOfEntry({ action: "accept", outcome: "accept", reason: "ok" })).toBe("checkin.admitted");
    expect(eventOfEntry({ action: "scan", outcome: "accept", reason: "reentry" })).toBe("checkin.reentered");
    expect(eventOfEntry({ action: "checkout", outcome: "done", reason: "left the session" })).toBe(
      "checkin.exited",
    );
    expect(eventOfEntry({ action: "move", outcome: "done", reason: "moved" })).toBe("checkin.moved");
    expect(eventOfEntry({ action: "undo", outcome: "done", reason: "undone" })).toBe("checkin.undone");
    expect(eventOfEntry({ action: "decline", outcome: "declined", reason: "no" })).toBe("checkin.declined");
    expect(eventOfEntry({ action: "scan", outcome: "refuse", reason: "session_full" })).toBeNull();
    expect(eventOfEntry({ action: "scan", outcome: "already", reason: "already_checked_in" })).toBeNull();
  });

  test("a signature verifies with the Standard Webhooks library, and not with another secret or body", () => {
    const secret = newSecret();
    const body = JSON.stringify({ type: "checkin.admitted", data: { sequence: 1 } });
    const headers = signedHeaders(secret, "msg_1", body, new Date());
    expect(headers["webhook-signature"]).toMatch(/^v1,/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });

  test("retries back off, doubling, at most 10 minutes apart", () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 5000))).toEqual([5000, 10_000, 20_000, 40_000]);
    expect(backoffMs(30, 5000)).toBe(600_000);
  });

  test("only public addresses are public", () => {
    for (const address of [
      "127.0.0.1",
      "10.0.0.8",
      "172.16.4.1",
      "192.168.1.1",
      "169.254.169.254",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "0.0.0.0",
      "100.64.0.1",
    ])
      expect(isPublicAddress(address)).toBe(false);
    for (const address of ["93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
      expect(isPublicAddress(address)).toBe(true);
    expect(isPublicAddress("not an address")).toBe(false);
  });
});

test("the send lock outlives a round's last attempt, whatever time-out the operator allows", () => {
  // A round starts no attempt after 15 s; its last may take the whole time-out.
  for (const timeoutMs of [100, 10_000, 90_000, 120_000])
    expect(sendLock(timeoutMs).ttlMs).toBeGreaterThan(15_000 + timeoutMs);
});
