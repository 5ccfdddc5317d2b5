import { cors } from "@elysiajs/cors";
import { type AnyElysia, Elysia, ValidationError } from "elysia";
import { ErrorPanel } from "../views/components";
import { apiDocsRoutes } from "./api/routes";
import { attendanceRoutes } from "./attendance/routes";
import { auditPlugin } from "./audit/log";
import { adminLogRoutes } from "./audit/routes";
import { accountRoutes } from "./auth/accounts";
import type { SignInCookies } from "./auth/cookies";
import { authPlugin } from "./auth/plugin";
import { authRoutes } from "./auth/routes";
import type { SignIns } from "./auth/signins";
import type { Accounts, Tokens } from "./auth/store";
import { badgeRoutes } from "./badges/routes";
import { checkinRoutes } from "./checkin/routes";
import { requestBodyLimit } from "./config";
import { doorApi } from "./door/api";
import { scannerRoutes } from "./door/pages";
import type { Features } from "./features";
import { healthRoutes } from "./health/routes";
import { canonicalForm, isCanonical, isInternalPath } from "./http/canonical";
import { AppError, asPhrase, errorEnvelope, type FieldError, type Words } from "./http/errors";
import { decodedParams, refuseControlCharacters } from "./http/input";
import { type Phrase, phrase, say } from "./i18n/locale";
import { languageRoutes } from "./i18n/routes";
import { importRoutes } from "./imports/routes";
import { isDatabaseUnreachable } from "./infra/mongo";
import type { Bus } from "./live/bus";
import type { Hub } from "./live/hub";
import { liveRoutes } from "./live/routes";
import type { LiveSockets } from "./live/sockets";
import type { LiveSource } from "./live/state";
import { participantAdmin } from "./participants/admin";
import { participantRoutes } from "./participants/routes";
import { retentionRoutes } from "./privacy/retention";
import { registrationAdmin } from "./registrations/admin";
import { registrationRoutes } from "./registrations/routes";
import { reportRoutes } from "./reports/routes";
import type { Runtime } from "./runtime";
import { sessionAdmin } from "./sessions/admin";
import { sessionRoutes } from "./sessions/routes";
import { settingsPage } from "./settings/page";
import { type Settings, settingsApi } from "./settings/settings";
import { html } from "./web/html";
import { localeOf } from "./web/reader";
import { webhookRoutes } from "./webhooks/routes";

interface RequestInfo {
  id: string;
  startedAt: number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Scripts only from this site and never eval (htmx 4 needs neither); inline style
// attributes only (capacity bars); no framing; no referrer beyond the origin.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "permissions-policy": "camera=(self), microphone=(), geolocation=()",
};

type Issue = ValidationError["all"][number];

/** What the schema says it takes, for a union of shapes (a number sent as text or as a number). */
function rangeOf(schema: { minimum?: number; maximum?: number; type?: string }): string {
  const kind = schema.type === "integer" ? "a whole number" : "a number";
  const { minimum: min, maximum: max } = schema;
  if (min !== undefined && max !== undefined) return `should be ${kind} from ${min} to ${max}`;
  if (min !== undefined) return `should be ${kind} of at least ${min}`;
  if (max !== undefined) return `should be ${kind} of at most ${max}`;
  return `should be ${kind}`;
}

type IssueSchema = {
  anyOf?: ({ const?: unknown } & Parameters<typeof rangeOf>[0])[];
  error?: unknown;
} & Parameters<typeof rangeOf>[0];

/**
 * The validator's words for one problem, made readable: the schema's own words when it has
 * them; a choice of fixed values names them (it says "'string', 'string'" otherwise); a
 * number names its range; a value of the wrong shape is "an object" or "an array", not
 * "[object Object]"; never a raw pattern.
 */
function problemOf(issue: Issue, summary: string): string {
  const schema = ("schema" in issue ? issue.schema : undefined) as IssueSchema | undefined;
  if (typeof schema?.error === "string") return schema.error;
  const options = schema?.anyOf ?? [];
  const choices = options.map((option) => option.const);
  if (choices.length > 0 && choices.every((c) => typeof c === "string" || typeof c === "number"))
    return `should be one of: ${choices.map((c) => `'${c}'`).join(", ")}`;
  const numeric = [schema, ...options].find((o) => o?.type === "integer" || o?.type === "number");
  if (numeric) return rangeOf(numeric);
  if (/Expected string to match/.test(summary)) return "is not in the expected form";
  const value = "value" in issue ? issue.value : undefined;
  const shape = Array.isArray(value) ? "an array" : "an object";
  return summary.replace(/^Property '[^']*' /, "").replaceAll("[object Object]", shape);
}

/**
 * The field a problem is about: its path (JSON pointer, unescaped); else, for a query
 * parameter converted before it was checked (the path is lost then), the one holding the value.
 */
function fieldOf(issue: Issue, error: ValidationError, query: URLSearchParams): string {
  const path = "path" in issue && issue.path ? issue.path.replace(/^\//, "") : "";
  if (path)
    return path
      .split("/")
      .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
      .join(".");
  const value = "value" in issue ? issue.value : undefined;
  if (value !== undefined) for (const [key, held] of query) if (held === String(value)) return key;
  return error.type === "query" || error.type === "params" ? error.type : "body";
}

/** Validation messages name the field first, as existing clients expect (`field` is the first word). */
function fieldErrors(error: ValidationError, query: URLSearchParams): FieldError[] {
  const byField = new Map<string, Phrase>();
  for (const issue of error.all) {
    const field = fieldOf(issue, error, query);
    const summary = "summary" in issue && issue.summary ? issue.summary : issue.message;
    // The validator's own words stay English (clients match them); the frame is translated.
    const text = /should not be provided/.test(summary)
      ? phrase("property {field} should not exist", { field })
      : phrase("{field} {problem}", { field, problem: problemOf(issue, summary) });
    if (!byField.has(field)) byField.set(field, text);
  }
  return [...byField].map(([field, message]) => ({ field, message }));
}

export interface AppParts {
  features: Features;
  hub: Hub;
  live: LiveSource;
  liveSockets: LiveSockets;
  settings: Settings;
  cookies: SignInCookies;
  tokens: Tokens;
  accounts: Accounts;
  signIns: SignIns;
  bus: Bus;
}

/**
 * Every error as the person reading it needs it: the API's envelope with the status and
 * words, or a panel for pages and htmx fragments. The database being away is a 503 to
 * retry; anything unforeseen is logged and said to be ours.
 */
function answerError(
  rt: Runtime,
  requests: WeakMap<Request, RequestInfo>,
  {
    code,
    error,
    request,
    set,
  }: {
    code: unknown;
    error: unknown;
    request: Request;
    set: { status?: number | string; headers: Record<string, string | number> };
  },
) {
  let status: number;
  let words: Words;
  let errors: FieldError[] | undefined;
  if (error instanceof AppError) {
    status = error.status;
    words = error.phrase;
    errors = error.errors;
    Object.assign(set.headers, error.headers ?? {});
  } else if (code === "VALIDATION" && error instanceof ValidationError) {
    status = 400;
    words = "Validation failed";
    errors = fieldErrors(error, new URL(request.url).searchParams);
  } else if (isDatabaseUnreachable(error)) {
    status = 503;
    words = "The database cannot be reached right now; nothing was recorded. Try again in a few seconds.";
    Object.assign(set.headers, { "Retry-After": "2" });
    rt.log.warn({ err: String(error), reqId: requests.get(request)?.id }, "database unreachable");
  } else if (code === "NOT_FOUND") {
    status = 404;
    words = phrase("No route for {method} {path}", {
      method: request.method,
      path: new URL(request.url).pathname,
    });
  } else if (code === "PARSE") {
    status = 400;
    words = "The request body could not be read: send valid JSON or form data";
  } else {
    status = 500;
    words = "Something went wrong on our side; the error was logged";
    rt.log.error({ err: error, reqId: requests.get(request)?.id }, "unhandled error");
  }
  set.status = status;
  const locale = localeOf(request);
  const message = say(locale, asPhrase(words));
  const path = new URL(request.url).pathname;
  if (path.startsWith("/api/") || path === "/metrics")
    return errorEnvelope(request, status, words, errors, locale);
  // Pages and htmx fragments get a panel a person can read (htmx 4 swaps error responses).
  const detail = errors?.map((e) => say(locale, e.message)).join("; ");
  return html(request, () => ErrorPanel({ message: detail ? `${message}: ${detail}` : message }), status);
}

/**
 * What every answer carries (its request id, the instance, the security headers), and the
 * one spelling of every path: internal paths answer callers on this host only, and any
 * other spelling is redirected to its one form.
 */
function frontOf(
  rt: Runtime,
  requests: WeakMap<Request, RequestInfo>,
  request: Request,
  set: { headers: Record<string, string | number> },
): Response | undefined {
  const { config } = rt;
  const incoming = request.headers.get("x-request-id");
  const id = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  requests.set(request, { id, startedAt: performance.now() });
  set.headers["x-request-id"] = id;
  set.headers["x-instance-id"] = config.instanceId;
  Object.assign(set.headers, SECURITY_HEADERS);
  if (config.nodeEnv === "production") {
    set.headers["strict-transport-security"] = "max-age=31536000; includeSubDomains";
  }
  // While draining, make the proxy open fresh connections to the other instances.
  if (rt.state.draining) set.headers.connection = "close";
  // Refused before it is read, in words (the server's own cap answers a body without a length,
  // with a bare 413): the largest upload and its form are the most any request carries.
  const length = Number(request.headers.get("content-length") ?? 0);
  const limit = requestBodyLimit(config);
  if (length > limit)
    throw new AppError(
      413,
      phrase("The request body is {size} bytes; this server accepts at most {limit}.", {
        size: length,
        limit,
      }),
    );
  const url = new URL(request.url);
  const path = url.pathname;
  // Internal paths answer callers on this host only, in their one spelling: whatever
  // came through the proxy says so (X-Real-IP), and no other spelling is followed.
  if (
    isInternalPath(path) &&
    (!isCanonical(path) || request.headers.has("x-real-ip") || request.headers.has("x-forwarded-for"))
  )
    throw new AppError(404, phrase("No route for {method} {path}", { method: request.method, path }));
  // Any other spelling of an address is sent to its one form (308 keeps the method and
  // body), so no rule is ever decided for a spelling the router reads differently.
  if (!isCanonical(path))
    return new Response(null, {
      status: 308,
      headers: { location: canonicalForm(path) + url.search },
    });
  return undefined;
}

export function createApp(rt: Runtime, parts: AppParts) {
  const { features } = parts;
  const requests = new WeakMap<Request, RequestInfo>();
  const { config, metrics } = rt;

  // The API's document reads every route of the app being built, once it is built.
  let built: AnyElysia | null = null;
  // Unknown fields are refused, not silently dropped: clients learn about typos at once.
  const root = new Elysia({
    normalize: false,
    // Slow dashboard clients are cut off instead of growing this process's memory.
    websocket: { backpressureLimit: 1024 * 1024, closeOnBackpressureLimit: true, idleTimeout: 120 },
  })
    .use(
      rt.log.into({
        autoLogging: false,
        customProps: (ctx) => ({ reqId: requests.get(ctx.request)?.id }),
      }),
    )
    .onRequest(({ request, set }) => frontOf(rt, requests, request, set))
    .onError((context) => answerError(rt, requests, context))
    .onTransform({ as: "global" }, ({ body, request, params }) =>
      refuseControlCharacters({
        body,
        params: decodedParams(params),
        query: Object.fromEntries(new URL(request.url).searchParams),
      }),
    )
    .onAfterResponse({ as: "global" }, ({ request, route, set }) => {
      const info = requests.get(request);
      if (!info) return;
      const seconds = (performance.now() - info.startedAt) / 1000;
      const status = typeof set.status === "number" ? set.status : 200;
      metrics.observeRequest(request.method, route, status, seconds);
      rt.log.info(
        {
          reqId: info.id,
          method: request.method,
          path: new URL(request.url).pathname,
          status,
          ms: Math.round(seconds * 10_000) / 10,
        },
        "request",
      );
    })
    // Other origins only as CORS_ORIGIN lists them (the admin UI), with credentials.
    .use(
      cors({
        origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
        credentials: true,
        allowedHeaders: ["Content-Type", "Authorization", "Idempotency-Key", "X-Request-Id", "X-CSRF-Token"],
      }),
    )
    // Before every route it must see (its hooks apply to routes registered after it).
    .use(auditPlugin(rt, features.auditTrail))
    .use(authPlugin({ rt, ...parts }))
    .use(authRoutes(rt, parts.cookies, parts.tokens, parts.signIns))
    .use(languageRoutes)
    .use(accountRoutes(rt, parts.accounts))
    .use(adminLogRoutes(rt, features.auditTrail))
    .use(healthRoutes(rt))
    .use(sessionRoutes(rt, features))
    .use(participantRoutes(rt, features))
    .use(registrationRoutes(rt, features))
    .use(importRoutes(rt, features))
    .use(badgeRoutes(rt))
    .use(reportRoutes(rt))
    .use(sessionAdmin(rt, features))
    .use(participantAdmin(rt, features))
    .use(registrationAdmin(rt, features))
    .use(checkinRoutes(rt, features.door))
    .use(doorApi(features.door))
    .use(scannerRoutes(rt, features))
    .use(liveRoutes(parts.hub, parts.live, parts.liveSockets))
    .use(settingsApi(rt, parts.settings))
    .use(settingsPage(parts.settings))
    .use(webhookRoutes(features))
    .use(attendanceRoutes(rt, parts.settings))
    .use(
      retentionRoutes(
        rt.mongo.db,
        () => parts.settings.get(),
        features.directory,
        features.door.stamps.during,
      ),
    )
    .get("/metrics", async ({ set }) => {
      set.headers["content-type"] = metrics.registry.contentType;
      return metrics.registry.metrics();
    })
    .use(apiDocsRoutes(() => built as AnyElysia, config.version));
  built = root;
  return root;
}

export type App = ReturnType<typeof createApp>;
