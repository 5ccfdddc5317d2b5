import { BADGES } from "../src/badges/paths";
import type { FieldError } from "../src/http/errors";
import type { Text } from "../src/i18n/locale";
import { LIVE } from "../src/live/paths";
import { REGISTRATION_PAGES } from "../src/registrations/paths";
import { SESSION_PAGES } from "../src/sessions/paths";
import type { SessionDoc } from "../src/sessions/repo";
import { SESSION_STATUSES } from "../src/sessions/statuses";
import { wallClock } from "../src/time/zone";
import type { PageOf } from "../src/web/paging";
import { withQuery } from "../src/web/paths";
import { t, tAttr } from "../src/web/reader";
import {
  DeleteButton,
  EditButton,
  EditRow,
  FieldErrors,
  fmtTime,
  listLink,
  Pager,
  statusWord,
  zoneName,
} from "./components";
import { Layout } from "./layout";

const rowId = (id: string) => `admin-session-${id}`;

export function SessionRow(props: { session: SessionDoc; count: number }) {
  const { session } = props;
  const id = String(session._id);
  const open = session.status === "open";
  return (
    <tr id={rowId(id)}>
      <td>
        <span safe>{session.name}</span>
        <div
          class="meta"
          safe
        >{`${tAttr("day {day}", { day: session.day })} · ${session.location ?? ""} · ${fmtTime(session.startTime)}–${fmtTime(session.endTime)}`}</div>
      </td>
      <td
        safe
      >{`${statusWord(session.status)}${session.statusSource === "manual" ? ` ${tAttr("(by hand)")}` : ""}`}</td>
      <td class="num" safe>
        {session.capacity > 0 ? `${props.count} / ${session.capacity}` : String(props.count)}
      </td>
      <td>
        <div class="row-actions">
          <button
            type="button"
            class={open ? "decline" : "accept"}
            hx-post={(open ? SESSION_PAGES.close : SESSION_PAGES.open)({ id })}
            hx-target={`#${rowId(id)}`}
            hx-swap="outerHTML"
          >
            {open ? t("Close") : t("Open")}
          </button>
          <EditButton url={SESSION_PAGES.edit({ id })} row={rowId(id)} />
          <a href={LIVE.session({ sessionId: id })}>{t("Live")}</a>{" "}
          <a href={withQuery(REGISTRATION_PAGES.list(), { session: id })}>{t("Registrations")}</a>{" "}
          <a href={BADGES.session({ id })}>{t("Badges")}</a>
          <DeleteButton
            url={SESSION_PAGES.one({ id })}
            row={rowId(id)}
            confirm={tAttr('Delete "{name}" with its registrations and check-ins?', { name: session.name })}
          />
        </div>
      </td>
    </tr>
  );
}

/** The create form, or (with an id) the edit form that replaces a row. */
export function SessionForm(props: { id?: string; errors?: FieldError[]; values?: Record<string, string> }) {
  const errors = props.errors ?? [];
  const v = props.values ?? {};
  const editing = props.id !== undefined;
  const form = (
    <form
      id={editing ? undefined : "new-session"}
      class="settings"
      hx-post={editing ? SESSION_PAGES.one({ id: props.id as string }) : SESSION_PAGES.list()}
      hx-target={editing ? `#${rowId(props.id as string)}` : "#new-session"}
      hx-swap="outerHTML"
    >
      {editing ? "" : <h2>{t("New session")}</h2>}
      <label>
        {t("Name")} <input name="name" required maxlength="200" value={v.name ?? ""} />
        <FieldErrors errors={errors} field="name" />
      </label>
      <label>
        {t("Room")} <input name="location" maxlength="200" value={v.location ?? ""} />
      </label>
      <label>
        <span>{t("Starts ({zone})", { zone: zoneName() })}</span>{" "}
        <input type="datetime-local" name="startTime" required value={v.startTime ?? ""} />
        <FieldErrors errors={errors} field="startTime" />
      </label>
      <label>
        <span>{t("Ends ({zone})", { zone: zoneName() })}</span>{" "}
        <input type="datetime-local" name="endTime" required value={v.endTime ?? ""} />
        <FieldErrors errors={errors} field="endTime" />
      </label>
      <label>
        {t("Capacity (0 = unlimited)")}{" "}
        <input type="number" name="capacity" min="0" value={v.capacity ?? "0"} />
        <FieldErrors errors={errors} field="capacity" />
      </label>
      {CHOICES.map(([name, label, fallback, options]) => (
        <Choice label={label} name={name} value={v[name] ?? fallback} options={options} />
      ))}
      {(
        [
          ["lateThresholdMinutes", "Late after (minutes; empty = event default)"],
          ["autoOpenMinutesBefore", "Opens this many minutes before start (empty = default)"],
          ["autoEndGraceMinutes", "Ends this many minutes after end (empty = default)"],
        ] as const
      ).map(([name, label]) => (
        <label>
          <span>{t(label)}</span>
          <input type="number" name={name} min="0" max="1440" value={v[name] ?? ""} />
          <FieldErrors errors={errors} field={name} />
        </label>
      ))}
      <label>
        <span>{t("Credits awarded (0 = none)")}</span>
        <input type="number" name="credits" min="0" max="1000" step="0.25" value={v.credits ?? "0"} />
        <FieldErrors errors={errors} field="credits" />
      </label>
      <label>
        <span>{t("Credited from this share of the session (%)")}</span>
        <input
          type="number"
          name="minAttendancePercent"
          min="1"
          max="100"
          value={v.minAttendancePercent ?? "80"}
        />
        <FieldErrors errors={errors} field="minAttendancePercent" />
      </label>
      <button type="submit">{editing ? t("Save") : t("Create")}</button>
      {editing ? (
        <a href={SESSION_PAGES.list()} class="secondary">
          {t("Cancel")}
        </a>
      ) : (
        ""
      )}
    </form>
  );
  return editing ? (
    <EditRow id={rowId(props.id as string)} columns={4}>
      {form}
    </EditRow>
  ) : (
    form
  );
}

/** The session's rules as choices: field, label, default, then each value with what it means. */
const CHOICES: [string, Text, string, [string, Text][]][] = [
  [
    "capacityMode",
    "Capacity counts",
    "admissions",
    [
      ["admissions", "people admitted (an exit keeps the place)"],
      ["occupancy", "people inside now (an exit frees a place)"],
    ],
  ],
  [
    "capacityEnforced",
    "Capacity enforced",
    "yes",
    [
      ["yes", "yes: the door refuses when full"],
      ["no", "no: overflow is allowed"],
    ],
  ],
  [
    "walkIns",
    "Walk-ins at the door",
    "no",
    [
      ["no", "no"],
      ["yes", "yes: scanners may register and admit walk-ins"],
    ],
  ],
  [
    "requiresRegistration",
    "Invite-only",
    "no",
    [
      ["no", "no: staff may accept anyone"],
      ["yes", "yes: only confirmed registrations"],
    ],
  ],
];

function Choice(props: { label: Text; name: string; value: string; options: [string, Text][] }) {
  return (
    <label>
      <span>{t(props.label)}</span>
      <select name={props.name}>
        {props.options.map(([value, text]) => (
          <option value={value} selected={value === props.value}>
            {t(text)}
          </option>
        ))}
      </select>
    </label>
  );
}

const localTime = (date: Date) => wallClock(date).slice(0, 16);
const minutes = (value: number | null) => (value === null ? "" : String(value));

export const sessionFormValues = (s: SessionDoc): Record<string, string> => ({
  name: s.name,
  location: s.location ?? "",
  startTime: localTime(s.startTime),
  endTime: localTime(s.endTime),
  capacity: String(s.capacity),
  capacityMode: s.capacityMode ?? "admissions",
  capacityEnforced: s.capacityEnforced ? "yes" : "no",
  requiresRegistration: s.requiresRegistration ? "yes" : "no",
  walkIns: s.walkIns ? "yes" : "no",
  lateThresholdMinutes: minutes(s.lateThresholdMinutes),
  autoOpenMinutesBefore: minutes(s.autoOpenMinutesBefore),
  autoEndGraceMinutes: minutes(s.autoEndGraceMinutes),
  credits: String(s.credits ?? 0),
  minAttendancePercent: String(s.minAttendancePercent ?? 80),
});

export interface SessionFilters {
  search: string;
  day?: number;
  status?: string;
}

export function AdminSessionsPage(props: {
  rows: { session: SessionDoc; count: number }[];
  list: Omit<PageOf<SessionDoc>, "items">;
  filters: SessionFilters;
}) {
  const { filters } = props;
  const href = listLink("/admin/sessions", { ...filters });
  return (
    <Layout title={tAttr("Sessions")}>
      <h1>{t("Sessions")}</h1>
      <form method="get" action={SESSION_PAGES.list()} class="filters">
        <label>
          {t("Search")} <input type="search" name="search" value={filters.search} maxlength="200" />
        </label>
        <label>
          {t("Day")}{" "}
          <input type="number" name="day" min="1" max="366" value={filters.day ? String(filters.day) : ""} />
        </label>
        <label>
          {t("Status")}
          <select name="status">
            <option value="">{t("any")}</option>
            {SESSION_STATUSES.map((status) => (
              <option value={status} selected={filters.status === status} safe>
                {statusWord(status)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t("Filter")}</button>
      </form>
      <table class="overview" tabindex="0">
        <thead>
          <tr>
            <th>{t("Session")}</th>
            <th>{t("Status")}</th>
            <th>{t("Checked in")}</th>
            <th>{t("Actions")}</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <SessionRow {...row} />
          ))}
        </tbody>
      </table>
      <Pager {...props.list} href={href} />
      <SessionForm />
    </Layout>
  );
}
