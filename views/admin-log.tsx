import type { AdminLogDoc } from "../src/audit/log";
import { ADMIN_LOG } from "../src/audit/paths";
import { wallClock } from "../src/time/zone";
import { withQuery } from "../src/web/paths";
import { zoneName } from "./components";
import { Layout } from "./layout";

const summary = (doc: unknown) => (doc ? JSON.stringify(doc).slice(0, 300) : "—");

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
    <Layout title="Admin log">
      <h1>Admin log</h1>
      <form method="get" action={ADMIN_LOG.page()} class="filters">
        <label>
          Who
          <input name="who" value={props.who} maxlength="200" />
        </label>
        <label>
          What
          <select name="collection">
            {[
              "",
              "sessions",
              "participants",
              "registrations",
              "checkins",
              "users",
              "api_tokens",
              "settings",
            ].map((name) => (
              <option value={name} selected={props.collection === name} safe>
                {name || "anything"}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
        <a href={withQuery(ADMIN_LOG.csv(), { who: props.who, collection: props.collection })}>CSV</a>
      </form>
      <p class="meta" safe>{`${props.total} changes`}</p>
      <div class="table-scroll">
        <table class="overview" tabindex="0">
          <thead>
            <tr>
              <th safe>{`When (${zoneName()})`}</th>
              <th>Who</th>
              <th>What</th>
              <th>Before</th>
              <th>After</th>
            </tr>
          </thead>
          <tbody>
            {props.entries.map((e) => (
              <tr>
                <td safe>{wallClock(e.at).replace("T", " ")}</td>
                <td safe>{`${e.by.name} (${e.by.kind})`}</td>
                <td safe>{`${e.method} ${e.path}`}</td>
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
        {props.page > 1 ? <a href={query(props.page - 1)}>Newer</a> : ""}
        <span safe>{`Page ${props.page} of ${props.pages}`}</span>
        {props.page < props.pages ? <a href={query(props.page + 1)}>Older</a> : ""}
      </nav>
    </Layout>
  );
}
