import type { AdminLogDoc } from "../src/audit/log";
import { ADMIN_LOG } from "../src/audit/paths";
import type { Text } from "../src/i18n/locale";
import { withQuery } from "../src/web/paths";
import { t, tAttr } from "../src/web/reader";
import { fmtDateTime, zoneName } from "./components";
import { Layout } from "./layout";

const summary = (doc: unknown) => (doc ? JSON.stringify(doc).slice(0, 300) : "—");

/** What a change was made to, as the filter offers it ("" for anything). */
const COLLECTIONS: [string, Text][] = [
  ["", "anything"],
  ["sessions", "sessions"],
  ["participants", "participants"],
  ["registrations", "registrations"],
  ["checkins", "check-ins"],
  ["users", "staff accounts"],
  ["api_tokens", "API tokens"],
  ["settings", "settings"],
];

/** The audit of staff changes: newest first, filtered by who and by what. */
export function AdminLogPage(props: {
  entries: AdminLogDoc[];
  who: string;
  collection: string;
  page: number;
  pages: number;
  total: number;
}) {
  const query = (page: number) =>
    `/admin/log?${new URLSearchParams({ who: props.who, collection: props.collection, page: String(page) })}`;
  return (
    <Layout title={tAttr("Admin log")}>
      <h1>{t("Admin log")}</h1>
      <form method="get" action={ADMIN_LOG.page()} class="filters">
        <label>
          {t("Who")}
          <input name="who" value={props.who} maxlength="200" />
        </label>
        <label>
          {t("What")}
          <select name="collection">
            {COLLECTIONS.map(([name, label]) => (
              <option value={name} selected={props.collection === name}>
                {t(label)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t("Filter")}</button>
        <a href={withQuery(ADMIN_LOG.csv(), { who: props.who, collection: props.collection })}>
          {t("Download CSV")}
        </a>
      </form>
      <p class="meta">{t("{n} {n|change|changes}", { n: props.total })}</p>
      <div class="table-scroll">
        <table class="overview" tabindex="0">
          <thead>
            <tr>
              <th>{t("When ({zone})", { zone: zoneName() })}</th>
              <th>{t("Who")}</th>
              <th>{t("What")}</th>
              <th>{t("Before")}</th>
              <th>{t("After")}</th>
            </tr>
          </thead>
          <tbody>
            {props.entries.map((e) => (
              <tr>
                <td safe>{fmtDateTime(e.at)}</td>
                <td safe>{`${e.by.name} (${e.by.kind === "token" ? tAttr("token") : tAttr("account")})`}</td>
                <td>
                  <code safe>{`${e.method} ${e.path}`}</code>
                </td>
                <td>
                  <code safe>{summary(e.before)}</code>
                </td>
                <td>
                  <code safe>{summary(e.after)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="pager">
        {props.page > 1 ? <a href={query(props.page - 1)}>{t("Newer")}</a> : ""}
        <span>{t("Page {page} of {pages}", { page: props.page, pages: props.pages })}</span>
        {props.page < props.pages ? <a href={query(props.page + 1)}>{t("Older")}</a> : ""}
      </nav>
    </Layout>
  );
}
