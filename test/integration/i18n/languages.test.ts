import { afterAll, beforeAll, expect, test } from "bun:test";
import { FR } from "../../../src/i18n/fr";
import { LOCALE_NAMES } from "../../../src/i18n/locale";
import { participantDoc, registrationDoc, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess } from "../../helpers/instance";

// Every page the app registers, rendered in English and in French from the same data:
// any text people read that is the same in both (beside the data itself and the words the
// catalog declares the same in both languages) was never translated, and fails here.

let inst: InProcess;
const session = sessionDoc({ name: "Salle Carthage", location: "Aile B", capacity: 10, walkIns: true });
const zoe = participantDoc(1, { name: "Zoë Durand", organization: "ENIT", doorNote: "Fauteuil roulant" });
const ali = participantDoc(2, { name: "Ali Ben Salah", organization: "INSAT" });
const people = [zoe, ali];
const ids: Record<string, string> = {};

beforeAll(async () => {
  inst = await inProcess("languages");
  await inst.db.collection("sessions").insertOne(session);
  await inst.db.collection("participants").insertMany(people);
  await inst.db.collection("registrations").insertOne(registrationDoc(zoe._id, session._id));
  const scanned = await inst.call("POST", "/api/v1/scan", {
    qrCode: zoe.qrCode,
    sessionId: String(session._id),
  });
  expect(scanned.body.data.outcome).toBe("accept");
  // An admin change, so the log page lists one.
  await inst.call("PATCH", `/api/v1/participants/${ali._id}`, { organization: "INSAT Tunis" });
  Object.assign(ids, {
    id: String(session._id),
    sessionId: String(session._id),
    participantId: String(zoe._id),
    checkInId: String(scanned.body.data.checkIn._id),
  });
});

afterAll(async () => {
  await inst.stop();
});

/** What people read on a page: its text, and the attributes browsers show or speak. */
function readable(html: string): string[] {
  const decode = (s: string) =>
    s
      .replaceAll("&lt;", "<")
      .replaceAll("&gt;", ">")
      .replaceAll("&quot;", '"')
      .replaceAll("&#39;", "'")
      .replaceAll("&amp;", "&");
  // Scripts, styles and code (badge codes, token prefixes, logged documents) are not prose.
  const body = html.replace(/<(script|style|code)\b[^>]*>[\s\S]*?<\/\1>/g, "");
  const attributes = [...body.matchAll(/\s(?:title|placeholder|aria-label|alt|hx-confirm)="([^"]*)"/g)].map(
    (m) => m[1] ?? "",
  );
  const texts = body.split(/<[^>]*>/);
  return [...texts, ...attributes].map((s) => decode(s).replace(/\s+/g, " ").trim()).filter(Boolean);
}

/** Data and words that are rightly the same in both languages. */
function sameInBoth(): string[] {
  const data = [session, ...people].flatMap((doc) =>
    Object.values(doc).filter((v): v is string => typeof v === "string"),
  );
  const declared = Object.entries(FR)
    .filter(([en, fr]) => en === fr && !/\{/.test(en))
    .map(([en]) => en);
  return [
    ...data,
    ...declared,
    ...Object.values(LOCALE_NAMES),
    "UTC",
    "INSAT Tunis",
    "QR-NOBODY-HERE",
    "admin (test)",
    "scanner (test)",
  ]
    .filter((s) => s.length > 0)
    .sort((a, b) => b.length - a.length);
}

/** A text node still in English: some word of three letters or more left once data is taken out. */
function untranslated(text: string, allowed: string[]): boolean {
  let rest = text;
  for (const word of allowed) rest = rest.replaceAll(word, " ");
  return /\p{L}{3,}/u.test(rest.replace(/\b[0-9a-f]{24}\b/g, ""));
}

function fill(path: string): string {
  return path.replace(/:(\w+)/g, (_, name: string) => ids[name] ?? (ids.id as string));
}

async function page(path: string, language: string, method = "GET", form?: Record<string, string>) {
  const response = await inst.app.handle(
    new Request(`http://test.local${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await inst.tokenFor("admin")}`,
        "accept-language": language,
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(form ? { body: new URLSearchParams(form) } : {}),
    }),
  );
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    html: await response.text(),
  };
}

test("every page and fragment reads in French with no English left, and in English", async () => {
  const routes = (inst.app.routes as { method: string; path: string }[]).filter(
    (r) =>
      r.method === "GET" &&
      !r.path.startsWith("/api/") &&
      !/[*]|\/ws$|\.csv$|snapshot|^\/assets/.test(r.path),
  );
  expect(routes.length).toBeGreaterThan(15);
  const allowed = sameInBoth();
  const problems: string[] = [];
  let pages = 0;
  for (const route of routes) {
    const path = fill(route.path);
    const [en, fr] = [await page(path, "en"), await page(path, "fr-FR,fr;q=0.9")];
    if (!fr.type.startsWith("text/html") || fr.status >= 300) continue;
    pages++;
    // A placeholder left unfilled is a raw key in disguise.
    expect(readable(fr.html).join("\n")).not.toMatch(/\{\w+(\|[^}]*)?\}/);
    const english = new Set(readable(en.html));
    for (const text of readable(fr.html)) {
      if (english.has(text) && untranslated(text, allowed)) problems.push(`${route.path}: "${text}"`);
    }
  }
  expect(pages).toBeGreaterThan(12);
  expect(problems).toEqual([]);
});

test("the door's verdicts read in French too", async () => {
  const door = `/scan/${ids.sessionId}`;
  const asks: Record<string, string>[] = [
    { code: zoe.qrCode },
    { code: ali.qrCode },
    { code: "QR-NOBODY-HERE" },
    { code: zoe.qrCode, direction: "exit" },
  ];
  const allowed = sameInBoth();
  const problems: string[] = [];
  for (const form of asks) {
    const [en, fr] = [await page(door, "en", "POST", form), await page(door, "fr", "POST", form)];
    expect(fr.status).toBeLessThan(500);
    const english = new Set(readable(en.html));
    for (const text of readable(fr.html))
      if (english.has(text) && untranslated(text, allowed))
        problems.push(`${JSON.stringify(form)}: "${text}"`);
  }
  expect(problems).toEqual([]);
});

test("the JSON API keeps its codes and English message, and says it in the language asked for beside them", async () => {
  const ask = async (language: string) => {
    const response = await inst.app.handle(
      new Request("http://test.local/api/v1/scan", {
        method: "POST",
        headers: {
          authorization: `Bearer ${await inst.tokenFor("scanner")}`,
          "content-type": "application/json",
          "accept-language": language,
        },
        body: JSON.stringify({ qrCode: "QR-NOBODY-HERE", sessionId: ids.sessionId }),
      }),
    );
    return (await response.json()) as {
      message: string;
      localizedMessage?: string;
      data: { reason: string };
    };
  };
  const [en, fr] = [await ask("en-GB"), await ask("fr")];
  expect(en.data.reason).toBe("unknown_code");
  expect(fr.data.reason).toBe("unknown_code");
  // `message` stays English for the clients that match it; the language asked for comes beside it.
  expect(en.message).toBe("Badge code not found");
  expect(en.localizedMessage).toBeUndefined();
  expect(fr.message).toBe("Badge code not found");
  expect(fr.localizedMessage).toBe(FR["Badge code not found"]);
});

test("exports people read have their header row in the reader's language; English keeps the field names", async () => {
  const header = async (language: string) =>
    (await page(`/api/v1/sessions/${ids.sessionId}/attendance.csv`, language)).html.split("\n")[0]?.trim();
  expect(await header("en")).toBe(
    "name,email,organization,checkInTime,isLate,badge,method,checkedOutAt,minutes,percent,credited,credits",
  );
  expect(await header("fr")).toBe(
    [
      "nom",
      "e-mail",
      "organisation",
      "heure d’entrée",
      "en retard",
      "badge",
      "méthode",
      "heure de sortie",
      "minutes",
      "pourcentage",
      "crédités",
      "crédits",
    ].join(","),
  );
});

test("the switch sets this device's language and goes back to the page it was used on, on this site only", async () => {
  const go = (to: string, referer?: string) =>
    inst.app.handle(
      new Request(`http://test.local/language?to=${to}`, { headers: referer ? { referer } : {} }),
    );
  const switched = await go("fr", "http://test.local/login?next=%2Flive");
  expect(switched.status).toBe(303);
  expect(switched.headers.get("location")).toBe("/login?next=%2Flive");
  const cookie = String(switched.headers.get("set-cookie")).split(";")[0] as string;
  expect(cookie).toBe("checkin_lang=fr");
  // The device's choice wins over the browser's.
  const login = await inst.app.handle(
    new Request("http://test.local/login", { headers: { cookie, "accept-language": "en" } }),
  );
  expect(await login.text()).toContain('<html lang="fr">');
  expect((await go("en", "https://evil.example/phish")).headers.get("location")).toBe("/");
  expect((await go("de")).status).toBe(400);
});

test("an account's language is its pages' language on any device that has not switched", async () => {
  const created = await inst.call("POST", "/api/v1/auth/accounts", {
    email: "francophone@example.org",
    name: "Francophone",
    role: "viewer",
    password: "correct horse battery",
    language: "fr",
  });
  expect(created.status).toBe(201);
  const signedIn = await inst.app.handle(
    new Request("http://test.local/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: "francophone@example.org", password: "correct horse battery" }),
    }),
  );
  expect(signedIn.status).toBe(303);
  const cookie = (signedIn.headers.getSetCookie?.() ?? []).map((c) => c.split(";")[0]).join("; ");
  const page = await inst.app.handle(
    new Request("http://test.local/live", { headers: { cookie, "accept-language": "en-GB" } }),
  );
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<html lang="fr">');
});
