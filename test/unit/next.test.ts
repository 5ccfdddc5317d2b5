import { describe, expect, test } from "bun:test";
import { safeNext } from "../../src/auth/routes";

describe("after sign-in, only a path on this site", () => {
  test.each([
    ["/live", "/live"],
    ["/reports?day=2#top", "/reports?day=2#top"],
    ["//evil.example/x", "/scan"],
    ["/\\evil.example", "/scan"],
    ["/\\/evil.example", "/scan"],
    ["https://evil.example", "/scan"],
    ["/%0a/evil", "/%0a/evil"],
    ["/.//evil.example", "/scan"],
    ["/..//evil.example", "/scan"],
    ["/%2e//evil.example", "/scan"],
    ["/\tevil", "/scan"],
    ["", "/scan"],
    [undefined, "/scan"],
  ])("%p goes to %p", (next, expected) => {
    expect(safeNext(next as string | undefined)).toBe(expected);
  });
});
