import { expect, test } from "bun:test";
import { renderFor, tAttr } from "../../src/web/reader";

// Two pages rendered at once, each awaiting in the middle: each keeps its own reader.
test("a view that awaits keeps its own reader's language", async () => {
  const page = (locale: "en" | "fr", waitMs: number) =>
    renderFor({ locale, role: "viewer" }, async () => {
      const before = tAttr("Sign out");
      await Bun.sleep(waitMs);
      return [before, tAttr("Sign out")];
    });
  const [en, fr] = await Promise.all([page("en", 20), page("fr", 5)]);
  expect(en).toEqual(["Sign out", "Sign out"]);
  expect(fr).toEqual(["Se déconnecter", "Se déconnecter"]);
});
