import { Elysia } from "elysia";
import type { ObjectId } from "mongodb";
import { assertMaySession, signedIn } from "../auth/plugin";
import type { Principal } from "../auth/store";
import { parseId } from "../http/envelope";
import { AppError, badRequest, fieldError } from "../http/errors";

// Both front doors of the door (its pages and its JSON routes) resolve one context for
// a request: who works it (always the signed-in account or token; a name the client
// sends is only a label after it), which session (a scanner may be limited to some), the
// scan's nonce (the body's, else the Idempotency-Key header) and the device.

export interface DoorStaff {
  principal: Principal;
  /** What check-ins and the scan log record: the account's name, a label after it. */
  by: string;
  /** The account or token: "user:<id>" or "token:<id>". */
  byId: string;
}

export interface DoorContext {
  staff: DoorStaff;
  /** The session the request names (path, body or query), if any. */
  sessionId: ObjectId | null;
  nonce: string | undefined;
  device: string | undefined;
  /** The staff with a label the client sent (`by`, `checkedInBy`, …). */
  labelled(label: string | undefined): DoorStaff;
}

const field = (part: unknown, name: string): string | undefined => {
  const value = (part as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === "string" ? value : undefined;
};

export function staffFor(principal: Principal, label?: string): DoorStaff {
  const extra = label?.trim();
  return {
    principal,
    by: extra && extra !== principal.name ? `${principal.name} · ${extra}` : principal.name,
    byId: `${principal.kind}:${principal.id}`,
  };
}

/** `{ door: true }` on a route gives it `door`: the request's DoorContext, checked. */
export const doorContext = new Elysia({ name: "door-context" }).use(signedIn).macro({
  door: {
    resolve({ request, params, body, query, headers, principal }): { door: DoorContext } {
      if (!principal)
        throw new AppError(401, "Sign in, or send an API token as Authorization: Bearer <token>");
      const named = [params, body, query]
        .map((part) => field(part, "sessionId"))
        .find((id) => id !== undefined);
      if (named !== undefined) assertMaySession(request, named);
      const staff = staffFor(principal);
      const key = headers["idempotency-key"];
      // The header is the body's nonce by another name: the same bounds (8 to 128 characters).
      if (key !== undefined && (key.length < 8 || key.length > 128))
        throw badRequest("Validation failed", [
          fieldError("Idempotency-Key", "Idempotency-Key must be 8 to 128 characters (a UUID is fine)"),
        ]);
      return {
        door: {
          staff,
          sessionId: named === undefined ? null : parseId(named),
          nonce: field(body, "nonce") ?? headers["idempotency-key"] ?? undefined,
          device: field(body, "device") || headers["user-agent"]?.slice(0, 120) || undefined,
          labelled: (label) => staffFor(principal, label),
        },
      };
    },
  },
});
