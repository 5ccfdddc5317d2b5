import { Elysia } from "elysia";
import { AppError } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { Runtime } from "../runtime";
import {
  CSRF_COOKIE,
  MAX_SIGN_IN_MS,
  REFRESH_BELOW_SECONDS,
  readCookie,
  SIGN_IN_COOKIE,
  type SignInCookies,
} from "./cookies";
import { allows, maySession, requirement, visibleParticipant } from "./policy";
import { enforceRateLimit } from "./ratelimit";
import type { SignIns } from "./signins";
import type { Accounts, Principal, Tokens } from "./store";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** What the auth check learnt of a request in flight, for the route and the page that answer it. */
interface RequestAuth {
  /** Where it came from (see clientAddress). */
  address: string;
  principal?: Principal;
  /** A cookie's sign-in: its id (signing it out closes its sockets) and when it stops being good. */
  signIn?: { id: string; endsAt: number };
}
const known = new WeakMap<Request, RequestAuth>();

/** Who sent this request (set by the auth check before any route runs). */
export const principalOf = (request: Request): Principal | undefined => known.get(request)?.principal;
/** When the cookie behind a request stops being good: its expiry, never past the sign-in's maximum age. */
export const signInEndsAt = (request: Request): number | undefined => known.get(request)?.signIn?.endsAt;
/** Which sign-in a cookie request belongs to. */
export const signInIdOf = (request: Request): string | undefined => known.get(request)?.signIn?.id;
export const addressOf = (request: Request): string => known.get(request)?.address ?? "local";

/** A participant as the sender of this request may see them (the least, when unknown). */
export const participantFor = <T extends object>(request: Request, participant: T): Partial<T> =>
  visibleParticipant(principalOf(request)?.role ?? "viewer", participant);

/**
 * Door routes call this with the session the request is about: a scanner may be limited
 * to some. It fails closed: a request without a known sender works no door.
 */
export function assertMaySession(request: Request, sessionId: string): void {
  const principal = principalOf(request);
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
  const role = principalOf(request)?.role ?? null;
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

export interface AuthParts {
  rt: Runtime;
  cookies: SignInCookies;
  tokens: Tokens;
  accounts: Accounts;
  signIns: SignIns;
}

type Identified = { principal: Principal | null; viaCookie: boolean; counted: boolean };
const NOBODY: Identified = { principal: null, viaCookie: false, counted: false };

/** Who sent a request: a bearer token (scripts, the mobile scanner) or the sign-in cookie (pages). */
async function identify(
  parts: AuthParts,
  request: Request,
  set: { headers: Record<string, string | string[]> },
  auth: RequestAuth,
): Promise<Identified> {
  const { rt, cookies, tokens, accounts, signIns } = parts;
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  if (bearer) {
    // A token this instance does not know costs a database lookup: the sender's address
    // pays for it in its rate limit first, so guessing tokens cannot load the database.
    let counted = false;
    const principal = await tokens.principalFor(bearer, async () => {
      counted = true;
      await enforceRateLimit(rt.redis.cmd, `address:${auth.address}`, rt.config.throttle);
    });
    return { principal, viaCookie: false, counted: counted && !principal };
  }
  const cookie = readCookie(request, SIGN_IN_COOKIE);
  const signIn = cookie ? await cookies.read(cookie) : null;
  if (!signIn || Date.now() - signIn.signedInAt > MAX_SIGN_IN_MS || signIns.isEnded(signIn.signInId))
    return NOBODY;
  // The account as it is now, on every request: a signature alone proves nothing about an
  // account that is gone, disabled, signed out everywhere, or given another role.
  const account = await accounts.current(signIn.id);
  if (!account || account.version !== signIn.version) return NOBODY;
  if (signIn.expiresAt - Date.now() < REFRESH_BELOW_SECONDS * 1000)
    set.headers["set-cookie"] = await cookies.issue(account, signIn.signedInAt, signIn.signInId);
  // A socket lives no longer than the cookie it opened with (a dashboard sends nothing that refreshes it).
  auth.signIn = {
    id: signIn.signInId,
    endsAt: Math.min(signIn.expiresAt, signIn.signedInAt + MAX_SIGN_IN_MS),
  };
  return { principal: account, viaCookie: true, counted: false };
}

const EXEMPT = /^\/(api\/v1\/health|metrics|assets\/|sw\.js$|manifest\.webmanifest$)/;

/** A public route: rate-limited per address (but health, metrics and assets), no cross-site posts. */
async function admitPublic(parts: AuthParts, request: Request, path: string, address: string) {
  if (!EXEMPT.test(path))
    await enforceRateLimit(parts.rt.redis.cmd, `address:${address}`, parts.rt.config.throttle);
  if (request.method === "POST" && crossSite(request))
    throw new AppError(403, "This form did not come from this site; open the sign-in page and try again");
}

/** Changes made with the cookie carry the CSRF token (double submit: cookie and X-CSRF-Token header). */
function requireCsrf(request: Request): void {
  const sent = request.headers.get("x-csrf-token");
  if (!sent || sent !== readCookie(request, CSRF_COOKIE))
    throw new AppError(
      403,
      "This form is stale or did not come from this site (CSRF check failed); reload the page",
    );
}

/** The check every request passes before its body is read: who, how often, may they. */
async function admit(
  parts: AuthParts,
  {
    request,
    set,
    server,
  }: {
    request: Request;
    set: { headers: Record<string, string | string[]> };
    server: { requestIP(r: Request): { address: string } | null } | null;
  },
): Promise<Response | undefined> {
  const url = new URL(request.url);
  const auth: RequestAuth = {
    address: clientAddress(
      server?.requestIP(request)?.address,
      request.headers,
      parts.rt.config.trustedProxies,
    ),
  };
  known.set(request, auth);
  const need = requirement(request.method, url.pathname);
  if (need === "public") {
    await admitPublic(parts, request, url.pathname, auth.address);
    return undefined;
  }
  // One turn of the event loop first: a revocation or change announced on the bus before
  // this request arrived is already in this process's socket, and is applied before we decide.
  await new Promise((resolve) => setImmediate(resolve));
  const { principal, viaCookie, counted } = await identify(parts, request, set, auth);
  if (!counted)
    await enforceRateLimit(
      parts.rt.redis.cmd,
      principal ? `${principal.kind}:${principal.id}` : `address:${auth.address}`,
      parts.rt.config.throttle,
    );
  if (!principal) {
    if (isPage(request, url.pathname)) {
      const location = `/login?next=${encodeURIComponent(url.pathname + url.search)}`;
      return new Response(null, { status: 303, headers: { location } });
    }
    throw new AppError(401, "Sign in, or send an API token as Authorization: Bearer <token>");
  }
  auth.principal = principal;
  if (!allows(principal.role, need))
    throw new AppError(
      403,
      phrase("A {role} account cannot do this; it needs the {need} role", { role: principal.role, need }),
    );
  if (viaCookie && !SAFE_METHODS.has(request.method)) requireCsrf(request);
  return undefined;
}

/**
 * The same check for an edge that upgrades a socket itself (Deno's `/ws`): the sender, or
 * the answer that refuses it (401, 403, 429 in words).
 */
export async function authenticate(
  parts: AuthParts,
  request: Request,
): Promise<{ principal: Principal | null; signIn: { id: string; endsAt: number } | null } | Response> {
  const set = { headers: {} as Record<string, string | string[]> };
  try {
    const refused = await admit(parts, { request, set, server: null });
    if (refused) return refused;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return Response.json(
      { status: "error", statusCode: error.status, message: error.message },
      { status: error.status },
    );
  }
  const auth = known.get(request);
  return { principal: auth?.principal ?? null, signIn: auth?.signIn ?? null };
}

/**
 * Every request is checked against the policy table (policy.ts) before its body is even
 * parsed, so an anonymous caller learns nothing about validation; once routed, the
 * route's own pattern is checked too, so no spelling of a path needs less than its route.
 */
export function authPlugin(parts: AuthParts) {
  return new Elysia({ name: "auth" })
    .onRequest((ctx) => admit(parts, ctx as unknown as Parameters<typeof admit>[1]))
    .onBeforeHandle({ as: "global" }, routePatternCheck);
}

/**
 * What a route knows of its sender, as the auth check found it: `.use(signedIn)` gives a
 * route `principal` (null on public routes), `signIn` (a cookie's: its id and end) and the
 * client's `address`. Named, so Elysia registers it once however many features use it;
 * global, so it holds for every route registered after its first use (right after the
 * auth check itself) and for the WebSocket upgrade.
 */
export const signedIn = new Elysia({ name: "signed-in" }).resolve({ as: "global" }, ({ request }) => {
  const auth = known.get(request);
  return {
    principal: auth?.principal ?? null,
    signIn: auth?.signIn ?? null,
    address: auth?.address ?? "local",
  };
});
