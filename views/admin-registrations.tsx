import type { ParticipantDoc } from "../src/participants/repo";
import { REGISTRATION_PAGES } from "../src/registrations/paths";
import type { RegistrationDoc } from "../src/registrations/repo";
import { REGISTRATION_STATUSES } from "../src/registrations/repo";
import type { SessionDoc } from "../src/sessions/repo";
import type { Joined } from "../src/web/join";
import type { PageOf } from "../src/web/paging";
import { DeleteButton, fmtDateTime, listLink, Pager, zoneName } from "./components";
import { UploadForm } from "./import";
import { Layout } from "./layout";

export type RegistrationView = Joined<RegistrationDoc>;

export interface RegistrationFilters {
  session?: string;
  status?: string;
  participant: string;
  /** One person's registrations (the participants page links here). */
  participantId?: string;
}

const rowId = (id: string) => `admin-registration-${id}`;

function StatusSelect(props: {
  name: string;
  id?: string;
  selected?: string;
  any?: boolean;
  attrs?: Record<string, string>;
}) {
  return (
    <select name={props.name} id={props.id} {...(props.attrs ?? {})}>
      {props.any ? <option value="">any</option> : ""}
      {REGISTRATION_STATUSES.map((status) => (
        <option value={status} selected={props.selected === status}>
          {status}
        </option>
      ))}
    </select>
  );
}

function SessionSelect(props: {
  id: string;
  sessions: SessionDoc[];
  selected?: string;
  empty: string;
  required?: boolean;
}) {
  return (
    <select name="session" id={props.id} required={props.required}>
      <option value="" safe>
        {props.empty}
      </option>
      {props.sessions.map((s) => (
        <option value={String(s._id)} selected={props.selected === String(s._id)} safe>
          {`${s.name} (day ${s.day}${s.location ? `, ${s.location}` : ""})`}
        </option>
      ))}
    </select>
  );
}

export function RegistrationRow(props: RegistrationView) {
  const { doc: r, participant: p, session: s } = props;
  const id = String(r._id);
  return (
    <tr id={rowId(id)}>
      <td>
        <span safe>{p?.name ?? "(deleted participant)"}</span>
        <div class="meta" safe>
          {p?.email ?? ""}
        </div>
      </td>
      <td safe>{s?.name ?? "(deleted session)"}</td>
      <td>
        <StatusSelect
          name="status"
          selected={r.status}
          attrs={{
            "hx-post": `/admin/registrations/${id}/status`,
            "hx-trigger": "change",
            "hx-target": `#${rowId(id)}`,
            "hx-swap": "outerHTML",
            "aria-label": "Status",
          }}
        />
      </td>
      <td safe>{fmtDateTime(r.registrationDate)}</td>
      <td>
        <DeleteButton
          url={REGISTRATION_PAGES.one({ id })}
          row={rowId(id)}
          confirm={`Remove ${p?.name ?? "this person"} from "${s?.name ?? "this session"}"?`}
        />
      </td>
    </tr>
  );
}

export function AdminRegistrationsPage(props: {
  list: Omit<PageOf<RegistrationDoc>, "items">;
  rows: RegistrationView[];
  sessions: SessionDoc[];
  filters: RegistrationFilters;
}) {
  const { filters } = props;
  const href = listLink("/admin/registrations", { ...filters });
  return (
    <Layout title="Registrations">
      <h1>Registrations</h1>
      <form method="get" action={REGISTRATION_PAGES.list()} class="filters">
        <label>
          Participant <input type="search" name="participant" value={filters.participant} maxlength="254" />
        </label>
        <label for="filter-session">
          Session{" "}
          <SessionSelect
            id="filter-session"
            sessions={props.sessions}
            selected={filters.session}
            empty="any"
          />
        </label>
        <label for="filter-status">
          Status <StatusSelect name="status" id="filter-status" selected={filters.status} any />
        </label>
        <button type="submit">Filter</button>
      </form>
      <table class="overview" tabindex="0">
        <thead>
          <tr>
            <th>Participant</th>
            <th>Session</th>
            <th>Status</th>
            <th safe>{`Registered (${zoneName()})`}</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <RegistrationRow {...row} />
          ))}
        </tbody>
      </table>
      <Pager {...props.list} href={href} />
      <form
        class="settings"
        hx-post={REGISTRATION_PAGES.assign()}
        hx-target="#assign-result"
        hx-swap="innerHTML"
      >
        <h2>Register people in bulk</h2>
        <label for="assign-session">
          Session{" "}
          <SessionSelect
            id="assign-session"
            sessions={props.sessions}
            selected={filters.session}
            empty="choose…"
            required
          />
        </label>
        <label for="assign-status">
          Status <StatusSelect name="status" id="assign-status" selected="confirmed" />
        </label>
        <label>
          Emails or badge codes, one per line
          <textarea name="people" rows="6" required maxlength="200000"></textarea>
        </label>
        <button type="submit">Register</button>
      </form>
      <div id="assign-result"></div>
      <h2>Import registrations</h2>
      <p class="meta">
        A CSV with the columns email (or qrCode), session (its name or ID) and status (confirmed, pending or
        cancelled; confirmed when empty). Choose a session to import a file without a session column.
        Importing again only changes statuses. <a href="/api/v1/registrations/import/template">Template</a>
      </p>
      <UploadForm action={REGISTRATION_PAGES.import()} target="#registrations-import-result">
        <label for="import-session">
          For one session{" "}
          <SessionSelect id="import-session" sessions={props.sessions} empty="the file's session column" />
        </label>
      </UploadForm>
      <div id="registrations-import-result"></div>
    </Layout>
  );
}
