import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { BUNDLE, buildDoorBundle } from "../../deploy/local/bundle";

// The door's browser script is built from src/door/browser; the built file is what every
// runtime serves, so it must be the build of the sources as they are.
test("public/scanner.js is the bundle of src/door/browser as it is now (run `npm run bundle`)", async () => {
  expect(readFileSync(BUNDLE, "utf8") === (await buildDoorBundle())).toBe(true);
});
