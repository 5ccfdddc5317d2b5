import { toOpenAPISchema } from "@elysiajs/openapi";
import type { AnyElysia } from "elysia";

// The JSON API described by itself: an OpenAPI 3 document generated from the routes' own
// `t` schemas (@elysiajs/openapi), completed with what every route shares (the envelope,
// the error shape, how to sign requests) and what the door's routes share (the nonce).

type Operation = {
  parameters?: unknown[];
  responses?: Record<string, unknown>;
  security?: unknown[];
  tags?: string[];
  summary?: string;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
};

/** The door's routes, where a nonce (body or Idempotency-Key header) makes a retry safe. */
const DOOR_ROUTES = /^\/api\/v1\/(scan|checkin|checkin\/(qr|accept|decline))$/;

const NONCE = `A nonce (the body's \`nonce\`, or the \`Idempotency-Key\` header) belongs to the first request that
carries it, whatever its outcome: sent again with the same request (a retry, a double tap, a proxy re-sending
it) it gets the first answer; sent with anything else (another badge, an exit instead of an entry, another
choice) it is refused with 422 and changes nothing. Kept for 24 hours.`;

const ENVELOPE = {
  type: "object",
  required: ["status", "message", "data", "timestamp", "path"],
  properties: {
    status: { type: "string", enum: ["success"] },
    message: { type: "string", description: "In the language asked for (Accept-Language)" },
    data: {},
    timestamp: { type: "string", format: "date-time" },
    path: { type: "string" },
  },
};

const ERROR = {
  type: "object",
  required: ["status", "statusCode", "message", "timestamp", "path", "method"],
  properties: {
    status: { type: "string", enum: ["error"] },
    statusCode: { type: "integer" },
    message: { type: "string", description: "Words meant for people, in the language asked for" },
    errors: {
      type: "array",
      items: { type: "object", properties: { field: { type: "string" }, message: { type: "string" } } },
    },
    timestamp: { type: "string", format: "date-time" },
    path: { type: "string" },
    method: { type: "string" },
  },
};

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const RESPONSES = {
  "200": {
    description: "Done; `data` holds the answer",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Envelope" } } },
  },
  "400": error("The request is not valid: `errors` names each field"),
  "401": error("Not signed in: send Authorization: Bearer <token>, or the sign-in cookie"),
  "403": error("This account's role or session assignment does not allow it (or the CSRF token is missing)"),
  "404": error("No such thing"),
  "409": error("It conflicts with the current state (already checked in, already left, …)"),
  "422": error("A nonce already used for a different request"),
  "429": error("Too many requests from this caller; Retry-After says when to try again"),
  "503": error("A dependency is away (MongoDB, or Redis in strict mode); nothing was recorded; retry"),
};

export interface ApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, unknown>;
  security: unknown[];
}

/** The document for the JSON routes of `app` (every route under /api/v1). */
export function apiDocument(app: AnyElysia, version: string): ApiDocument {
  // Downloads (CSV) and the document itself are routes of the API too.
  const generated = toOpenAPISchema(app, { staticFile: false });
  const paths: ApiDocument["paths"] = {};
  for (const [declared, item] of Object.entries(
    generated.paths as Record<string, Record<string, Operation>>,
  )) {
    if (!declared.startsWith("/api/v1/")) continue;
    // Clients use the one spelling (a route declared as "/" under a prefix has a trailing slash).
    const path = declared.replace(/(.)\/$/, "$1");
    const operations: Record<string, Operation> = {};
    for (const [method, operation] of Object.entries(item)) {
      const door = method === "post" && DOOR_ROUTES.test(path);
      operations[method] = {
        ...operation,
        tags: [path.split("/")[3] ?? "api"],
        responses: {
          ...Object.fromEntries(
            Object.keys(RESPONSES).map((status) => [status, { $ref: `#/components/responses/${status}` }]),
          ),
          ...(operation.responses ?? {}),
        },
        ...(door
          ? {
              description: NONCE,
              parameters: [
                ...(operation.parameters ?? []),
                {
                  in: "header",
                  name: "Idempotency-Key",
                  required: false,
                  schema: { type: "string", minLength: 8, maxLength: 128 },
                  description: "The request's nonce, when the body carries none",
                },
              ],
            }
          : {}),
      };
    }
    paths[path] = { ...(paths[path] ?? {}), ...operations };
  }
  return {
    openapi: "3.0.3",
    info: {
      title: "Check-in API",
      version,
      description: `The JSON routes of the check-in cluster. Every answer is an envelope (Envelope, or Error with
words meant for people). Sign requests with an API token (Authorization: Bearer ck_…) or the sign-in cookie;
changes made with the cookie carry its CSRF token as X-CSRF-Token. ${NONCE}`,
    },
    paths,
    components: {
      ...generated.components,
      schemas: { ...(generated.components?.schemas ?? {}), Envelope: ENVELOPE, Error: ERROR },
      responses: RESPONSES,
      securitySchemes: {
        token: { type: "http", scheme: "bearer", description: "An API token made by an admin (ck_…)" },
        cookie: { type: "apiKey", in: "cookie", name: "checkin_session", description: "A staff sign-in" },
      },
    },
    security: [{ token: [] }, { cookie: [] }],
  };
}
