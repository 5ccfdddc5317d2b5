import { Elysia, t } from "elysia";
import { ok, parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import { IdSchema } from "../http/query";
import type { Runtime } from "../runtime";
import { ROLES } from "./policy";
import { type Accounts, assignableSessions, type UserDoc, usersOf } from "./store";

// Staff accounts for admins: list, change role or assignment, disable, sign out
// everywhere. Every change is announced, so it applies on every instance before the
// answer (the account is checked on each request), and the account's open dashboards close.

const Role = t.Union(ROLES.map((role) => t.Literal(role)));
const SessionId = IdSchema("session ID");

const shown = ({ passwordHash: _hash, ...account }: UserDoc) => account;

export function accountRoutes(rt: Runtime, accounts: Accounts) {
  const db = rt.mongo.db;
  return new Elysia({ name: "account-routes", prefix: "/api/v1/auth/accounts" })
    .get("/", async ({ request }) => {
      const all = await usersOf(db).find({}).sort({ email: 1 }).toArray();
      return ok(request, all.map(shown), "Staff accounts");
    })
    .patch(
      "/:id",
      async ({ params, body, request }) => {
        const id = parseId(params.id);
        const current = await usersOf(db).findOne({ _id: id });
        if (!current) throw notFound(`Account with ID ${params.id} not found`);
        const role = body.role ?? current.role;
        const sessionIds =
          body.sessionIds === undefined
            ? role === "scanner"
              ? current.sessionIds
              : undefined
            : await assignableSessions(db, role, body.sessionIds);
        const updated = await usersOf(db).findOneAndUpdate(
          { _id: id },
          {
            $set: {
              role,
              ...(body.name !== undefined ? { name: body.name.trim() } : {}),
              ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
              sessionIds: sessionIds ?? [],
            },
          },
          { returnDocument: "after" },
        );
        if (!updated) throw notFound(`Account with ID ${params.id} not found`);
        await accounts.changed(String(id));
        return ok(request, shown(updated), "Account updated on every instance");
      },
      {
        body: t.Object(
          {
            name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
            role: t.Optional(Role),
            disabled: t.Optional(t.Boolean()),
            sessionIds: t.Optional(t.Array(SessionId, { maxItems: 500 })),
          },
          { additionalProperties: false },
        ),
      },
    )
    .post("/:id/sign-out-everywhere", async ({ params, request }) => {
      const id = parseId(params.id);
      const current = await usersOf(db).findOne({ _id: id });
      if (!current) throw notFound(`Account with ID ${params.id} not found`);
      await usersOf(db).updateOne(
        { _id: id },
        { $set: { sessionVersion: (current.sessionVersion ?? 0) + 1 } },
      );
      await accounts.changed(String(id));
      return ok(request, { _id: id }, "Every session of this account is signed out");
    });
}
