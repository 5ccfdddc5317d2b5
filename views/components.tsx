import type { FieldError } from "../src/http/errors";
import type { SessionDoc } from "../src/sessions/repo";
import { clockDateTime, clockTime, eventTimeZone } from "../src/time/zone";

/** The message for one form field, shown next to it. */
export function FieldErrors(props: { errors: FieldError[]; field: string }) {
  return (
    <>
      {props.errors
        .filter((e) => e.field === props.field)
        .map((e) => (
          <span class="field-error" safe>
            {e.message}
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
      Delete
    </button>
  );
}

/** Previous/next links that keep the list's filters. */
export function Pager(props: { page: number; pages: number; total: number; href: (page: number) => string }) {
  return (
    <nav class="pager">
      <span class="meta" safe>{`${props.total} found · page ${props.page} of ${props.pages}`}</span>
      {props.page > 1 ? <a href={props.href(props.page - 1)}>Previous</a> : ""}
      {props.page < props.pages ? <a href={props.href(props.page + 1)}>Next</a> : ""}
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
      Edit
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

/** Times as staff read them (HH:MM), on the event's clock. */
export const fmtTime = clockTime;
/** Date and time (YYYY-MM-DD HH:MM), on the event's clock. */
export const fmtDateTime = clockDateTime;
/** The event's time zone, named where times are shown. */
export const zoneName = eventTimeZone;

/** An error a person can read, where a verdict or a form answer would go. */
export function ErrorPanel(props: { message: string }) {
  return (
    <div class="verdict red" data-outcome="error">
      <p class="headline">Could not check</p>
      <p class="reason" safe>
        {props.message}
      </p>
    </div>
  );
}

/** A role, and for a scanner the sessions it may work: the fields of a new account or token. */
export function RoleAndSessions(props: { id: string; sessions: SessionDoc[] }) {
  return (
    <>
      <label>
        Role
        <select name="role">
          <option value="scanner">scanner</option>
          <option value="viewer">viewer</option>
          <option value="admin">admin</option>
        </select>
      </label>
      <label for={props.id}>
        Sessions (a scanner; none chosen means all)
        <select id={props.id} name="sessionIds" multiple="multiple" size="5">
          {props.sessions.map((s) => (
            <option value={String(s._id)} safe>
              {`${s.name} (day ${s.day})`}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}
