import { Elysia, t } from "elysia";
import { LoginPage } from "../../views/login";
import { TokenList, TokensPage } from "../../views/tokens";
import { ok, parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import { IdSchema } from "../http/query";
import { phrase } from "../i18n/locale";
import { KEYS } from "../infra/keys";
import type { Runtime } from "../runtime";
import { DOOR } from "../scanner/paths";
import { sessionsInOrder } from "../sessions/repo";
import { html } from "../web/html";
import { verifyPassword } from "./password";
import { AUTH_PAGES } from "./paths";
import { addressOf, type Sessions } from "./plugin";
import { ROLES } from "./policy";
import { assignableSessions, createToken, type Tokens, tokensOf, userPrincipal, usersOf } from "./store";

const RoleSchema = t.Union(ROLES.map((role) => t.Literal(role)));
const SessionId = IdSchema("session ID");
/** A form sends one value or several; JSON sends a list. */
const TokenBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 200 }),
    role: RoleSchema,
    sessionIds: t.Optional(t.Union([SessionId, t.Array(SessionId, { maxItems: 500 })])),
  },
  { additionalProperties: false },
);

/** Where to go after signing in: a path on this site only, never an open redirect (browsers read "/\\evil.example" as another host). */
export function safeNext(next: string | undefined): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a backslash or a control character makes a path ambiguous
  if (!next?.startsWith("/") || /[\\\u0000-\u001f]/.test(next)) return DOOR.picker();
  const base = "http://this.site.invalid";
  const url = new URL(next, base);
  const local = url.pathname + url.search + url.hash;
  // "/.//evil.example" resolves to the path "//evil.example", which a browser reads as another host.
  return url.origin === base && !/^\/[/\\]/.test(local) ? local : DOOR.picker();
}

const LOCKOUT_MS = 15 * 60_000;
/**
 * Failures before a lockout: few per account; more per address, since a venue's staff
 * often share one (a NAT), yet one address trying many accounts is stopped too.
 */
const LOCKOUT_AFTER = { account: 5, address: 20 };
/** From the third failure on, each wrong answer comes this much later per failure (backoff before the lockout). */
const BACKOFF_MS = 500;
const BACKOFF_CAP_MS = 5000;

/**
 * Failed sign-ins per account and per address, shared through Redis: from the third, each
 * wrong answer is slower (backoff); past the limit the account (or the address) refuses
 * sign-in for LOCKOUT_MS from the last failure. A success clears the account's count, never
 * the address's (signing in to one's own account must not reset an attack on others).
 * Without Redis nothing is counted rather than locking everyone out.
 */
function loginFailures(rt: Runtime) {
  const redis = rt.redis.cmd;
  const keys = (email: string, address: string) =>
    [
      [KEYS.loginFailures(`account:${email}`), LOCKOUT_AFTER.account],
      [KEYS.loginFailures(`address:${address}`), LOCKOUT_AFTER.address],
    ] as const;
  return {
    /** How long (ms) sign-in stays refused for the account and for the address; 0 where it is not. */
    async lockedFor(email: string, address: string): Promise<{ account: number; address: number }> {
      const [account = 0, byAddress = 0] = await Promise.all(
        keys(email, address).map(async ([key, limit]) => {
          const [count, ttl] = await Promise.all([
            redis.get(key).catch(() => null),
            redis.pttl(key).catch(() => -2),
          ]);
          return Number(count ?? 0) >= limit ? Math.max(0, ttl) : 0;
        }),
      );
      return { account, address: byAddress };
    },
    async failed(email: string, address: string): Promise<void> {
      const multi = redis.multi();
      for (const [key] of keys(email, address)) multi.incr(key).pexpire(key, LOCKOUT_MS);
      const replies = await multi.exec().catch(() => null);
      const account = Number(replies?.[0]?.[1] ?? 0);
      const byAddress = Number(replies?.[2]?.[1] ?? 0) / (LOCKOUT_AFTER.address / LOCKOUT_AFTER.account);
      const worst = Math.max(account, byAddress);
      if (worst >= 3)
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(BACKOFF_CAP_MS, (worst - 2) * BACKOFF_MS)),
        );
    },
    succeeded: (email: string) => redis.del(KEYS.loginFailures(`account:${email}`)).catch(() => undefined),
  };
}

/** Signing in and out (pages): the login form, the attempt with its limits, sign-out. */
function signInRoutes(rt: Runtime, sessions: Sessions) {
  const db = rt.mongo.db;
  const failures = loginFailures(rt);
  return new Elysia({ name: "auth-routes-1" })
    .get(
      AUTH_PAGES.login.pattern,
      ({ query, request }) => html(request, () => <LoginPage next={safeNext(query.next)} />),
      {
        query: t.Object({ next: t.Optional(t.String({ maxLength: 500 })) }),
      },
    )
    .post(
      AUTH_PAGES.login.pattern,
      async ({ body, request }) => {
        const next = safeNext(body.next);
        const email = body.email.trim().toLowerCase();
        const address = addressOf(request);
        const locked = await failures.lockedFor(email, address);
        if (locked.account > 0 || locked.address > 0) {
          const minutes = Math.ceil(Math.max(locked.account, locked.address) / 60_000);
          return html(
            request,
            () => (
              <LoginPage
                next={next}
                email={body.email}
                error={phrase(
                  locked.account > 0
                    ? "Too many failed sign-ins for this account: try again in {minutes} {minutes|minute|minutes}."
                    : "Too many failed sign-ins from this address: try again in {minutes} {minutes|minute|minutes}.",
                  { minutes },
                )}
              />
            ),
            429,
          );
        }
        const user = await usersOf(db).findOne({ email, disabled: false });
        // Same answer and about the same time whether the email exists or not.
        const valid = await verifyPassword(
          body.password,
          user?.passwordHash ?? "pbkdf2-sha256$600000$AAAA$AAAA",
        );
        if (!user || !valid) {
          await failures.failed(email, address);
          return html(
            request,
            () => <LoginPage next={next} email={body.email} error={phrase("Email or password is wrong.")} />,
            401,
          );
        }
        await failures.succeeded(email);
        const cookies = await sessions.issue(userPrincipal(user));
        const headers = new Headers({ location: next });
        for (const cookie of cookies) headers.append("set-cookie", cookie);
        return new Response(null, { status: 303, headers });
      },
      {
        body: t.Object(
          {
            email: t.String({ minLength: 3, maxLength: 254 }),
            password: t.String({ minLength: 1, maxLength: 200 }),
            next: t.Optional(t.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
      },
    )
    .post(AUTH_PAGES.logout.pattern, () => {
      const headers = new Headers({ location: "/login" });
      for (const cookie of sessions.cleared()) headers.append("set-cookie", cookie);
      return new Response(null, { status: 303, headers });
    });
}

/** API tokens for scanner devices and scripts: the page and the JSON routes. */
function tokenRoutes(rt: Runtime, tokens: Tokens) {
  const db = rt.mongo.db;
  const listTokens = () =>
    tokensOf(db)
      .find({}, { projection: { hash: 0 } })
      .sort({ createdAt: -1 })
      .toArray();
  return new Elysia({ name: "auth-routes-2" })
    .get("/api/v1/auth/tokens", async ({ request }) => ok(request, await listTokens(), "API tokens"))
    .get(AUTH_PAGES.tokens.pattern, async ({ request }) => {
      const [sessions, list] = [await sessionsInOrder(db), await listTokens()];
      return html(request, () => <TokensPage tokens={list} sessions={sessions} />);
    })
    .post(
      AUTH_PAGES.tokens.pattern,
      async ({ body, request }) => {
        const { token } = await createToken(
          db,
          body.name,
          body.role,
          await assignableSessions(db, body.role, body.sessionIds),
        );
        const list = await listTokens();
        return html(request, () => <TokenList tokens={list} created={{ name: body.name, token }} />);
      },
      { body: TokenBody },
    )
    .post(AUTH_PAGES.revokeToken.pattern, async ({ params, request }) => {
      await tokens.revoke(parseId(params.id));
      const list = await listTokens();
      return html(request, () => <TokenList tokens={list} />);
    })
    .post(
      "/api/v1/auth/tokens",
      async ({ body, request, set }) => {
        const { token, doc } = await createToken(
          db,
          body.name,
          body.role,
          await assignableSessions(db, body.role, body.sessionIds),
        );
        set.status = 201;
        const { hash, ...shown } = doc;
        return ok(request, { ...shown, token }, "Token created: copy it now, it is not shown again");
      },
      { body: TokenBody },
    )
    .delete("/api/v1/auth/tokens/:id", async ({ params, request }) => {
      const revoked = await tokens.revoke(parseId(params.id));
      if (!revoked) throw notFound(phrase("Active token with ID {id} not found", { id: params.id }));
      const { hash, ...shown } = revoked;
      return ok(request, shown, "Token revoked on every instance");
    });
}

export function authRoutes(rt: Runtime, sessions: Sessions, tokens: Tokens) {
  return new Elysia({ name: "auth-routes" }).use(signInRoutes(rt, sessions)).use(tokenRoutes(rt, tokens));
}
