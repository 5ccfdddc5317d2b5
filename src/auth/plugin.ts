import { Elysia } from "elysia";
import { jwtVerify, SignJWT } from "jose";
import { AppError } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { Runtime } from "../runtime";
import { allows, maySession, type Role, requirement, visibleParticipant } from "./policy";
import { enforceRateLimit } from "./ratelimit";
import type { SignIns } from "./signins";
import type { Accounts, Principal, Tokens } from "./store";

export const SESSION_COOKIE = "checkin_session";
export const CSRF_COOKIE = "checkin_csrf";
const SESSION_SECONDS = 12 * 3600;
const REFRESH_BELOW_SECONDS = 3600;
/** However often a cookie is refreshed, a sign-in lasts at most this long. */
export const MAX_SIGN_IN_MS = 24 * 3600_000;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

/** Signs sessions into cookies and reads them back; the secret is JWT_SECRET. */
export function createSessions(rt: Runtime) {
  const secret = new TextEncoder().encode(rt.config.jwtSecret);
  const secure = rt.config.nodeEnv === "production" ? "; Secure" : "";
  return {
    /**
     * `signedInAt`: when the person signed in, and `signInId`: which sign-in (both kept
     * through refreshes, so signing out ends the refreshed cookies too); a new one by default.
     */
    async issue(
      user: Principal,
      signedInAt = Date.now(),
      signInId: string = crypto.randomUUID(),
    ): Promise<string[]> {
      const jwt = await new SignJWT({
        name: user.name,
        role: user.role,
        sv: user.version ?? 0,
        auth: signedInAt,
        sid: signInId,
        ...(user.sessions ? { sessions: user.sessions } : {}),
      })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(user.id)
        .setIssuedAt()
        .setExpirationTime(`${SESSION_SECONDS}s`)
        .sign(secret);
      const csrf = crypto.randomUUID();
      return [
        `${SESSION_COOKIE}=${jwt}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_SECONDS}${secure}`,
        `${CSRF_COOKIE}=${csrf}; Path=/; SameSite=Strict; Max-Age=${SESSION_SECONDS}${secure}`,
      ];
    },
    cleared(): string[] {
      return [`${SESSION_COOKIE}=; Path=/; HttpOnly; Max-Age=0`, `${CSRF_COOKIE}=; Path=/; Max-Age=0`];
    },
    async read(
      token: string,
    ): Promise<(Principal & { expiresAt: number; signedInAt: number; signInId: string }) | null> {
      try {
        const { payload } = await jwtVerify(token, secret, { algorithms: ["HS256"] });
        if (!payload.sub || typeof payload.role !== "string") return null;
        return {
          kind: "user",
          id: payload.sub,
          name: String(payload.name ?? ""),
          role: payload.role as Role,
          ...(Array.isArray(payload.sessions) ? { sessions: payload.sessions.map(String) } : {}),
          version: Number(payload.sv ?? 0),
          expiresAt: Number(payload.exp) * 1000,
          signedInAt: Number(payload.auth ?? Number(payload.iat) * 1000),
          // Cookies issued before sign-ins had ids: the account and the sign-in time name the sign-in.
          signInId:
            typeof payload.sid === "string"
              ? payload.sid
              : `${payload.sub}:${payload.auth ?? Number(payload.iat) * 1000}`,
        };
      } catch {
        return null;
      }
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;

/** Who sent each request in flight, for the checks only a route can make (which session). */
const principals = new WeakMap<Request, Principal>();

/** Who sent this request (set by the auth check before any route runs). */
export const principalOf = (request: Request): Principal | undefined => principals.get(request);

/** When the cookie behind a request stops being good: its expiry, never past the sign-in's maximum age. */
const signInEnds = new WeakMap<Request, number>();
export const signInEndsAt = (request: Request): number | undefined => signInEnds.get(request);

/** Which sign-in a cookie request belongs to, so signing it out closes its sockets too. */
const signInIds = new WeakMap<Request, string>();
export const signInIdOf = (request: Request): string | undefined => signInIds.get(request);

/** Where each request in flight came from (see clientAddress). */
const addresses = new WeakMap<Request, string>();
export const addressOf = (request: Request): string => addresses.get(request) ?? "local";

/** A participant as the sender of this request may see them (the least, when unknown). */
export const participantFor = <T extends object>(request: Request, participant: T): Partial<T> =>
  visibleParticipant(principals.get(request)?.role ?? "viewer", participant);

/**
 * Door routes call this with the session the request is about: a scanner may be limited
 * to some. It fails closed: a request without a known sender works no door.
 */
export function assertMaySession(request: Request, sessionId: string): void {
  const principal = principals.get(request);
  if (!principal) throw new AppError(401, "Sign in, or send an API token as Authorization: Bearer <token>");
  if (!maySession(principal, sessionId.toLowerCase())) {
    throw new AppError(
      403,
      phrase("{name} is assigned to other sessions; an organiser can add this one", {
        name: principal.name || "This scanner",
      }),
    );
  }
}

/**
 * The client's address: the peer itself, or what a trusted proxy (Nginx, on loopback by
 * default) says it forwarded for. Anyone else's X-Forwarded-For is ignored, so a client
 * cannot choose its own rate-limit bucket.
 */
export function clientAddress(peer: string | undefined, headers: Headers, trusted: string[]): string {
  // Each proxy appends the address it heard from: the last one not ours is the client
  // (entries before it are whatever the client wrote).
  const hops = (headers.get("x-forwarded-for") ?? "").split(",").map((hop) => hop.trim());
  const realIp = headers.get("x-real-ip")?.trim();
  const forwarded =
    (realIp && !trusted.includes(realIp) ? realIp : undefined) ??
    hops.reverse().find((hop) => hop && !trusted.includes(hop)) ??
    undefined;
  if (peer === undefined) return forwarded ?? "local";
  return trusted.includes(peer) && forwarded ? forwarded : peer;
}

/**
 * A sign-in or sign-out posted from another site (login CSRF): browsers say so in
 * Sec-Fetch-Site, or by an Origin that is not this host. Scripts send neither.
 */
export function crossSite(request: Request): boolean {
  if (request.headers.get("sec-fetch-site") === "cross-site") return true;
  const origin = request.headers.get("origin");
  if (!origin || origin === "null") return origin === "null";
  const host = request.headers.get("host") ?? new URL(request.url).host;
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}

/** The matched route's pattern against the policy table (a parameter stands for any value of it). */
function routePatternCheck({ request, route }: { request: Request; route: string }): void {
  // The table's ID rules want 24 hex digits.
  const need = requirement(request.method, route.replace(/:\w+/g, "0".repeat(24)));
  if (need === "public") return;
  const role = principals.get(request)?.role ?? null;
  if (!allows(role, need)) {
    throw new AppError(
      403,
      phrase("A {role} account cannot do this; it needs the {need} role", {
        role: role ?? "signed-out",
        need,
      }),
    );
  }
}

function isPage(request: Request, path: string): boolean {
  return !path.startsWith("/api/") && request.method === "GET" && !request.headers.get("hx-request");
}

/**
 * Every request is checked against the policy table: a bearer token (scripts, the
 * mobile scanner) or the session cookie (pages). Cookie-authenticated changes must
 * carry the CSRF token (double submit: cookie and X-CSRF-Token header).
 */
export function authPlugin(
  rt: Runtime,
  sessions: Sessions,
  tokens: Tokens,
  accounts: Accounts,
  signIns: SignIns,
) {
  async function resolve(
    request: Request,
    set: { headers: Record<string, string | string[]> },
    address: string,
  ) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    if (bearer) {
      // A token this instance does not know costs a database lookup: the sender's address
      // pays for it in its rate limit first, so guessing tokens cannot load the database.
      let counted = false;
      const principal = await tokens.principalFor(bearer, async () => {
        counted = true;
        await enforceRateLimit(rt.redis.cmd, `address:${address}`, rt.config.throttle);
      });
      return { principal, viaCookie: false, counted: counted && !principal };
    }
    const cookie = readCookie(request, SESSION_COOKIE);
    const session = cookie ? await sessions.read(cookie) : null;
    if (!session || Date.now() - session.signedInAt > MAX_SIGN_IN_MS || signIns.isEnded(session.signInId))
      return { principal: null, viaCookie: false, counted: false };
    // The account as it is now, on every request: a signature alone proves nothing about an
    // account that is gone, disabled, signed out everywhere, or given another role.
    const account = await accounts.current(session.id);
    if (!account || account.version !== session.version)
      return { principal: null, viaCookie: false, counted: false };
    if (session.expiresAt - Date.now() < REFRESH_BELOW_SECONDS * 1000)
      set.headers["set-cookie"] = await sessions.issue(account, session.signedInAt, session.signInId);
    signInIds.set(request, session.signInId);
    // A socket lives no longer than the cookie it opened with (a dashboard sends nothing that refreshes it).
    signInEnds.set(request, Math.min(session.expiresAt, session.signedInAt + MAX_SIGN_IN_MS));
    return { principal: account, viaCookie: true, counted: false };
  }

  return (
    new Elysia({ name: "auth" })
      // Before the body is even parsed: an anonymous caller learns nothing about validation.
      .onRequest(async ({ request, set, server }) => {
        const url = new URL(request.url);
        const address = clientAddress(
          server?.requestIP(request)?.address,
          request.headers,
          rt.config.trustedProxies,
        );
        addresses.set(request, address);
        const need = requirement(request.method, url.pathname);
        const exempt = /^\/(api\/v1\/health|metrics|assets\/|sw\.js$|manifest\.webmanifest$)/.test(
          url.pathname,
        );
        if (need === "public") {
          if (!exempt) await enforceRateLimit(rt.redis.cmd, `address:${address}`, rt.config.throttle);
          if (request.method === "POST" && crossSite(request))
            throw new AppError(
              403,
              "This form did not come from this site; open the sign-in page and try again",
            );
          return;
        }
        // One turn of the event loop first: a revocation or change announced on the bus before
        // this request arrived is already in this process's socket, and is applied before we decide.
        await new Promise((resolve) => setImmediate(resolve));
        const { principal, viaCookie, counted } = await resolve(
          request,
          set as { headers: Record<string, string | string[]> },
          address,
        );
        if (!counted)
          await enforceRateLimit(
            rt.redis.cmd,
            principal ? `${principal.kind}:${principal.id}` : `address:${address}`,
            rt.config.throttle,
          );
        if (!principal) {
          if (isPage(request, url.pathname)) {
            const location = `/login?next=${encodeURIComponent(url.pathname + url.search)}`;
            return new Response(null, { status: 303, headers: { location } });
          }
          throw new AppError(401, "Sign in, or send an API token as Authorization: Bearer <token>");
        }
        principals.set(request, principal);
        if (!allows(principal.role, need)) {
          throw new AppError(
            403,
            phrase("A {role} account cannot do this; it needs the {need} role", {
              role: principal.role,
              need,
            }),
          );
        }
        if (viaCookie && !SAFE_METHODS.has(request.method)) {
          const sent = request.headers.get("x-csrf-token");
          if (!sent || sent !== readCookie(request, CSRF_COOKIE)) {
            throw new AppError(
              403,
              "This form is stale or did not come from this site (CSRF check failed); reload the page",
            );
          }
        }
      })
      // Once routed, the route's own pattern is checked too: whatever spelling reached it,
      // it needs what its pattern needs.
      .onBeforeHandle({ as: "global" }, routePatternCheck)
  );
}
