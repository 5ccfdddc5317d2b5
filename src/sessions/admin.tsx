import { Elysia, t } from "elysia";
import type { Filter } from "mongodb";
import { AdminSessionsPage, SessionForm, SessionRow, sessionFormValues } from "../../views/admin-sessions";
import type { Features } from "../features";
import { containsPattern, parseId } from "../http/envelope";
import { badRequest, fieldError, formErrors } from "../http/errors";
import type { Runtime } from "../runtime";
import { fromWallClock } from "../time/zone";
import { html } from "../web/html";
import { dropEmpty, pageOf } from "../web/paging";
import { SESSION_PAGES } from "./paths";
import { creditRule, DEFAULT_MIN_ATTENDANCE_PERCENT, type SessionDoc, sessionsOf } from "./repo";
import { sessionActions } from "./service";
import { CAPACITY_MODES, SESSION_STATUSES } from "./statuses";

const YesNo = t.Union([t.Literal("yes"), t.Literal("no")]);
const Form = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 200 }),
    location: t.Optional(t.String({ maxLength: 200 })),
    startTime: t.String({ minLength: 16, maxLength: 25 }),
    endTime: t.String({ minLength: 16, maxLength: 25 }),
    capacity: t.Optional(t.Numeric({ minimum: 0, maximum: 1_000_000 })),
    capacityMode: t.Optional(t.Union(CAPACITY_MODES.map((mode) => t.Literal(mode)))),
    capacityEnforced: t.Optional(YesNo),
    requiresRegistration: t.Optional(YesNo),
    walkIns: t.Optional(YesNo),
    lateThresholdMinutes: t.Optional(t.String({ maxLength: 5 })),
    autoOpenMinutesBefore: t.Optional(t.String({ maxLength: 5 })),
    autoEndGraceMinutes: t.Optional(t.String({ maxLength: 5 })),
    credits: t.Optional(t.String({ maxLength: 8 })),
    minAttendancePercent: t.Optional(t.String({ maxLength: 5 })),
  },
  { additionalProperties: false },
);
const MINUTE_FIELDS = ["lateThresholdMinutes", "autoOpenMinutesBefore", "autoEndGraceMinutes"] as const;
type FormBody = typeof Form.static;

/** The form's times, on the event's clock, as instants; a value that is not a date is a field error. */
function fields(body: FormBody) {
  const instant = (field: "startTime" | "endTime") => {
    const date = fromWallClock(body[field]);
    if (!date) {
      throw badRequest("Validation failed", [
        fieldError(field, field === "startTime" ? "The start is not a date" : "The end is not a date"),
      ]);
    }
    return date.toISOString();
  };
  /** Empty: the event's default; otherwise whole minutes, at most a day. */
  const minutes = (field: (typeof MINUTE_FIELDS)[number]) => {
    const raw = body[field]?.trim() ?? "";
    if (raw === "") return null;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 1440)
      throw badRequest("Validation failed", [
        fieldError(field, "Whole minutes from 0 to 1440, or empty for the event's default"),
      ]);
    return value;
  };
  /** A number in [min, max] (a decimal comma accepted), or `fallback` when empty. */
  const amount = (field: "credits" | "minAttendancePercent", min: number, max: number, fallback: number) => {
    const raw = body[field]?.trim().replace(",", ".") ?? "";
    if (raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max)
      throw badRequest("Validation failed", [
        fieldError(
          field,
          field === "credits" ? "Credits from 0 to 1000 (e.g. 1.5)" : "A share from 1 to 100 %",
        ),
      ]);
    return value;
  };
  return {
    name: body.name,
    location: body.location ?? "",
    startTime: instant("startTime"),
    endTime: instant("endTime"),
    capacity: body.capacity ?? 0,
    capacityMode: body.capacityMode ?? "admissions",
    capacityEnforced: body.capacityEnforced !== "no",
    requiresRegistration: body.requiresRegistration === "yes",
    walkIns: body.walkIns === "yes",
    lateThresholdMinutes: minutes("lateThresholdMinutes"),
    autoOpenMinutesBefore: minutes("autoOpenMinutesBefore"),
    autoEndGraceMinutes: minutes("autoEndGraceMinutes"),
    credits: amount("credits", 0, 1000, 0),
    minAttendancePercent: amount("minAttendancePercent", 1, 100, DEFAULT_MIN_ATTENDANCE_PERCENT),
  };
}

/**
 * Only what the form changed: a rename must not re-seat the room (capacity untouched), and
 * a time shown to the minute keeps its seconds when it was not edited.
 */
function changes(current: SessionDoc, next: ReturnType<typeof fields>) {
  const patch: Partial<ReturnType<typeof fields>> = {};
  if (next.name !== current.name) patch.name = next.name;
  if (next.location !== (current.location ?? "")) patch.location = next.location;
  for (const key of ["startTime", "endTime"] as const) {
    if (next[key].slice(0, 16) !== current[key].toISOString().slice(0, 16)) patch[key] = next[key];
  }
  if (next.capacity !== current.capacity) patch.capacity = next.capacity;
  if (next.capacityMode !== (current.capacityMode ?? "admissions")) patch.capacityMode = next.capacityMode;
  for (const key of ["capacityEnforced", "requiresRegistration", ...MINUTE_FIELDS] as const) {
    if (next[key] !== current[key]) (patch as Record<string, unknown>)[key] = next[key];
  }
  if (next.walkIns !== Boolean(current.walkIns)) patch.walkIns = next.walkIns;
  const rule = creditRule(current);
  if (next.credits !== rule.credits) patch.credits = next.credits;
  if (next.minAttendancePercent !== rule.minAttendancePercent)
    patch.minAttendancePercent = next.minAttendancePercent;
  return patch;
}

/** The organisers' session page: filters, pages, create, edit in place, open or close by hand, delete. */
export function sessionAdmin(rt: Runtime, features: Features) {
  const { door: svc, sessions: cache } = features;
  const db = rt.mongo.db;
  const actions = sessionActions(rt, features);
  const withCount = async (session: SessionDoc) => ({ session, count: await svc.count(session._id) });
  const row = async (request: Request, session: SessionDoc) => {
    const counted = await withCount(session);
    return html(request, () => <SessionRow {...counted} />);
  };
  const values = (body: FormBody) => ({ ...body, capacity: String(body.capacity ?? 0) });
  /** Runs a create or an update; a problem the organiser can fix comes back as field errors. */
  const attempt = async (work: () => Promise<unknown>) => {
    try {
      await work();
      return [];
    } catch (error) {
      return formErrors(error, "name");
    }
  };

  return new Elysia({ name: "sessions-admin" })
    .get(
      SESSION_PAGES.list.pattern,
      async ({ query, request }) => {
        const search = query.search?.trim() ?? "";
        const filter: Filter<SessionDoc> = {};
        if (search) filter.$or = [{ name: containsPattern(search) }, { location: containsPattern(search) }];
        if (query.day) filter.day = query.day;
        if (query.status) filter.status = query.status;
        const { items, ...list } = await pageOf(sessionsOf(db), filter, { startTime: 1, _id: 1 }, query.page);
        const rows = await Promise.all(items.map(withCount));
        return html(request, () => (
          <AdminSessionsPage
            rows={rows}
            list={list}
            filters={{ search, day: query.day, status: query.status }}
          />
        ));
      },
      {
        query: t.Object({
          search: t.Optional(t.String({ maxLength: 200 })),
          day: t.Optional(t.Integer({ minimum: 1, maximum: 366 })),
          status: t.Optional(t.Union(SESSION_STATUSES.map((s) => t.Literal(s)))),
          page: t.Optional(t.Integer({ minimum: 1 })),
        }),
        transform: dropEmpty(["day", "status", "page"]),
      },
    )
    .post(
      SESSION_PAGES.list.pattern,
      async ({ body, request }) => {
        const errors = await attempt(() => actions.create(fields(body)));
        if (errors.length > 0)
          return html(request, () => <SessionForm errors={errors} values={values(body)} />, 422);
        return new Response(null, { status: 200, headers: { "HX-Redirect": SESSION_PAGES.list() } });
      },
      { body: Form },
    )
    .get(SESSION_PAGES.edit.pattern, async ({ params, request }) => {
      const session = await cache.require(parseId(params.id));
      return html(request, () => <SessionForm id={params.id} values={sessionFormValues(session)} />);
    })
    .post(
      SESSION_PAGES.one.pattern,
      async ({ params, body, request }) => {
        const id = parseId(params.id);
        let updated: SessionDoc | undefined;
        const errors = await attempt(async () => {
          updated = await actions.applyPatch(id, changes(await cache.require(id), fields(body)));
        });
        if (updated) return row(request, updated);
        return html(request, () => <SessionForm id={params.id} errors={errors} values={values(body)} />, 422);
      },
      { body: Form },
    )
    .post(SESSION_PAGES.open.pattern, async ({ params, request }) =>
      row(request, await actions.applyPatch(parseId(params.id), { isOpen: true })),
    )
    .post(SESSION_PAGES.close.pattern, async ({ params, request }) =>
      row(request, await actions.applyPatch(parseId(params.id), { isOpen: false })),
    )
    .delete(SESSION_PAGES.one.pattern, async ({ params, request }) => {
      await actions.remove(parseId(params.id));
      return html(request, () => "");
    });
}
