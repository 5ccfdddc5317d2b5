import type { Text } from "../src/i18n/locale";
import { REGISTRATION_PAGES } from "../src/registrations/paths";
import type { RegistrationDoc } from "../src/registrations/repo";
import { REGISTRATION_STATUSES } from "../src/registrations/statuses";
import type { SessionDoc } from "../src/sessions/repo";
import type { Joined } from "../src/web/join";
import type { PageOf } from "../src/web/paging";
import { t, tAttr } from "../src/web/reader";
import { DeleteButton, fmtDateTime, listLink, Pager, registrationWord, zoneName } from "./components";
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
      {props.any ? <option value="">{t("any")}</option> : ""}
      {REGISTRATION_STATUSES.map((status) => (
        <option value={status} selected={props.selected === status} safe>
          {registrationWord(status)}
        </option>
      ))}
    </select>
  );
}

function SessionSelect(props: {
  id: string;
  sessions: SessionDoc[];
  selected?: string;
  empty: Text;
  required?: boolean;
}) {
  return (
    <select name="session" id={props.id} required={props.required}>
      <option value="">{t(props.empty)}</option>
      {props.sessions.map((s) => (
        <option value={String(s._id)} selected={props.selected === String(s._id)} safe>
          {`${s.name} (${tAttr("day {day}", { day: s.day })}${s.location ? `, ${s.location}` : ""})`}
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
        <span safe>{p?.name ?? tAttr("(deleted participant)")}</span>
        <div class="meta" safe>
          {p?.email ?? ""}
        </div>
      </td>
      <td safe>{s?.name ?? tAttr("(deleted session)")}</td>
      <td>
        <StatusSelect
          name="status"
          selected={r.status}
          attrs={{
            "hx-post": `/admin/registrations/${id}/status`,
            "hx-trigger": "change",
            "hx-target": `#${rowId(id)}`,
            "hx-swap": "outerHTML",
            "aria-label": tAttr("Status"),
          }}
        />
      </td>
      <td safe>{fmtDateTime(r.registrationDate)}</td>
      <td>
        <DeleteButton
          url={REGISTRATION_PAGES.one({ id })}
          row={rowId(id)}
          confirm={tAttr('Remove {name} from "{session}"?', {
            name: p?.name ?? tAttr("this person"),
            session: s?.name ?? tAttr("this session"),
          })}
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
    <Layout title={tAttr("Registrations")}>
      <h1>{t("Registrations")}</h1>
      <form method="get" action={REGISTRATION_PAGES.list()} class="filters">
        <label>
          {t("Participant")}{" "}
          <input type="search" name="participant" value={filters.participant} maxlength="254" />
        </label>
        <label for="filter-session">
          {t("Session")}{" "}
          <SessionSelect
            id="filter-session"
            sessions={props.sessions}
            selected={filters.session}
            empty="any"
          />
        </label>
        <label for="filter-status">
          {t("Status")} <StatusSelect name="status" id="filter-status" selected={filters.status} any />
        </label>
        <button type="submit">{t("Filter")}</button>
      </form>
      <table class="overview" tabindex="0">
        <thead>
          <tr>
            <th>{t("Participant")}</th>
            <th>{t("Session")}</th>
            <th>{t("Status")}</th>
            <th>{t("Registered ({zone})", { zone: zoneName() })}</th>
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
        <h2>{t("Register people in bulk")}</h2>
        <label for="assign-session">
          {t("Session")}{" "}
          <SessionSelect
            id="assign-session"
            sessions={props.sessions}
            selected={filters.session}
            empty="choose…"
            required
          />
        </label>
        <label for="assign-status">
          {t("Status")} <StatusSelect name="status" id="assign-status" selected="confirmed" />
        </label>
        <label>
          {t("Emails or badge codes, one per line")}
          <textarea name="people" rows="6" required maxlength="200000"></textarea>
        </label>
        <button type="submit">{t("Register")}</button>
      </form>
      <div id="assign-result"></div>
      <h2>{t("Import registrations")}</h2>
      <p class="meta">
        {t(
          "A CSV with the columns email (or qrCode), session (its name or ID) and status (confirmed, pending or cancelled; confirmed when empty). Choose a session to import a file without a session column. Importing again only changes statuses.",
        )}{" "}
        <a href="/api/v1/registrations/import/template">{t("Template")}</a>
      </p>
      <UploadForm action={REGISTRATION_PAGES.import()} target="#registrations-import-result">
        <label for="import-session">
          {t("For one session")}{" "}
          <SessionSelect id="import-session" sessions={props.sessions} empty="the file's session column" />
        </label>
      </UploadForm>
      <div id="registrations-import-result"></div>
    </Layout>
  );
}
