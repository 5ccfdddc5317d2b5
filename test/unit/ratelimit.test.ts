import { expect, test } from "bun:test";
import { assessWindow } from "../../src/auth/ratelimit";

const limits = { limit: 5, ttlMs: 60_000 };

test("the limit holds across a window boundary: the previous window still counts", () => {
  // Five requests just before the minute turned, a sixth just after.
  expect(assessWindow(1, 5, 0.01, limits)).toEqual({ limited: true, retryAfter: 24 });
  expect(assessWindow(5, 0, 0.5, limits)).toEqual({ limited: false });
  expect(assessWindow(6, 0, 0.5, limits)).toEqual({ limited: true, retryAfter: 30 });
});

test("the previous window fades out, so a steady caller is let through again", () => {
  expect(assessWindow(3, 4, 0.75, limits)).toEqual({ limited: false });
  expect(assessWindow(3, 4, 0.25, limits)).toEqual({ limited: true, retryAfter: 30 });
  expect(assessWindow(1, 9, 0.99, limits).limited).toBe(false);
});
