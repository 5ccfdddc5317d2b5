import type { FieldError } from "../src/http/errors";
import type { ParticipantDoc } from "../src/participants/repo";
import { DeleteButton, FieldErrors } from "./components";
import { Layout } from "./layout";

export function ParticipantRow(props: { p: ParticipantDoc }) {
  const { p } = props;
  const id = String(p._id);
  return (
    <tr id={`admin-participant-${id}`}>
      <td>
        <span safe>{p.name}</span>
        <div class="meta" safe>
          {p.email}
        </div>
      </td>
      <td safe>{p.organization ?? ""}</td>
      <td>
        <a href={`/badges?ids=${id}`}>
          <code safe>{p.qrCode}</code>
        </a>
      </td>
      <td>{p.isActive ? "active" : "deactivated"}</td>
      <td>
        <DeleteButton
          url={`/admin/participants/${id}`}
          row={`admin-participant-${id}`}
          confirm={`Delete ${p.name} with their registrations and check-ins?`}
        />
      </td>
    </tr>
  );
}

export function NewParticipantForm(props: { errors?: FieldError[]; values?: Record<string, string> }) {
  const errors = props.errors ?? [];
  const v = props.values ?? {};
  return (
    <form
      id="new-participant"
      class="settings"
      hx-post="/admin/participants"
      hx-target="#new-participant"
      hx-swap="outerHTML"
    >
      <h2>New participant</h2>
      <label>
        Name <input name="name" required maxlength="200" value={v.name ?? ""} />
        <FieldErrors errors={errors} field="name" />
      </label>
      <label>
        Email <input type="email" name="email" required maxlength="254" value={v.email ?? ""} />
        <FieldErrors errors={errors} field="email" />
      </label>
      <label>
        Organization <input name="organization" maxlength="200" value={v.organization ?? ""} />
      </label>
      <button type="submit">Create</button>
    </form>
  );
}

export function AdminParticipantsPage(props: {
  people: ParticipantDoc[];
  search: string;
  page: number;
  pages: number;
  total: number;
}) {
  const link = (page: number) =>
    `/admin/participants?${new URLSearchParams({ search: props.search, page: String(page) })}`;
  return (
    <Layout title="Participants">
      <h1>Participants</h1>
      <form method="get" action="/admin/participants" class="filters">
        <label>
          Search <input type="search" name="search" value={props.search} maxlength="200" />
        </label>
        <button type="submit">Search</button>
        <span class="meta" safe>{`${props.total} found · page ${props.page} of ${props.pages}`}</span>
      </form>
      <table class="overview">
        <thead>
          <tr>
            <th>Name</th>
            <th>Organization</th>
            <th>Badge</th>
            <th>State</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {props.people.map((p) => (
            <ParticipantRow p={p} />
          ))}
        </tbody>
      </table>
      <nav class="pager">
        {props.page > 1 ? <a href={link(props.page - 1)}>Previous</a> : ""}
        {props.page < props.pages ? <a href={link(props.page + 1)}>Next</a> : ""}
      </nav>
      <NewParticipantForm />
    </Layout>
  );
}
