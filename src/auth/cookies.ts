import { jwtVerify, SignJWT } from "jose";
import type { Runtime } from "../runtime";
import type { Role } from "./policy";
import type { Principal } from "./store";

// The sign-in cookie (an HS256 JWT naming the account, its role, the sign-in's id and
// when it began) and the CSRF cookie beside it.

/** The sign-in cookie (its name predates the word: a sign-in is not a conference session). */
export const SIGN_IN_COOKIE = "checkin_session";
export const CSRF_COOKIE = "checkin_csrf";
const COOKIE_SECONDS = 12 * 3600;
export const REFRESH_BELOW_SECONDS = 3600;
/** However often a cookie is refreshed, a sign-in lasts at most this long. */
export const MAX_SIGN_IN_MS = 24 * 3600_000;

export function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

/** Signs sign-ins into cookies and reads them back; the secret is JWT_SECRET. */
export function createSignInCookies(rt: Runtime) {
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
        .setExpirationTime(`${COOKIE_SECONDS}s`)
        .sign(secret);
      const csrf = crypto.randomUUID();
      return [
        `${SIGN_IN_COOKIE}=${jwt}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${COOKIE_SECONDS}${secure}`,
        `${CSRF_COOKIE}=${csrf}; Path=/; SameSite=Strict; Max-Age=${COOKIE_SECONDS}${secure}`,
      ];
    },
    cleared(): string[] {
      return [`${SIGN_IN_COOKIE}=; Path=/; HttpOnly; Max-Age=0`, `${CSRF_COOKIE}=; Path=/; Max-Age=0`];
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

export type SignInCookies = ReturnType<typeof createSignInCookies>;
export type SignedIn = NonNullable<Awaited<ReturnType<SignInCookies["read"]>>>;
