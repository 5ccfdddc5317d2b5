import { describe, expect, test } from "bun:test";
import { safeNext } from "../../src/auth/landing";

describe("after sign-in, only a path on this site", () => {
  test.each([
    ["/live", "/live"],
    ["/reports?day=2#top", "/reports?day=2#top"],
    ["//evil.example/x", "/scan"],
    ["/\\evil.example", "/scan"],
    ["/\\/evil.example", "/scan"],
    ["https://evil.example", "/scan"],
    ["/%0a/evil", "/scan"],
    ["/.//evil.example", "/scan"],
    ["/..//evil.example", "/scan"],
    ["/%2e//evil.example", "/scan"],
    ["/\tevil", "/scan"],
    ["", "/scan"],
    [undefined, "/scan"],
  ])("%p goes to %p", (next, expected) => {
    expect(safeNext(next as string | undefined, "scanner")).toBe(expected);
  });
});

describe("each role lands on a page it may open", () => {
  test.each([
    ["viewer", undefined, "/live"],
    ["viewer", "/", "/live"],
    ["viewer", "/scan", "/live"],
    ["viewer", "/admin/participants", "/live"],
    ["viewer", "/reports", "/reports"],
    ["scanner", "/", "/scan"],
    ["scanner", "/admin/participants", "/scan"],
    ["scanner", "/live", "/live"],
    ["admin", "/admin/participants", "/admin/participants"],
    ["admin", "/login", "/scan"],
  ] as const)("a %p sent to %p lands on %p", (role, next, expected) => {
    expect(safeNext(next, role)).toBe(expected);
  });
});
