import { Elysia, t } from "elysia";
import type { Db, ObjectId } from "mongodb";
import { AccountList, AccountsPage } from "../../views/accounts";
import { ok, parseId } from "../http/envelope";
import { AppError, notFound } from "../http/errors";
import { IdSchema } from "../http/query";
import { LOCALES, type Locale, phrase } from "../i18n/locale";
import { isDuplicateKey } from "../infra/mongo";
import type { Runtime } from "../runtime";
import { sessionsInOrder } from "../sessions/repo";
import { html } from "../web/html";
import { hashPassword, randomSecret } from "./password";
import { AUTH_PAGES } from "./paths";
import { ROLES, type Role } from "./policy";
import { type Accounts, assignableSessions, createUser, type UserDoc, usersOf } from "./store";

// Staff accounts for admins: list, create, change role or assignment, disable, reset a
// password (shown once), sign out everywhere; one service for the page and the API.
// Every change is announced, so it applies on every instance before the answer (the
// account is checked on each request), and the account's open dashboards close.

const RoleSchema = t.Union(ROLES.map((role) => t.Literal(role)));
/** A language, or "" for the browser's. */
const LanguageSchema = t.Union([t.Literal(""), ...LOCALES.map((l) => t.Literal(l))]);
const SessionId = IdSchema("session ID");
/** A form sends one value or several; JSON sends a list. */
const SessionIds = t.Optional(t.Union([SessionId, t.Array(SessionId, { maxItems: 500 })]));

const shown = ({ passwordHash: _hash, ...account }: UserDoc) => account;

/** Active admin accounts, leaving out `except`. */
const activeAdmins = (db: Db, except?: ObjectId) =>
  usersOf(db).countDocuments({
    role: "admin",
    disabled: false,
    ...(except ? { _id: { $ne: except } } : {}),
  });
const lastAdmin = () =>
  new AppError(409, "This is the last active admin: make another account admin first, then change this one");

async function existing(db: Db, id: ObjectId): Promise<UserDoc> {
  const current = await usersOf(db).findOne({ _id: id });
  if (!current) throw notFound(phrase("Account with ID {id} not found", { id: String(id) }));
  return current;
}

/** Writes an account's fields and announces the change (every instance reads it again). */
async function setFields(
  db: Db,
  accounts: Accounts,
  id: ObjectId,
  fields: Partial<UserDoc>,
  unset: (keyof UserDoc)[] = [],
): Promise<UserDoc> {
  const updated = await usersOf(db).findOneAndUpdate(
    { _id: id },
    {
      $set: fields,
      ...(unset.length > 0 ? { $unset: Object.fromEntries(unset.map((k) => [k, ""])) } : {}),
    },
    { returnDocument: "after" },
  );
  if (!updated) throw notFound(phrase("Account with ID {id} not found", { id: String(id) }));
  await accounts.changed(String(id));
  return updated;
}

export function accountActions(db: Db, accounts: Accounts) {
  const set = (id: ObjectId, fields: Partial<UserDoc>, unset: (keyof UserDoc)[] = []) =>
    setFields(db, accounts, id, fields, unset);
  return {
    list: async () => (await usersOf(db).find({}).sort({ email: 1 }).toArray()).map(shown),
    /** A new account; without a password one is generated, and returned this once. */
    async create(fields: {
      email: string;
      name: string;
      role: Role;
      sessionIds?: string | string[];
      password?: string;
      language?: Locale | "";
    }) {
      const password = fields.password ?? randomSecret(12);
      const sessionIds = await assignableSessions(db, fields.role, fields.sessionIds);
      const { language, ...rest } = fields;
      const chosen = language ? { language } : {};
      const doc = await createUser(db, { ...rest, ...chosen, password, sessionIds }).catch(
        (error: unknown) => {
          if (isDuplicateKey(error))
            throw new AppError(
              409,
              phrase("An account with email {email} already exists", { email: fields.email }),
            );
          throw error;
        },
      );
      return { account: shown(doc), password };
    },
    async update(
      id: ObjectId,
      patch: {
        name?: string;
        role?: Role;
        disabled?: boolean;
        sessionIds?: string | string[];
        /** "" for the browser's language. */
        language?: Locale | "";
      },
    ) {
      const current = await existing(db, id);
      const role = patch.role ?? current.role;
      const sessionIds =
        patch.sessionIds === undefined
          ? role === "scanner"
            ? (current.sessionIds ?? [])
            : []
          : await assignableSessions(db, role, patch.sessionIds);
      const disabled = patch.disabled ?? current.disabled;
      // An active admin stepping down: someone must still be able to run the event.
      const stepsDown = current.role === "admin" && !current.disabled && (role !== "admin" || disabled);
      if (stepsDown && (await activeAdmins(db, id)) === 0) throw lastAdmin();
      const updated = await set(
        id,
        {
          role,
          sessionIds,
          ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
          ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
          ...(patch.language ? { language: patch.language } : {}),
        },
        patch.language === "" ? ["language"] : [],
      );
      // Two admins demoting each other at once both pass the check above: each looks again
      // after writing, and gives its change back if no active admin is left (no transactions).
      if (stepsDown && (await activeAdmins(db)) === 0) {
        await set(id, {
          role: current.role,
          disabled: current.disabled,
          sessionIds: current.sessionIds ?? [],
        });
        throw lastAdmin();
      }
      return shown(updated);
    },
    /** A new password, returned this once; every session of the account ends. */
    async resetPassword(id: ObjectId) {
      const current = await existing(db, id);
      const password = randomSecret(12);
      const account = await set(id, {
        passwordHash: await hashPassword(password),
        sessionVersion: (current.sessionVersion ?? 0) + 1,
      });
      return { account: shown(account), password };
    },
    async signOutEverywhere(id: ObjectId) {
      const current = await existing(db, id);
      return shown(await set(id, { sessionVersion: (current.sessionVersion ?? 0) + 1 }));
    },
  };
}

const CreateBody = t.Object(
  {
    email: t.String({ format: "email", maxLength: 254 }),
    name: t.String({ minLength: 1, maxLength: 200 }),
    role: RoleSchema,
    sessionIds: SessionIds,
    password: t.Optional(t.String({ minLength: 12, maxLength: 200 })),
    language: t.Optional(LanguageSchema),
  },
  { additionalProperties: false },
);
const IdParams = t.Object({ id: IdSchema("account ID") });

type AccountActions = ReturnType<typeof accountActions>;

export function accountRoutes(rt: Runtime, accounts: Accounts) {
  const actions = accountActions(rt.mongo.db, accounts);
  return new Elysia({ name: "account-routes" }).use(accountApi(actions)).use(accountPages(rt, actions));
}

/** The JSON routes. */
function accountApi(actions: AccountActions) {
  return new Elysia({ name: "account-api" })
    .get("/api/v1/auth/accounts", async ({ request }) => ok(request, await actions.list(), "Staff accounts"))
    .post(
      "/api/v1/auth/accounts",
      async ({ body, request, set }) => {
        const created = await actions.create(body);
        set.status = 201;
        return ok(request, created, "Account created: give the password now, it is not shown again");
      },
      { body: CreateBody },
    )
    .patch(
      "/api/v1/auth/accounts/:id",
      async ({ params, body, request }) =>
        ok(request, await actions.update(parseId(params.id), body), "Account updated on every instance"),
      {
        body: t.Object(
          {
            name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
            role: t.Optional(RoleSchema),
            disabled: t.Optional(t.Boolean()),
            sessionIds: t.Optional(t.Array(SessionId, { maxItems: 500 })),
          },
          { additionalProperties: false },
        ),
      },
    )
    .post("/api/v1/auth/accounts/:id/reset-password", async ({ params, request }) =>
      ok(
        request,
        await actions.resetPassword(parseId(params.id)),
        "New password: give it now, it is not shown again",
      ),
    )
    .post("/api/v1/auth/accounts/:id/sign-out-everywhere", async ({ params, request }) =>
      ok(
        request,
        { _id: (await actions.signOutEverywhere(parseId(params.id)))._id },
        "Every session of this account is signed out",
      ),
    );
}

/** The page: the same actions, answering with the list (and a password shown once). */
function accountPages(rt: Runtime, actions: AccountActions) {
  const db = rt.mongo.db;
  const list = async (request: Request, shownOnce?: { email: string; password: string }) => {
    const accounts = await actions.list();
    return html(request, () => (
      <AccountList accounts={accounts} {...(shownOnce ? { shown: shownOnce } : {})} />
    ));
  };
  return new Elysia({ name: "account-pages" })
    .get(AUTH_PAGES.accounts.pattern, async ({ request }) => {
      const [accounts, sessions] = [await actions.list(), await sessionsInOrder(db)];
      return html(request, () => <AccountsPage accounts={accounts} sessions={sessions} />);
    })
    .post(
      AUTH_PAGES.accounts.pattern,
      async ({ body, request }) => {
        const created = await actions.create(body);
        return list(request, { email: created.account.email, password: created.password });
      },
      { body: CreateBody },
    )
    .post(
      AUTH_PAGES.account.pattern,
      async ({ params, body, request }) => {
        await actions.update(parseId(params.id), {
          ...(body.role ? { role: body.role } : {}),
          ...(body.disabled !== undefined ? { disabled: body.disabled === "true" } : {}),
          ...(body.language !== undefined ? { language: body.language } : {}),
        });
        return list(request);
      },
      {
        params: IdParams,
        body: t.Object(
          {
            role: t.Optional(RoleSchema),
            disabled: t.Optional(t.Union([t.Literal("true"), t.Literal("false")])),
            language: t.Optional(LanguageSchema),
          },
          { additionalProperties: false },
        ),
      },
    )
    .post(
      AUTH_PAGES.resetPassword.pattern,
      async ({ params, request }) => {
        const reset = await actions.resetPassword(parseId(params.id));
        return list(request, { email: reset.account.email, password: reset.password });
      },
      { params: IdParams },
    )
    .post(
      AUTH_PAGES.signOutEverywhere.pattern,
      async ({ params, request }) => {
        await actions.signOutEverywhere(parseId(params.id));
        return list(request);
      },
      { params: IdParams },
    );
}
