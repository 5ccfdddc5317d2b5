import type { Role } from "../src/auth/policy";
import type { FieldError } from "../src/http/errors";
import { formatNumber, type Text } from "../src/i18n/locale";
import type { ParticipantDoc } from "../src/participants/repo";
import type { RegistrationStatus } from "../src/registrations/statuses";
import type { SessionDoc } from "../src/sessions/repo";
import type { SessionStatus } from "../src/sessions/statuses";
import { eventTimeZone, formatInstant } from "../src/time/zone";
import { reader, sayHere, t, tAttr } from "../src/web/reader";

/** A secret shown once (a token, a password, a signing secret): say so, and show it to copy. */
export function ShownOnce(props: {
  headline: Text;
  words: Text;
  params: Record<string, string>;
  value: string;
}) {
  return (
    <div class="verdict green created-token" role="status">
      <p class="headline">{t(props.headline)}</p>
      <p class="reason">{t(props.words, props.params)}</p>
      <code safe>{props.value}</code>
    </div>
  );
}

/** The message for one form field, shown next to it. */
export function FieldErrors(props: { errors: FieldError[]; field: string }) {
  return (
    <>
      {props.errors
        .filter((e) => e.field === props.field)
        .map((e) => (
          <span class="field-error" safe>
            {sayHere(e.message)}
          </span>
        ))}
    </>
  );
}

/** A row's delete button: asks first, then removes the row in place. */
export function DeleteButton(props: { url: string; row: string; confirm: string }) {
  return (
    <button
      type="button"
      class="secondary"
      hx-delete={props.url}
      hx-target={`#${props.row}`}
      hx-swap="outerHTML"
      hx-confirm={props.confirm}
    >
      {t("Delete")}
    </button>
  );
}

/** Previous/next links that keep the list's filters. */
export function Pager(props: { page: number; pages: number; total: number; href: (page: number) => string }) {
  return (
    <nav class="pager">
      <span class="meta">
        {t("{total} found · page {page} of {pages}", {
          total: props.total,
          page: props.page,
          pages: props.pages,
        })}
      </span>
      {props.page > 1 ? <a href={props.href(props.page - 1)}>{t("Previous")}</a> : ""}
      {props.page < props.pages ? <a href={props.href(props.page + 1)}>{t("Next")}</a> : ""}
    </nav>
  );
}

/** A list row turned into its edit form, in place. */
export function EditRow(props: { id: string; columns: number; children: JSX.Element }) {
  return (
    <tr id={props.id} class="editing">
      <td colspan={String(props.columns)}>{props.children as "safe"}</td>
    </tr>
  );
}

/** The button that swaps a row for its edit form. */
export function EditButton(props: { url: string; row: string }) {
  return (
    <button
      type="button"
      class="secondary"
      hx-get={props.url}
      hx-target={`#${props.row}`}
      hx-swap="outerHTML"
    >
      {t("Edit")}
    </button>
  );
}

/** A list page's link to page N with its filters (empty ones left out). */
export const listLink =
  (path: string, filters: Record<string, string | number | undefined>) =>
  (page: number): string => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) if (value) query.set(key, String(value));
    query.set("page", String(page));
    return `${path}?${query}`;
  };

/** Times as staff read them (08:35), on the event's clock. */
export const fmtTime = (date: Date): string => formatInstant(reader().locale, "time", date);
/** Date and time in the page's language, on the event's clock. */
export const fmtDateTime = (date: Date): string => formatInstant(reader().locale, "dateTime", date);
/** A day in words ("7 December 2026"), on the event's clock. */
export const fmtDate = (date: Date): string => formatInstant(reader().locale, "date", date);
/** A figure as the reader's language writes it ("1.5" / "1,5"). */
export const fmtNumber = (value: number): string => formatNumber(reader().locale, value);
/** The event's time zone, named where times are shown. */
export const zoneName = eventTimeZone;

const STATUS_WORDS: Record<SessionStatus, Text> = {
  scheduled: "scheduled",
  open: "open",
  ended: "ended",
  closed: "closed",
  cancelled: "cancelled",
};
/** A session's status as staff read it. */
export const statusWord = (status: SessionStatus): string => tAttr(STATUS_WORDS[status]);

const PERSON_STATUS_WORDS: Record<ParticipantDoc["status"], Text> = {
  regular: "regular",
  ambassador: "ambassador",
  travel_grant: "travel grant",
};
/** A participant's status as staff read it. */
export const personStatusWord = (status: ParticipantDoc["status"]): string =>
  tAttr(PERSON_STATUS_WORDS[status]);

const REGISTRATION_WORDS: Record<RegistrationStatus, Text> = {
  confirmed: "confirmed",
  pending: "pending",
  cancelled: "cancelled",
};
/** A registration's status as staff read it. */
export const registrationWord = (status: RegistrationStatus): string => tAttr(REGISTRATION_WORDS[status]);

const ROLE_WORDS: Record<Role, Text> = { scanner: "scanner", viewer: "viewer", admin: "admin" };
/** A role as staff read it. */
export const roleWord = (role: Role): string => tAttr(ROLE_WORDS[role]);

/** An error a person can read, where a verdict or a form answer would go. */
export function ErrorPanel(props: { message: string }) {
  return (
    <div class="verdict red" data-outcome="error" data-reason="error">
      <p class="headline">{t("Could not check")}</p>
      <p class="reason" safe>
        {props.message}
      </p>
    </div>
  );
}

/** Scanner first: most accounts and tokens are for doors. */
const ROLES_OFFERED: readonly Role[] = ["scanner", "viewer", "admin"];

/** A role, and for a scanner the sessions it may work: the fields of a new account or token. */
export function RoleAndSessions(props: { id: string; sessions: SessionDoc[] }) {
  return (
    <>
      <label>
        {t("Role")}
        <select name="role">
          {ROLES_OFFERED.map((role) => (
            <option value={role} safe>
              {roleWord(role)}
            </option>
          ))}
        </select>
      </label>
      <label for={props.id}>
        {t("Sessions (a scanner; none chosen means all)")}
        <select id={props.id} name="sessionIds" multiple="multiple" size="5">
          {props.sessions.map((s) => (
            <option value={String(s._id)} safe>
              {tAttr("{name} (day {day})", { name: s.name, day: s.day })}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}
