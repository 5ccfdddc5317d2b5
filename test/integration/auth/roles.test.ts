import { afterAll, beforeAll, expect, test } from "bun:test";
import { requirement } from "../../../src/auth/policy";
import { canonicalForm } from "../../../src/http/canonical";
import { participantDoc, registrationDoc, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess } from "../../helpers/instance";

// Every route the app registers (read from the app, so a new route is covered without
// editing this file), asked by each role below admin: no answer names a seeded
// person's badge code, e-mail or phone, and no write goes through for a viewer.

let inst: InProcess;
const session = sessionDoc({ name: "Roles room", capacity: 10 });
const person = participantDoc(1, { phone: "+216 71 555 0199", notes: "Private note 7731" });
const ids: Record<string, string> = {};

beforeAll(async () => {
  inst = await inProcess("roles");
  await inst.db.collection("sessions").insertOne(session);
  await inst.db.collection("participants").insertOne(person);
  await inst.db.collection("registrations").insertOne(registrationDoc(person._id, session._id));
  const scanned = await inst.call("POST", "/api/v1/scan", {
    qrCode: person.qrCode,
    sessionId: String(session._id),
  });
  expect(scanned.body.data.outcome).toBe("accept");
  Object.assign(ids, {
    id: String(session._id),
    sessionId: String(session._id),
    participantId: String(person._id),
    checkInId: String(scanned.body.data.checkIn._id),
    qrCode: person.qrCode,
  });
});

afterAll(async () => {
  await inst.stop();
});

/** The route's path with its parameters filled from the seed (a check-in id where the route is about check-ins). */
function fill(path: string): string {
  return path.replace(/:(\w+)/g, (_, name: string) => {
    if (name === "id" && path.startsWith("/api/v1/checkin/")) return ids.checkInId as string;
    if (name === "id" && path.startsWith("/api/v1/participants/")) return ids.participantId as string;
    return ids[name] ?? (ids.id as string);
  });
}

const routes = () =>
  (inst.app.routes as { method: string; path: string }[]).filter((r) => !r.path.includes("*"));

const secrets = [person.qrCode, person.email, person.phone as string, person.notes as string];

/** Fails when the answer names a seeded secret the caller did not send itself. */
function assertNoSecret(text: string, sent: string, what: string) {
  // What the caller sent (a code in the path, echoed in an error) is not a leak.
  for (const secret of secrets.filter((s) => !sent.includes(s))) {
    if (text.includes(secret)) throw new Error(`${what} answered with "${secret}"`);
  }
}

/** The same route spelled the ways a router may still match it. */
const spellings = (path: string) => {
  const [bare = "", query] = path.split("?");
  const q = query ? `?${query}` : "";
  return [path, `${bare}/${q}`, `/${bare}${q}`, `${bare.replace(/\.csv$/, "%2Ecsv")}${q}`];
};

test("no answer to a viewer or a scanner carries a badge code, an e-mail or a phone", async () => {
  const reads = routes().filter((r) => r.method === "GET");
  expect(reads.length).toBeGreaterThan(30);
  for (const role of ["viewer", "scanner"] as const) {
    let answered = 0;
    for (const route of reads) {
      for (const path of spellings(fill(route.path))) {
        const response = await inst.app.handle(
          new Request(`http://test.local${path}`, {
            headers: { authorization: `Bearer ${await inst.tokenFor(role)}` },
          }),
        );
        if (response.status === 200 && path === fill(route.path)) answered++;
        assertNoSecret(await response.text(), path, `${role} GET ${path}`);
      }
    }
    // The walk reads real data, not a wall of refusals.
    expect(answered).toBeGreaterThan(role === "viewer" ? 15 : 20);
  }
});

test("the door's own answers to a scanner name the person without their contact data", async () => {
  const token = await inst.tokenFor("scanner");
  const sessionId = ids.sessionId as string;
  const asks: [string, string, Record<string, unknown>][] = [
    ["POST", "/api/v1/scan", { qrCode: person.qrCode, sessionId }],
    ["POST", "/api/v1/checkin/verify-qr", { qrCode: person.qrCode, sessionId }],
    ["POST", "/api/v1/checkin/decline", { participantId: ids.participantId, sessionId, reason: "test" }],
    ["POST", "/api/v1/checkin/accept", { participantId: ids.participantId, sessionId }],
  ];
  for (const [method, path, body] of asks) {
    const response = await inst.app.handle(
      new Request(`http://test.local${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    const text = await response.text();
    expect(response.status).toBeLessThan(500);
    expect(text).toContain(person.name);
    assertNoSecret(text, JSON.stringify(body), `scanner ${method} ${path}`);
  }
  const search = await inst.app.handle(
    new Request(`http://test.local/scan/${sessionId}/search?q=${encodeURIComponent(person.name)}`, {
      headers: { authorization: `Bearer ${token}` },
    }),
  );
  const found = await search.text();
  expect(found).toContain(person.name);
  assertNoSecret(found, "", "scanner door search");
});

test("every write refuses a viewer, and those not at the door refuse a scanner", async () => {
  const writes = routes().filter((r) => !["GET", "HEAD", "OPTIONS", "WS"].includes(r.method));
  expect(writes.length).toBeGreaterThan(20);
  for (const route of writes) {
    // Routes declared as "/" under a prefix list a trailing slash; clients use the one canonical spelling.
    const path = canonicalForm(fill(route.path));
    const need = requirement(route.method, path);
    if (need === "public") continue;
    for (const role of ["viewer", "scanner"] as const) {
      if (role === "scanner" && need === "scanner") continue;
      const response = await inst.app.handle(
        new Request(`http://test.local${path}`, {
          method: route.method,
          headers: {
            authorization: `Bearer ${await inst.tokenFor(role)}`,
            "content-type": "application/json",
          },
          body: "{}",
        }),
      );
      if (response.status !== 403)
        throw new Error(`${role} ${route.method} ${route.path} answered ${response.status}`);
    }
  }
  expect(await inst.db.collection("participants").countDocuments({})).toBe(1);
});

test("pages offer only what the reader's role opens: a viewer's dashboard and menu lead to no door", async () => {
  const dashboard = async (role: "viewer" | "scanner") =>
    (
      await inst.app.handle(
        new Request(`http://test.local/live/${ids.sessionId}`, {
          headers: { authorization: `Bearer ${await inst.tokenFor(role)}` },
        }),
      )
    ).text();
  const [viewer, scanner] = [await dashboard("viewer"), await dashboard("scanner")];
  expect(viewer).not.toContain('href="/scan');
  expect(viewer).not.toContain('href="/admin/');
  expect(scanner).toContain(`href="/scan/${ids.sessionId}"`);
  expect(scanner).not.toContain('href="/admin/');
});
