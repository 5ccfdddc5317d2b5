import { expect, test } from "bun:test";
import { path, withQuery } from "../../src/web/paths";

test("a path gives its URL for its parameters, and keeps its pattern for the route", () => {
  const undo = path("/scan/:sessionId/undo");
  expect(undo.pattern).toBe("/scan/:sessionId/undo");
  expect(undo({ sessionId: "abc" })).toBe("/scan/abc/undo");
  const two = path("/admin/participants/:id/checkins/:checkInId/undo");
  expect(two({ id: "p 1", checkInId: "c/2" })).toBe("/admin/participants/p%201/checkins/c%2F2/undo");
  expect(path("/live")()).toBe("/live");
  expect(withQuery("/admin/registrations", { session: "s1", status: "", page: 2 })).toBe(
    "/admin/registrations?session=s1&page=2",
  );
});
