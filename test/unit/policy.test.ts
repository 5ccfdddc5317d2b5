import { describe, expect, test } from "bun:test";
import { clientAddress } from "../../src/auth/plugin";
import { maySession } from "../../src/auth/policy";

test("only a scanner with a non-empty assignment is limited to its sessions", () => {
  expect(maySession({ role: "scanner", sessions: ["a"] }, "a")).toBe(true);
  expect(maySession({ role: "scanner", sessions: ["a"] }, "b")).toBe(false);
  expect(maySession({ role: "scanner" }, "b")).toBe(true);
  expect(maySession({ role: "admin", sessions: ["a"] }, "b")).toBe(true);
  expect(maySession({ role: "viewer", sessions: ["a"] }, "b")).toBe(true);
});

describe("the client's address", () => {
  const headers = new Headers({ "x-forwarded-for": "203.0.113.9, 10.0.0.1" });
  test("a trusted proxy's forwarded address is believed: the last hop it heard from", () => {
    expect(clientAddress("127.0.0.1", headers, ["127.0.0.1"])).toBe("10.0.0.1");
    expect(clientAddress("127.0.0.1", headers, ["127.0.0.1", "10.0.0.1"])).toBe("203.0.113.9");
    expect(clientAddress("127.0.0.1", new Headers({ "x-real-ip": "192.0.2.4" }), ["127.0.0.1"])).toBe(
      "192.0.2.4",
    );
    // A proxy in front of Nginx: its own address in X-Real-IP is not the client.
    const behind = new Headers({ "x-real-ip": "10.0.0.9", "x-forwarded-for": "203.0.113.5, 10.0.0.9" });
    expect(clientAddress("127.0.0.1", behind, ["127.0.0.1", "10.0.0.9"])).toBe("203.0.113.5");
  });
  test("anyone else's is ignored: the peer is the client", () => {
    expect(clientAddress("198.51.100.7", headers, ["127.0.0.1"])).toBe("198.51.100.7");
  });
  test("a trusted proxy that forwards nothing is itself the client", () => {
    expect(clientAddress("127.0.0.1", new Headers(), ["127.0.0.1"])).toBe("127.0.0.1");
  });
});
