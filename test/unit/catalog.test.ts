import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DOOR_WORDS } from "../../src/door/words";
import { FR } from "../../src/i18n/fr";
import { chooseLocale, fromAcceptLanguage, type Text, translate } from "../../src/i18n/locale";
import { APP_WORDS } from "../../src/web/script-words";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)/g)].map((m) => m[1]).sort();

describe("the French catalog", () => {
  test("has a non-empty translation for every text, with the same placeholders", () => {
    const entries = Object.entries(FR);
    expect(entries.length).toBeGreaterThan(300);
    for (const [en, fr] of entries) {
      expect(fr.trim().length, en).toBeGreaterThan(0);
      expect([...new Set(placeholders(fr))], en).toEqual([...new Set(placeholders(en))]);
    }
  });

  test("every text is used somewhere: the catalog carries no dead entries", () => {
    const root = join(import.meta.dir, "../..");
    const sources = Bun.spawnSync(["git", "ls-files", "src", "views", "public"], { cwd: root })
      .stdout.toString()
      .split("\n")
      .filter((f) => /\.(ts|tsx|js)$/.test(f) && !f.endsWith("i18n/fr.ts"))
      .map((f) => readFileSync(join(root, f), "utf8"))
      .join("\n");
    const unused = Object.keys(FR).filter(
      (k) => !sources.includes(JSON.stringify(k)) && !sources.includes(`'${k}'`),
    );
    expect(unused).toEqual([]);
  });

  test("every word the page scripts write is in their list, so the page hands it over", () => {
    const root = join(import.meta.dir, "../..");
    const said = (file: string) =>
      [...readFileSync(join(root, file), "utf8").matchAll(/\bsay\("((?:[^"\\]|\\.)*)"/g)].map((m) =>
        JSON.parse(`"${m[1]}"`),
      );
    const app = said("public/app.js");
    // The door's script is written in TypeScript (its `say` only takes the door's words) and bundled.
    const door = readdirSync(join(root, "src/door/browser")).flatMap((file) =>
      said(`src/door/browser/${file}`),
    );
    expect(app.length).toBeGreaterThan(5);
    expect(door.length).toBeGreaterThan(20);
    for (const text of app) expect(APP_WORDS as readonly string[]).toContain(text);
    for (const text of door) expect(DOOR_WORDS as readonly string[]).toContain(text);
  });
});

describe("words in a language", () => {
  test("placeholders are filled, counts written and plurals chosen the language's way", () => {
    const text: Text = "{total} found · page {page} of {pages}";
    expect(translate("en", text, { total: 1234, page: 1, pages: 2 })).toBe("1,234 found · page 1 of 2");
    expect(translate("fr", text, { total: 1234, page: 1, pages: 2 })).toBe(
      "1\u202f234 trouvés · page 1 sur 2",
    );
    expect(translate("fr", text, { total: 1, page: 1, pages: 1 })).toBe("1 trouvé · page 1 sur 1");
    expect(translate("en", "{n} {n|badge|badges} · print on A4, 8 per page", { n: 1 })).toStartWith(
      "1 badge ·",
    );
    expect(translate("en", "{n} {n|badge|badges} · print on A4, 8 per page", { n: 3 })).toStartWith(
      "3 badges ·",
    );
  });

  test("the reader's language: this device's switch, then the account's, then the browser's", () => {
    expect(fromAcceptLanguage("fr-FR,fr;q=0.9,en;q=0.8")).toBe("fr");
    expect(fromAcceptLanguage("de-DE,en-GB;q=0.8,fr;q=0.5")).toBe("en");
    expect(fromAcceptLanguage("de, fr;q=0")).toBeNull();
    expect(fromAcceptLanguage(undefined)).toBeNull();
    expect(chooseLocale({ acceptLanguage: "fr" })).toBe("fr");
    expect(chooseLocale({ account: "en", acceptLanguage: "fr" })).toBe("en");
    expect(chooseLocale({ chosen: "fr", account: "en", acceptLanguage: "en" })).toBe("fr");
    expect(chooseLocale({ chosen: "xx", acceptLanguage: "de" })).toBe("en");
  });
});
