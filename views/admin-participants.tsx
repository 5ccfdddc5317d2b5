import { ATTENDANCE_PAGE } from "../src/attendance/paths";
import { BADGES } from "../src/badges/paths";
import type { CheckInDoc } from "../src/checkin/repo";
import type { FieldError } from "../src/http/errors";
import { PARTICIPANT_PAGES } from "../src/participants/paths";
import type { ParticipantDoc } from "../src/participants/repo";
import { REGISTRATION_PAGES } from "../src/registrations/paths";
import type { PageOf } from "../src/web/paging";
import { withQuery } from "../src/web/paths";
import { t, tAttr } from "../src/web/reader";
import { DeleteButton, EditButton, EditRow, FieldErrors, fmtDateTime, listLink, Pager } from "./components";
import { Layout } from "./layout";

const rowId = (id: string) => `admin-participant-${id}`;

export function ParticipantRow(props: { p: ParticipantDoc }) {
  const { p } = props;
  const id = String(p._id);
  return (
    <tr id={rowId(id)}>
      <td>
        <span safe>{p.name}</span>
        <div class="meta" safe>
          {p.email}
        </div>
      </td>
      <td safe>{p.organization ?? ""}</td>
      <td>
        <a href={withQuery(BADGES.sheet(), { ids: id })}>
          <code safe>{p.qrCode}</code>
        </a>
      </td>
      <td>{p.isActive ? t("active") : t("deactivated")}</td>
      <td>
        <div class="row-actions">
          <EditButton url={PARTICIPANT_PAGES.edit({ id })} row={rowId(id)} />
          <a href={withQuery(REGISTRATION_PAGES.list(), { participantId: id })}>{t("Sessions")}</a>
          <a href={PARTICIPANT_PAGES.checkIns({ id })}>{t("Check-ins")}</a>
          <a href={ATTENDANCE_PAGE({ id })}>{t("Attendance")}</a>
          <DeleteButton
            url={PARTICIPANT_PAGES.one({ id })}
            row={rowId(id)}
            confirm={tAttr("Delete {name} with their registrations and check-ins?", { name: p.name })}
          />
          {p.erasedAt ? (
            ""
          ) : (
            <button
              type="button"
              class="secondary"
              hx-post={PARTICIPANT_PAGES.erase({ id })}
              hx-target={`#${rowId(id)}`}
              hx-swap="outerHTML"
              hx-confirm={tAttr(
                "Erase {name}'s personal data for good? Their attendance still counts, under no name; their badge stops working.",
                { name: p.name },
              )}
            >
              {t("Erase")}
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}

/** The create form, or (with an id) the edit form that replaces a row. */
export function ParticipantForm(props: {
  id?: string;
  errors?: FieldError[];
  values?: Record<string, string>;
}) {
  const errors = props.errors ?? [];
  const v = props.values ?? {};
  const editing = props.id !== undefined;
  const form = (
    <form
      id={editing ? undefined : "new-participant"}
      class="settings"
      hx-post={editing ? PARTICIPANT_PAGES.one({ id: props.id as string }) : PARTICIPANT_PAGES.list()}
      hx-target={editing ? `#${rowId(props.id as string)}` : "#new-participant"}
      hx-swap="outerHTML"
    >
      {editing ? "" : <h2>{t("New participant")}</h2>}
      <label>
        {t("Name")} <input name="name" required maxlength="200" value={v.name ?? ""} />
        <FieldErrors errors={errors} field="name" />
      </label>
      <label>
        {t("Email")} <input type="email" name="email" required maxlength="254" value={v.email ?? ""} />
        <FieldErrors errors={errors} field="email" />
      </label>
      <label>
        {t("Organization")} <input name="organization" maxlength="200" value={v.organization ?? ""} />
      </label>
      <label>
        {t("Phone")} <input name="phone" maxlength="50" value={v.phone ?? ""} />
      </label>
      <label>
        {t("Note for the door (shown on the verdict: accessibility, dietary)")}
        <input name="doorNote" maxlength="200" value={v.doorNote ?? ""} />
      </label>
      {editing ? (
        <label>
          <input type="checkbox" name="isActive" value="on" checked={v.isActive === "on"} />{" "}
          {t("Active (a deactivated badge is declined at the door)")}
        </label>
      ) : (
        ""
      )}
      <button type="submit">{editing ? t("Save") : t("Create")}</button>
      {editing ? (
        <a href={PARTICIPANT_PAGES.list()} class="secondary">
          {t("Cancel")}
        </a>
      ) : (
        ""
      )}
    </form>
  );
  return editing ? (
    <EditRow id={rowId(props.id as string)} columns={5}>
      {form}
    </EditRow>
  ) : (
    form
  );
}

export const formValues = (p: ParticipantDoc): Record<string, string> => ({
  name: p.name,
  email: p.email,
  organization: p.organization ?? "",
  phone: p.phone ?? "",
  doorNote: p.doorNote ?? "",
  isActive: p.isActive ? "on" : "",
});

export interface CheckInRow {
  doc: CheckInDoc;
  session: string;
}

/** A person's check-ins; an admin may undo any of them. */
export function CheckInTable(props: { participantId: string; rows: CheckInRow[] }) {
  return (
    <table class="overview" tabindex="0" id="participant-checkins">
      <thead>
        <tr>
          <th>{t("Session")}</th>
          <th>{t("Checked in")}</th>
          <th>{t("Now")}</th>
          <th>{t("By, device")}</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {props.rows.length === 0 ? (
          <tr>
            <td colspan="5">{t("No check-ins.")}</td>
          </tr>
        ) : (
          props.rows.map(({ doc, session }) => (
            <tr>
              <td safe>{session}</td>
              <td safe>{`${fmtDateTime(doc.checkInTime)}${doc.isLate ? ` · ${tAttr("late")}` : ""}`}</td>
              <td>{doc.checkedOutAt ? t("left") : t("inside")}</td>
              <td safe>{[doc.checkedInBy, doc.device].filter(Boolean).join(" · ")}</td>
              <td>
                <button
                  type="button"
                  class="decline"
                  hx-post={PARTICIPANT_PAGES.undoCheckIn({
                    id: props.participantId,
                    checkInId: String(doc._id),
                  })}
                  hx-target="#participant-checkins"
                  hx-swap="outerHTML"
                  hx-confirm={tAttr("Undo this check-in to {session}? The seat and the count are freed.", {
                    session,
                  })}
                >
                  {t("Undo")}
                </button>
              </td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

export function ParticipantCheckIns(props: { participant: ParticipantDoc; rows: CheckInRow[] }) {
  const { participant } = props;
  return (
    <Layout title={tAttr("Check-ins · {name}", { name: participant.name })}>
      <h1 safe>{participant.name}</h1>
      <p class="meta" safe>
        {[participant.organization, participant.email].filter(Boolean).join(" · ")}
      </p>
      <CheckInTable participantId={String(participant._id)} rows={props.rows} />
      <p>
        <a href={ATTENDANCE_PAGE({ id: String(participant._id) })}>{t("Attendance")}</a> ·{" "}
        <a href={PARTICIPANT_PAGES.list()}>{t("All participants")}</a>
      </p>
    </Layout>
  );
}

export function AdminParticipantsPage(props: { list: PageOf<ParticipantDoc>; search: string }) {
  const href = listLink("/admin/participants", { search: props.search });
  return (
    <Layout title={tAttr("Participants")}>
      <h1>{t("Participants")}</h1>
      <form method="get" action={PARTICIPANT_PAGES.list()} class="filters">
        <label>
          {t("Search")} <input type="search" name="search" value={props.search} maxlength="200" />
        </label>
        <button type="submit">{t("Search")}</button>
      </form>
      <table class="overview" tabindex="0">
        <thead>
          <tr>
            <th>{t("Name")}</th>
            <th>{t("Organization")}</th>
            <th>{t("Badge")}</th>
            <th>{t("State")}</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {props.list.items.map((p) => (
            <ParticipantRow p={p} />
          ))}
        </tbody>
      </table>
      <Pager {...props.list} href={href} />
      <ParticipantForm />
    </Layout>
  );
}
