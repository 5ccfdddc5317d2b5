import { Elysia, t } from "elysia";
import type { Filter } from "mongodb";
import { AdminLogPage } from "../../views/admin-log";
import { containsPattern, ok, pageMeta } from "../http/envelope";
import { pageQuery, pagination } from "../http/query";
import type { Text } from "../i18n/locale";
import { toCsv } from "../imports/csv";
import type { Runtime } from "../runtime";
import { csvResponse, html } from "../web/html";
import { findPage, pageOf } from "../web/paging";
import { localeOf } from "../web/reader";
import { type AdminLogDoc, type AuditTrail, adminLogOf } from "./log";
import { ADMIN_LOG } from "./paths";

const Filters = {
  who: t.Optional(t.String({ maxLength: 200 })),
  collection: t.Optional(t.String({ maxLength: 50 })),
};

function filterOf(query: { who?: string; collection?: string }): Filter<AdminLogDoc> {
  const filter: Filter<AdminLogDoc> = {};
  if (query.who?.trim()) filter["by.name"] = containsPattern(query.who.trim());
  if (query.collection) filter["target.collection"] = query.collection;
  return filter;
}

/** The admin log for admins: a page with filters, the same as JSON (paged) and as CSV. */
export function adminLogRoutes(rt: Runtime, trail: AuditTrail) {
  const log = adminLogOf(rt.mongo.db);
  return (
    new Elysia({ name: "admin-log" })
      // What this instance still gathers is written first: a reader sees the change just made.
      .onBeforeHandle(() => trail.flush())
      .get(
        ADMIN_LOG.page.pattern,
        async ({ query, request }) => {
          const list = await pageOf(log, filterOf(query), { at: -1, _id: -1 }, query.page);
          return html(request, () => (
            <AdminLogPage
              entries={list.items}
              who={query.who ?? ""}
              collection={query.collection ?? ""}
              page={list.page}
              pages={list.pages}
              total={list.total}
            />
          ));
        },
        { query: t.Object({ ...Filters, page: t.Optional(t.Integer({ minimum: 1 })) }) },
      )
      .get(
        "/api/v1/admin-log",
        async ({ query, request }) => {
          const page = pagination(query);
          const filter = filterOf(query);
          const { items: entries, total } = await findPage(log, filter, { at: -1, _id: -1 }, page);
          return ok(request, entries, "Admin log", { meta: pageMeta(page, total) });
        },
        { query: t.Object({ ...pageQuery, ...Filters }) },
      )
      .get(
        ADMIN_LOG.csv.pattern,
        async ({ query, request }) => {
          const entries = await log.find(filterOf(query)).sort({ at: -1, _id: -1 }).toArray();
          const rows = entries.map((e) => ({
            at: e.at.toISOString(),
            who: e.by.name,
            kind: e.by.kind,
            method: e.method,
            path: e.path,
            collection: e.target?.collection ?? "",
            id: e.target?.id ?? "",
            before: e.before ? JSON.stringify(e.before) : "",
            after: e.after ? JSON.stringify(e.after) : "",
          }));
          return csvResponse(
            toCsv(
              rows,
              ["at", "who", "kind", "method", "path", "collection", "id", "before", "after"] satisfies Text[],
              localeOf(request),
            ),
            "admin-log.csv",
          );
        },
        { query: t.Object(Filters) },
      )
  );
}
