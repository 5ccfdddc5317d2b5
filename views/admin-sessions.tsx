import type { FieldError } from "../src/http/errors";
import type { SessionDoc } from "../src/sessions/repo";
import { DeleteButton, FieldErrors } from "./components";
import { Layout } from "./layout";
import { fmtTime } from "./scanner";

export function SessionRow(props: { session: SessionDoc; count: number }) {
  const { session } = props;
  const id = String(session._id);
  const open = session.status === "open";
  return (
    <tr id={`admin-session-${id}`}>
      <td>
        <span safe>{session.name}</span>
        <div
          class="meta"
          safe
        >{`day ${session.day} · ${session.location ?? ""} · ${fmtTime(session.startTime)}–${fmtTime(session.endTime)}`}</div>
      </td>
      <td safe>{`${session.status}${session.statusSource === "manual" ? " (by hand)" : ""}`}</td>
      <td class="num" safe>
        {session.capacity > 0 ? `${props.count} / ${session.capacity}` : String(props.count)}
      </td>
      <td class="row-actions">
        <button
          type="button"
          class={open ? "decline" : "accept"}
          hx-post={`/admin/sessions/${id}/${open ? "close" : "open"}`}
          hx-target={`#admin-session-${id}`}
          hx-swap="outerHTML"
        >
          {open ? "Close" : "Open"}
        </button>
        <a href={`/live/${id}`}>Live</a> <a href={`/badges/sessions/${id}`}>Badges</a>
        <DeleteButton
          url={`/admin/sessions/${id}`}
          row={`admin-session-${id}`}
          confirm={`Delete "${session.name}" with its registrations and check-ins?`}
        />
      </td>
    </tr>
  );
}

export function NewSessionForm(props: { errors?: FieldError[]; values?: Record<string, string> }) {
  const errors = props.errors ?? [];
  const v = props.values ?? {};
  return (
    <form
      id="new-session"
      class="settings"
      hx-post="/admin/sessions"
      hx-target="#new-session"
      hx-swap="outerHTML"
    >
      <h2>New session</h2>
      <label>
        Name <input name="name" required maxlength="200" value={v.name ?? ""} />
        <FieldErrors errors={errors} field="name" />
      </label>
      <label>
        Room <input name="location" maxlength="200" value={v.location ?? ""} />
      </label>
      <label>
        Starts (UTC) <input type="datetime-local" name="startTime" required value={v.startTime ?? ""} />
        <FieldErrors errors={errors} field="startTime" />
      </label>
      <label>
        Ends (UTC) <input type="datetime-local" name="endTime" required value={v.endTime ?? ""} />
        <FieldErrors errors={errors} field="endTime" />
      </label>
      <label>
        Capacity (0 = unlimited) <input type="number" name="capacity" min="0" value={v.capacity ?? "0"} />
        <FieldErrors errors={errors} field="capacity" />
      </label>
      <button type="submit">Create</button>
    </form>
  );
}

export function AdminSessionsPage(props: { rows: { session: SessionDoc; count: number }[]; search: string }) {
  return (
    <Layout title="Sessions">
      <h1>Sessions</h1>
      <form method="get" action="/admin/sessions" class="filters">
        <label>
          Search <input type="search" name="search" value={props.search} maxlength="200" />
        </label>
        <button type="submit">Search</button>
      </form>
      <table class="overview">
        <thead>
          <tr>
            <th>Session</th>
            <th>Status</th>
            <th>Checked in</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <SessionRow {...row} />
          ))}
        </tbody>
      </table>
      <NewSessionForm />
    </Layout>
  );
}
