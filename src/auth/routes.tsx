import { Elysia, t } from "elysia";
import { LoginPage } from "../../views/login";
import { TokenList, TokensPage } from "../../views/tokens";
import { ok, parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import { IdSchema } from "../http/query";
import { type Phrase, phrase } from "../i18n/locale";
import { KEYS } from "../infra/keys";
import type { Runtime } from "../runtime";
import { sessionsInOrder } from "../sessions/repo";
import { html } from "../web/html";
import { MAX_SIGN_IN_MS, readCookie, SIGN_IN_COOKIE, type SignInCookies } from "./cookies";
import { landingFor, localPath, safeNext } from "./landing";
import { verifyPassword } from "./password";
import { AUTH_PAGES } from "./paths";
import { signedIn } from "./plugin";
import { ROLES } from "./policy";
import type { SignIns } from "./signins";
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

const LOCKOUT_MS = 15 * 60_000;
/**
 * Failures before a lockout: few per account from one address (so nobody elsewhere can lock
 * its owner out with five wrong passwords); more per address, since a venue's staff often
 * share one (a NAT), yet one address trying many accounts is stopped too; and many per
 * account from everywhere, which takes a guess from at least twenty addresses.
 */
const LOCKOUT_AFTER = { account: 5, address: 20, everywhere: 100 };
/** From the third failure on, each wrong answer comes this much later per failure (backoff before the lockout). */
const BACKOFF_MS = 500;
const BACKOFF_CAP_MS = 5000;

/**
 * Takes one attempt for the account and the address, or says which is locked and for how
 * long: the check and the count are one step, so attempts sent at the same moment cannot
 * all pass a check made before any of them was counted.
 */
const RESERVE_ATTEMPT = `
for i = 1, 3 do
  if tonumber(redis.call("get", KEYS[i]) or "0") >= tonumber(ARGV[i]) then
    return {i, redis.call("pttl", KEYS[i])}
  end
end
local counts = {}
for i = 1, 3 do
  counts[i] = redis.call("incr", KEYS[i])
  redis.call("pexpire", KEYS[i], ARGV[4])
end
return {0, counts[1], counts[2]}
`;

type Attempt =
  | { kind: "locked"; who: "account" | "address"; forMs: number }
  | { kind: "taken"; account: number; address: number };

/**
 * Sign-in attempts per account from an address, per address and per account, shared through Redis. Every attempt is
 * counted before its password is checked (the expensive hash is out of reach past the
 * limit); a right password gives its attempt back. From the third, each wrong answer is
 * slower (backoff); past the limit the account (or the address) refuses sign-in for
 * LOCKOUT_MS from the last failure. A success clears the account's count, never the
 * address's (signing in to one's own account must not reset an attack on others).
 * Without Redis nothing is counted rather than locking everyone out.
 */
function signInAttempts(rt: Runtime) {
  const redis = rt.redis.cmd;
  const keys = (email: string, address: string) =>
    [
      KEYS.loginFailures(`account:${email}|${address}`),
      KEYS.loginFailures(`address:${address}`),
      KEYS.loginFailures(`account:${email}`),
    ] as const;
  return {
    async take(email: string, address: string): Promise<Attempt> {
      const reply = (await redis
        .eval(
          RESERVE_ATTEMPT,
          3,
          ...keys(email, address),
          LOCKOUT_AFTER.account,
          LOCKOUT_AFTER.address,
          LOCKOUT_AFTER.everywhere,
          LOCKOUT_MS,
        )
        .catch(() => null)) as number[] | null;
      if (!reply) return { kind: "taken", account: 0, address: 0 };
      const [locked = 0, a = 0, b = 0] = reply.map(Number);
      if (locked > 0)
        return { kind: "locked", who: locked === 2 ? "address" : "account", forMs: Math.max(a, 1000) };
      return { kind: "taken", account: a, address: b };
    },
    async failed(attempt: { account: number; address: number }): Promise<void> {
      const byAddress = attempt.address / (LOCKOUT_AFTER.address / LOCKOUT_AFTER.account);
      const worst = Math.max(attempt.account, byAddress);
      if (worst >= 3)
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(BACKOFF_CAP_MS, (worst - 2) * BACKOFF_MS)),
        );
    },
    async succeeded(email: string, address: string): Promise<void> {
      const [fromHere, byAddress, everywhere] = keys(email, address);
      await redis
        .multi()
        .del(fromHere)
        .decr(byAddress)
        .decr(everywhere)
        .exec()
        .catch(() => undefined);
    },
  };
}

/** Signing in and out (pages): the login form, the attempt with its limits, sign-out. */
function signInRoutes(rt: Runtime, cookies: SignInCookies, signIns: SignIns) {
  const db = rt.mongo.db;
  const attempts = signInAttempts(rt);
  return (
    new Elysia({ name: "auth-routes-1" })
      .use(signedIn)
      .get(
        AUTH_PAGES.login.pattern,
        ({ query, request }) => html(request, () => <LoginPage next={localPath(query.next) ?? ""} />),
        {
          query: t.Object({ next: t.Optional(t.String({ maxLength: 500 })) }),
        },
      )
      // Each role to its own first page.
      .get("/", ({ principal, redirect }) => redirect(landingFor(principal?.role ?? "viewer"), 302))
      .post(
        AUTH_PAGES.login.pattern,
        async ({ body, request, address }) => {
          const email = body.email.trim().toLowerCase();
          // The form again, with what was typed and why it was refused.
          const refused = (error: Phrase, status: number) =>
            html(
              request,
              () => <LoginPage next={localPath(body.next) ?? ""} email={body.email} error={error} />,
              status,
            );
          const attempt = await attempts.take(email, address);
          if (attempt.kind === "locked") {
            const minutes = Math.ceil(attempt.forMs / 60_000);
            return refused(
              phrase(
                attempt.who === "account"
                  ? "Too many failed sign-ins for this account: try again in {minutes} {minutes|minute|minutes}."
                  : "Too many failed sign-ins from this address: try again in {minutes} {minutes|minute|minutes}.",
                { minutes },
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
            await attempts.failed(attempt);
            return refused(phrase("Email or password is wrong."), 401);
          }
          await attempts.succeeded(email, address);
          const principal = userPrincipal(user);
          const issued = await cookies.issue(principal);
          const headers = new Headers({ location: safeNext(body.next, principal.role) });
          for (const cookie of issued) headers.append("set-cookie", cookie);
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
      // Ends the sign-in on the server, not only in this browser: a copy of the cookie taken
      // before is refused from now on, on every instance, pages and sockets alike.
      .post(AUTH_PAGES.logout.pattern, async ({ request }) => {
        const cookie = readCookie(request, SIGN_IN_COOKIE);
        const signIn = cookie ? await cookies.read(cookie) : null;
        if (signIn) await signIns.end(signIn.signInId, signIn.id, signIn.signedInAt + MAX_SIGN_IN_MS);
        const headers = new Headers({ location: "/login" });
        for (const cleared of cookies.cleared()) headers.append("set-cookie", cleared);
        return new Response(null, { status: 303, headers });
      })
  );
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

export function authRoutes(rt: Runtime, cookies: SignInCookies, tokens: Tokens, signIns: SignIns) {
  return new Elysia({ name: "auth-routes" })
    .use(signInRoutes(rt, cookies, signIns))
    .use(tokenRoutes(rt, tokens));
}
