import { expect, test } from "bun:test";
import { maySession } from "../../src/auth/policy";

test("only a scanner with a non-empty assignment is limited to its sessions", () => {
  expect(maySession({ role: "scanner", sessions: ["a"] }, "a")).toBe(true);
  expect(maySession({ role: "scanner", sessions: ["a"] }, "b")).toBe(false);
  expect(maySession({ role: "scanner" }, "b")).toBe(true);
  expect(maySession({ role: "admin", sessions: ["a"] }, "b")).toBe(true);
  expect(maySession({ role: "viewer", sessions: ["a"] }, "b")).toBe(true);
});
