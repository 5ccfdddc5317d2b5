import { expect, test } from "bun:test";
import { controlCharacterField } from "../../src/http/input";

test("control characters are found by field, tabs and newlines are not", () => {
  expect(controlCharacterField({ name: "Ada\u0000", email: "a@b.c" })).toBe("name");
  expect(controlCharacterField({ sessions: [{ name: "ok" }, { name: "bad\u001b[31m" }] })).toBe(
    "sessions.1.name",
  );
  expect(controlCharacterField({ notes: "line one\nline two\tindented\r\n" })).toBeNull();
  expect(controlCharacterField("x\u007f")).toBe("body");
  expect(controlCharacterField({ count: 3, flag: true, none: null })).toBeNull();
  // Form bodies are parsed into objects without a prototype.
  expect(controlCharacterField(Object.assign(Object.create(null), { name: "a\u0000b" }))).toBe("name");
});
