import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import type { Role } from "../../../src/auth/policy";
import { loadConfig } from "../../../src/config";
import { createUser, seededInProcess, sessionDoc, tokenHeaders } from "../../helpers/fixtures";
import type { Served as Instance } from "../../helpers/instance";

// Every route × every role, on real instances: anonymous 401 (pages redirect to the
// login), too small a role 403, the right role gets through. CSRF and token revoke too.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
let b: Instance;
const headers: Partial<Record<Role, Record<string, string>>> = {};
const session = sessionDoc({ name: "Auth room" });
const otherRoom = sessionDoc({ name: "Other room" });
const ID = "0123456789abcdef01234567";

beforeAll(async () => {
  cluster = await seededInProcess("auth", 2, { sessions: [session, otherRoom] });
  [a, b] = cluster.instances as [Instance, Instance];
  for (const role of ["viewer", "scanner", "admin"] as const)
    headers[role] = await tokenHeaders(cluster.db, role);
});
afterAll(() => cluster.stop());

type Need = Role | "public";
const S = String(session._id);
const MATRIX: [string, string, Need][] = [
  ["GET", "/api/v1/health/live", "public"],
  ["GET", "/metrics", "public"],
  ["GET", "/assets/app.css", "public"],
  ["GET", "/login", "public"],
  ["GET", "/live", "viewer"],
  ["GET", `/live/${S}`, "viewer"],
  ["GET", "/api/v1/sessions", "viewer"],
  ["GET", `/api/v1/sessions/${S}`, "viewer"],
  ["GET", "/api/v1/checkin/stats", "viewer"],
  ["GET", "/api/v1/checkin/recent", "viewer"],
  ["GET", "/api/v1/settings", "viewer"],
  ["GET", "/scan", "scanner"],
  ["GET", `/scan/${S}`, "scanner"],
  ["POST", "/api/v1/scan", "scanner"],
  ["POST", "/api/v1/checkin/verify-qr", "scanner"],
  ["POST", "/api/v1/checkin/accept", "scanner"],
  ["POST", "/api/v1/checkin/decline", "scanner"],
  ["POST", "/api/v1/checkin/qr", "scanner"],
  ["POST", "/api/v1/checkin", "scanner"],
  ["POST", `/api/v1/checkin/${ID}/checkout`, "scanner"],
  ["GET", "/api/v1/participants/qr/QR-NOPE", "scanner"],
  ["GET", "/api/v1/participants", "admin"],
  ["GET", `/api/v1/participants/${ID}`, "admin"],
  ["POST", "/api/v1/participants", "admin"],
  ["PATCH", `/api/v1/participants/${ID}`, "admin"],
  ["DELETE", `/api/v1/participants/${ID}`, "admin"],
  ["POST", "/api/v1/sessions", "admin"],
  ["PATCH", `/api/v1/sessions/${S}`, "admin"],
  ["DELETE", `/api/v1/sessions/${ID}`, "admin"],
  ["GET", "/api/v1/registrations", "admin"],
  ["POST", "/api/v1/registrations", "admin"],
  // Undo: a scanner their own scan within the window (door/staff.ts), an admin any.
  ["DELETE", `/api/v1/checkin/${ID}`, "scanner"],
  ["PUT", "/api/v1/settings/timing", "admin"],
  ["GET", "/settings", "admin"],
  ["GET", "/api/v1/auth/tokens", "admin"],
  ["POST", "/api/v1/auth/tokens", "admin"],
  ["GET", "/admin/tokens", "admin"],
  ["GET", "/admin/import", "admin"],
  ["GET", "/admin/sessions", "admin"],
  ["GET", "/admin/participants", "admin"],
  ["GET", `/admin/participants/${ID}/edit`, "admin"],
  ["POST", `/admin/sessions/${ID}`, "admin"],
  ["GET", "/admin/registrations", "admin"],
  ["POST", "/admin/registrations/assign", "admin"],
  ["POST", "/admin/registrations/import", "admin"],
  ["POST", "/api/v1/registrations/import", "admin"],
  ["GET", "/api/v1/registrations/import/template", "admin"],
  ["GET", "/reports", "viewer"],
  ["GET", "/api/v1/reports/attendance.csv", "viewer"],
  ["GET", "/api/v1/participants/export.csv", "admin"],
  ["POST", "/api/v1/participants/import", "admin"],
  ["POST", "/admin/tokens", "admin"],
];
const LEVEL: Record<Need, number> = { public: 0, viewer: 1, scanner: 2, admin: 3 };

async function request(method: string, path: string, extra: Record<string, string> = {}) {
  const response = await fetch(`${a.url}${path}`, {
    method,
    redirect: "manual",
    headers: { "content-type": "application/json", ...extra },
    body: method === "GET" ? undefined : "{}",
  });
  await response.arrayBuffer();
  return response;
}

describe("the route × role matrix", () => {
  for (const [method, path, need] of MATRIX) {
    test(`${method} ${path} needs ${need}`, async () => {
      const anonymous = await request(method, path);
      if (need === "public") {
        expect([401, 403]).not.toContain(anonymous.status);
        return;
      }
      const page = method === "GET" && !path.startsWith("/api/");
      if (page) {
        expect(anonymous.status).toBe(303);
        expect(anonymous.headers.get("location")).toStartWith("/login?next=");
      } else {
        expect(anonymous.status).toBe(401);
      }
      for (const role of ["viewer", "scanner", "admin"] as const) {
        const answer = await request(method, path, headers[role]);
        if (LEVEL[role] >= LEVEL[need]) expect(`${role} ${answer.status}`).not.toMatch(/ (401|403)$/);
        else expect(`${role} ${answer.status}`).toBe(`${role} 403`);
      }
    });
  }

  test("WebSocket upgrades need a viewer", async () => {
    const closedCode = (init?: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(`${a.url.replace("http", "ws")}/ws?topics=overview`, {
          headers: init,
        } as never);
        socket.addEventListener("open", () => {
          socket.close();
          resolve("open");
        });
        socket.addEventListener("error", () => resolve("refused"));
      });
    expect(await closedCode()).toBe("refused");
    expect(await closedCode(headers.viewer)).toBe("open");
  });
});

describe("sign-in and CSRF", () => {
  test("a cookie session works for pages, and changes need the CSRF token", async () => {
    const admin = await createUser(cluster.db, "admin", "boss@example.org");
    const wrong = await fetch(`${a.url}/login`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ email: admin.email, password: "nope" }),
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("Email or password is wrong.");
    const login = await fetch(`${a.url}/login`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ email: admin.email, password: admin.password, next: "/settings" }),
    });
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe("/settings");
    const cookies = login.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    expect(login.headers.getSetCookie().find((c) => c.startsWith("checkin_session="))).toContain("HttpOnly");
    const csrf = /checkin_csrf=([^;]+)/.exec(cookies)?.[1] ?? "";

    // The session works on the other instance too (same JWT secret).
    const page = await fetch(`${b.url}/settings`, { headers: { cookie: cookies } });
    expect(page.status).toBe(200);
    const change = (extra: Record<string, string>) =>
      fetch(`${b.url}/api/v1/settings/timing`, {
        method: "PUT",
        headers: { cookie: cookies, "content-type": "application/json", ...extra },
        body: JSON.stringify({ lateThresholdMinutes: 12 }),
      });
    const forged = await change({});
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { message: string }).message).toContain("CSRF");
    expect((await change({ "x-csrf-token": "guess" })).status).toBe(403);
    expect((await change({ "x-csrf-token": csrf })).status).toBe(200);

    const open = await fetch(`${a.url}/login?next=//evil.example`);
    expect(await open.text()).not.toContain("//evil.example");
  });

  test("a cookie in its last hour is refreshed from the account as it is now", async () => {
    const user = await createUser(cluster.db, "viewer", "fading@example.org");
    const doc = await cluster.db.collection("users").findOne({ email: user.email });
    // Claims older than the account: they still say admin, the account is now a viewer.
    const secret = new TextEncoder().encode(loadConfig(cluster.env as Record<string, string>).jwtSecret);
    const jwt = await new SignJWT({ name: "Fading", role: "admin" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(String(doc?._id))
      .setIssuedAt()
      .setExpirationTime("30m")
      .sign(secret);
    const visit = () =>
      fetch(`${a.url}/settings`, { headers: { cookie: `checkin_session=${jwt}` }, redirect: "manual" });
    const refreshed = await visit();
    expect(refreshed.status).toBe(403);
    expect(refreshed.headers.getSetCookie().some((c) => c.startsWith("checkin_session="))).toBe(true);
    const disable = await fetch(`${b.url}/api/v1/auth/accounts/${doc?._id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...headers.admin },
      body: JSON.stringify({ disabled: true }),
    });
    expect(disable.status).toBe(200);
    const disabled = await visit();
    expect(disabled.status).toBe(303);
    expect(disabled.headers.get("location")).toStartWith("/login");
  });

  test("a revoked token stops working on every instance at once", async () => {
    const created = await fetch(`${a.url}/api/v1/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers.admin },
      body: JSON.stringify({ name: "door tablet", role: "scanner" }),
    });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { _id: string; token: string } };
    const bearer = { authorization: `Bearer ${data.token}` };
    expect((await fetch(`${b.url}/api/v1/sessions`, { headers: bearer })).status).toBe(200);
    const list = (await (await fetch(`${a.url}/api/v1/auth/tokens`, { headers: headers.admin })).json()) as {
      data: Record<string, unknown>[];
    };
    expect(list.data.every((t) => !("hash" in t) && !("token" in t))).toBe(true);
    const revoked = await fetch(`${a.url}/api/v1/auth/tokens/${data._id}`, {
      method: "DELETE",
      headers: headers.admin,
    });
    expect(revoked.status).toBe(200);
    expect((await fetch(`${b.url}/api/v1/sessions`, { headers: bearer })).status).toBe(401);
    expect((await fetch(`${a.url}/api/v1/sessions`, { headers: bearer })).status).toBe(401);
  });
});

test("pages carry the security headers a review expects", async () => {
  const response = await fetch(`${a.url}/login`);
  const csp = response.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain("unsafe-eval");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
});

test("the tokens page creates a token shown once, and revokes it", async () => {
  const form = (path: string, body?: Record<string, string>) =>
    fetch(`${a.url}${path}`, {
      method: "POST",
      headers: { ...headers.admin, ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
      body: body ? new URLSearchParams(body) : undefined,
    });
  const created = await form("/admin/tokens", { name: "Door <3> tablet", role: "scanner" });
  expect(created.status).toBe(200);
  const page = await created.text();
  expect(page).toContain("Door &lt;3&gt; tablet");
  const token = /<code>(ck_[A-Za-z0-9_-]+)<\/code>/.exec(page)?.[1] ?? "";
  expect(token).toStartWith("ck_");
  expect((await fetch(`${b.url}/scan`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  const list = await (await fetch(`${a.url}/admin/tokens`, { headers: headers.admin })).text();
  expect(list).not.toContain(token);
  const id = /hx-post="\/admin\/tokens\/([0-9a-f]{24})\/revoke"/.exec(list)?.[1];
  expect((await form(`/admin/tokens/${id}/revoke`)).status).toBe(200);
  const after = await fetch(`${b.url}/scan`, {
    headers: { authorization: `Bearer ${token}` },
    redirect: "manual",
  });
  expect(after.status).toBe(303);
});

describe("scanners assigned to sessions", () => {
  const scan = (instance: Instance, auth: Record<string, string>, sessionId: unknown) =>
    fetch(`${instance.url}/api/v1/checkin/verify-qr`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ qrCode: "QR-NOBODY", sessionId: String(sessionId) }),
    });
  // The door's own answer for an unknown badge (404) shows the request got past the assignment check.
  const DOOR_ANSWER = 404;

  test("a token assigned to one session works that door only, on every instance", async () => {
    const bad = await fetch(`${a.url}/api/v1/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers.admin },
      body: JSON.stringify({ name: "door 1", role: "scanner", sessionIds: [ID] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain(`no session with ID ${ID}`);
    const notScanner = await fetch(`${a.url}/api/v1/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers.admin },
      body: JSON.stringify({ name: "wall", role: "viewer", sessionIds: [S] }),
    });
    expect(notScanner.status).toBe(400);
    expect(((await notScanner.json()) as { message: string }).message).toContain("Only scanners");
    const created = await fetch(`${a.url}/api/v1/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers.admin },
      body: JSON.stringify({ name: "door 1", role: "scanner", sessionIds: [S] }),
    });
    const { data } = (await created.json()) as { data: { token: string } };
    const bearer = { authorization: `Bearer ${data.token}` };
    expect((await scan(b, bearer, session._id)).status).toBe(DOOR_ANSWER);
    // The same session written in capitals is the same session.
    expect((await scan(b, bearer, S.toUpperCase())).status).toBe(DOOR_ANSWER);
    const elsewhere = await scan(b, bearer, otherRoom._id);
    expect(elsewhere.status).toBe(403);
    expect(((await elsewhere.json()) as { message: string }).message).toContain("assigned to other sessions");
    expect((await fetch(`${a.url}/scan/${otherRoom._id}`, { headers: bearer })).status).toBe(403);
    const picker = await (await fetch(`${a.url}/scan`, { headers: bearer })).text();
    expect(picker).toContain("Auth room");
    expect(picker).not.toContain("Other room");
    // An unassigned scanner and an admin keep every door.
    expect((await scan(a, headers.scanner ?? {}, otherRoom._id)).status).toBe(DOOR_ANSWER);
    expect((await scan(a, headers.admin ?? {}, otherRoom._id)).status).toBe(DOOR_ANSWER);
  });

  test("a signed-in scanner account carries its sessions in the cookie", async () => {
    const user = await createUser(cluster.db, "scanner", "door2@example.org", "correct horse battery", [
      otherRoom._id,
    ]);
    const login = await fetch(`${a.url}/login`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ email: user.email, password: user.password, next: "/scan" }),
    });
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    expect((await fetch(`${b.url}/scan/${otherRoom._id}`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${b.url}/scan/${session._id}`, { headers: { cookie } })).status).toBe(403);
  });
});

describe("accounts are checked on every request, everywhere at once", () => {
  const secret = () => new TextEncoder().encode(loadConfig(cluster.env as Record<string, string>).jwtSecret);
  const signIn = async (email: string, password: string) => {
    const login = await fetch(`${a.url}/login`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ email, password }),
    });
    expect(login.status).toBe(303);
    return login.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
  };
  const asCookie = (instance: Instance, cookie: string) =>
    fetch(`${instance.url}/api/v1/sessions`, { headers: { cookie } }).then((r) => r.status);
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${b.url}/api/v1/auth/accounts${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers.admin },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  test("a well-signed cookie for an account that does not exist gets nothing", async () => {
    const jwt = await new SignJWT({ name: "Ghost", role: "admin", sv: 0, auth: Date.now() })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(ID)
      .setIssuedAt()
      .setExpirationTime("2h")
      .sign(secret());
    expect(await asCookie(a, `checkin_session=${jwt}`)).toBe(401);
    const mint = await fetch(`${a.url}/api/v1/auth/tokens`, {
      method: "POST",
      headers: { cookie: `checkin_session=${jwt}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "stolen", role: "admin" }),
    });
    expect(mint.status).toBe(401);
  });

  test("a sign-in older than its maximum age is refused, however fresh the cookie", async () => {
    const user = await createUser(cluster.db, "viewer", "old-sign-in@example.org");
    const doc = await cluster.db.collection("users").findOne({ email: user.email });
    const jwt = await new SignJWT({ name: "Old", role: "viewer", sv: 0, auth: Date.now() - 25 * 3600_000 })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(String(doc?._id))
      .setIssuedAt()
      .setExpirationTime("2h")
      .sign(secret());
    expect(await asCookie(a, `checkin_session=${jwt}`)).toBe(401);
  });

  test("an open dashboard closes when its sign-in reaches its maximum age", async () => {
    const user = await createUser(cluster.db, "viewer", "ending-sign-in@example.org");
    const doc = await cluster.db.collection("users").findOne({ email: user.email });
    // Signed in 24 h ago less two seconds: the socket may open, and must close within seconds.
    const jwt = await new SignJWT({
      name: "Ending",
      role: "viewer",
      sv: 0,
      auth: Date.now() - 24 * 3600_000 + 2000,
    })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(String(doc?._id))
      .setIssuedAt()
      .setExpirationTime("2h")
      .sign(secret());
    const closed = await new Promise<{ code: number; afterMs: number }>((resolve, reject) => {
      const socket = new WebSocket(`${a.url.replace("http", "ws")}/ws?topics=overview`, {
        headers: { cookie: `checkin_session=${jwt}` },
      } as never);
      let opened = 0;
      socket.addEventListener("open", () => {
        opened = Date.now();
      });
      socket.addEventListener("close", (event) =>
        opened
          ? resolve({ code: event.code, afterMs: Date.now() - opened })
          : reject(new Error("never opened")),
      );
      setTimeout(() => reject(new Error("still open after 8 s")), 8000);
    });
    expect(closed.code).toBe(1008);
    expect(closed.afterMs).toBeLessThan(5000);
  });

  test("disable, change the role, sign out everywhere: each applies on the other instance at once", async () => {
    // Another active admin account: the last one could not be demoted.
    await createUser(cluster.db, "admin", "standby-admin@example.org");
    const user = await createUser(cluster.db, "viewer", "door-lead@example.org");
    const id = String((await cluster.db.collection("users").findOne({ email: user.email }))?._id);
    const cookie = await signIn(user.email, user.password);
    expect(await asCookie(a, cookie)).toBe(200);
    const tokens = () => fetch(`${a.url}/api/v1/auth/tokens`, { headers: { cookie } }).then((r) => r.status);
    expect(await tokens()).toBe(403);
    expect((await admin("PATCH", `/${id}`, { role: "admin" })).status).toBe(200);
    expect(await tokens()).toBe(200);
    expect((await admin("PATCH", `/${id}`, { role: "viewer", disabled: true })).status).toBe(200);
    expect(await asCookie(a, cookie)).toBe(401);
    expect((await admin("PATCH", `/${id}`, { disabled: false })).status).toBe(200);
    expect(await asCookie(a, cookie)).toBe(200);
    expect((await admin("POST", `/${id}/sign-out-everywhere`)).status).toBe(200);
    expect(await asCookie(a, cookie)).toBe(401);
    const again = await signIn(user.email, user.password);
    expect(await asCookie(a, again)).toBe(200);
    const list = (await (await admin("GET", "/")).json()) as { data: Record<string, unknown>[] };
    expect(list.data.some((u) => "passwordHash" in u)).toBe(false);
  });

  test("an account's open dashboards close when it changes", async () => {
    const user = await createUser(cluster.db, "viewer", "wall-screen@example.org");
    const id = String((await cluster.db.collection("users").findOne({ email: user.email }))?._id);
    const cookie = await signIn(user.email, user.password);
    const socket = new WebSocket(`${a.url.replace("http", "ws")}/ws?topics=overview`, {
      headers: { cookie },
    } as unknown as string[]);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    const closed = new Promise<number>((resolve) => {
      socket.onclose = (event) => resolve(event.code);
    });
    expect((await admin("PATCH", `/${id}`, { disabled: true })).status).toBe(200);
    expect(await closed).toBe(1008);
  });
});

describe("signing in", () => {
  const login = (email: string, password: string, extra: Record<string, string> = {}) =>
    fetch(`${a.url}/login`, {
      method: "POST",
      redirect: "manual",
      headers: extra,
      body: new URLSearchParams({ email, password }),
    });

  test("a sign-in posted from another site is refused", async () => {
    const user = await createUser(cluster.db, "viewer", "csrf-login@example.org");
    expect((await login(user.email, user.password, { origin: "http://evil.example" })).status).toBe(403);
    expect((await login(user.email, user.password, { "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await login(user.email, user.password, { origin: a.url })).status).toBe(303);
  });

  test("five wrong passwords lock the account for a while from that address, not its owner elsewhere; unknown accounts alike", async () => {
    const user = await createUser(cluster.db, "viewer", "guessed@example.org");
    for (let i = 0; i < 4; i++) expect((await login(user.email, "wrong-password")).status).toBe(401);
    // Backoff before the lockout: the fifth wrong answer waits (5 - 2) × 500 ms.
    const started = Date.now();
    expect((await login(user.email, "wrong-password")).status).toBe(401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    const locked = await login(user.email, user.password);
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain("Too many failed sign-ins for this account");
    // Someone else's five wrong passwords do not lock the owner out from their own address.
    expect((await login(user.email, user.password, { "x-real-ip": "198.51.100.41" })).status).toBe(303);
    for (let i = 0; i < 5; i++)
      expect((await login("nobody@example.org", "wrong-password")).status).toBe(401);
    expect((await login("nobody@example.org", "wrong-password")).status).toBe(429);
  });

  test("one address trying many accounts is locked out too, even for a right password", async () => {
    const user = await createUser(cluster.db, "viewer", "right@example.org");
    const from = (email: string, password: string) =>
      login(email, password, { "x-real-ip": "198.51.100.23" });
    for (let i = 0; i < 20; i++)
      expect((await from(`spray-${i}@example.org`, "Summer2026!")).status).toBe(401);
    const locked = await from(user.email, user.password);
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain("Too many failed sign-ins from this address");
    // Another address signs in to that account as usual.
    expect((await login(user.email, user.password)).status).toBe(303);
  });
});

describe("the staff accounts page and API", () => {
  const adminCall = (method: string, path: string, body?: unknown) =>
    fetch(`${b.url}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers.admin },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const signInStatus = (email: string, password: string) =>
    fetch(`${a.url}/login`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ email, password }),
    }).then((r) => r.status);

  test("create shows the password once; reset gives a new one and ends the old sessions", async () => {
    const created = await adminCall("POST", "/api/v1/auth/accounts", {
      email: "new.door@example.org",
      name: "New Door",
      role: "scanner",
      sessionIds: [S],
    });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { account: { _id: string }; password: string } };
    expect(data.password.length).toBeGreaterThanOrEqual(12);
    expect(JSON.stringify(data.account)).not.toContain("passwordHash");
    expect(await signInStatus("new.door@example.org", data.password)).toBe(303);
    expect(
      (
        await adminCall("POST", "/api/v1/auth/accounts", {
          email: "new.door@example.org",
          name: "Again",
          role: "viewer",
        })
      ).status,
    ).toBe(409);

    const reset = await adminCall("POST", `/api/v1/auth/accounts/${data.account._id}/reset-password`);
    const fresh = ((await reset.json()) as { data: { password: string } }).data.password;
    expect(await signInStatus("new.door@example.org", data.password)).toBe(401);
    expect(await signInStatus("new.door@example.org", fresh)).toBe(303);
  });

  test("the page lists staff without secrets and acts on them", async () => {
    const page = await adminCall("GET", "/admin/accounts");
    const text = await page.text();
    expect(page.status).toBe(200);
    expect(text).toContain("Staff accounts");
    expect(text).not.toContain("pbkdf2");
    const made = await fetch(`${b.url}/admin/accounts`, {
      method: "POST",
      headers: headers.admin,
      body: new URLSearchParams({ email: "from.page@example.org", name: "From Page", role: "viewer" }),
    });
    const list = await made.text();
    expect(list).toContain("from.page@example.org");
    expect(list).toContain("not shown again");
    const id = String(
      (await cluster.db.collection("users").findOne({ email: "from.page@example.org" }))?._id,
    );
    const disabled = await fetch(`${b.url}/admin/accounts/${id}`, {
      method: "POST",
      headers: headers.admin,
      body: new URLSearchParams({ disabled: "true" }),
    });
    expect(await disabled.text()).toContain("disabled");
    expect((await cluster.db.collection("users").findOne({ email: "from.page@example.org" }))?.disabled).toBe(
      true,
    );
    expect((await fetch(`${a.url}/admin/accounts`, { headers: headers.viewer })).status).toBe(403);
  });
});
