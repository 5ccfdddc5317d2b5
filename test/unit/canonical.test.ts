import { describe, expect, test } from "bun:test";
import { canonicalForm, isCanonical, isInternalPath } from "../../src/http/canonical";

describe("one spelling per address", () => {
  test.each([
    ["/metrics", "/metrics"],
    ["/metrics/", "/metrics"],
    ["//metrics", "/metrics"],
    ["/metrics//", "/metrics"],
    ["/%6Detrics", "/metrics"],
    ["/%6detrics", "/metrics"],
    ["/api/v1/sessions/", "/api/v1/sessions"],
    ["/api//v1/sessions", "/api/v1/sessions"],
    ["/api/v1/participants/qr/A%20B", "/api/v1/participants/qr/A%20B"],
    ["/api/v1/participants/qr/A%2fB", "/api/v1/participants/qr/A%2FB"],
    ["/", "/"],
  ])("%p is spelled %p", (path, canonical) => {
    expect(canonicalForm(path)).toBe(canonical);
    expect(isCanonical(path)).toBe(path === canonical);
  });

  test("every spelling of the metrics path is internal", () => {
    for (const path of ["/metrics", "/metrics/", "//metrics", "/%6Detrics", "/METRICS"])
      expect(isInternalPath(path)).toBe(true);
    expect(isInternalPath("/api/v1/health/metrics")).toBe(false);
  });
});
