import type { ApiDocument } from "../src/api/document";
import { API_DOCS } from "../src/api/paths";
import { t, tAttr } from "../src/web/reader";
import { Layout } from "./layout";

type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[]; enum?: unknown[] };

/** A body's fields as a line each: name, type, required, allowed values. */
function Fields(props: { schema: Schema | undefined }) {
  const properties = Object.entries(props.schema?.properties ?? {});
  if (properties.length === 0) return <span>—</span>;
  const required = new Set(props.schema?.required ?? []);
  return (
    <ul class="fields">
      {properties.map(([name, field]) => (
        <li>
          <code safe>{name}</code>{" "}
          <code
            safe
          >{`${field.type ?? ""}${required.has(name) ? " *" : ""}${field.enum ? ` (${field.enum.join(", ")})` : ""}`}</code>
        </li>
      ))}
    </ul>
  );
}

/** The JSON API, route by route, from its own document. */
export function ApiReferencePage(props: { document: ApiDocument }) {
  const rows = Object.entries(props.document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({ path, method, operation })),
  );
  return (
    <Layout title={tAttr("API reference")}>
      <h1>{t("API reference")}</h1>
      <p class="meta">
        {t("Every JSON route with the body it takes; the whole document, for tools:")}{" "}
        <a href={API_DOCS.document()}>
          <code>openapi.json</code>
        </a>
      </p>
      <p>
        {t(
          "Every answer is an envelope. Sign requests with an API token (Authorization: Bearer ck_…) or the sign-in cookie; changes made with the cookie carry its CSRF token in the X-CSRF-Token header.",
        )}
      </p>
      <p>
        {t(
          "A nonce (the body's nonce, or the Idempotency-Key header) belongs to the first request that carries it: sent again with the same request it gets the first answer; sent with anything else it is refused with 422 and changes nothing. Kept for 24 hours.",
        )}
      </p>
      <table class="overview" tabindex="0">
        <thead>
          <tr>
            <th>{t("Route")}</th>
            <th>{t("Body")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ path, method, operation }) => (
            <tr>
              <td>
                <code safe>{`${method.toUpperCase()} ${path}`}</code>
              </td>
              <td>
                <Fields
                  schema={
                    (operation.requestBody?.content?.["application/json"]?.schema ??
                      operation.requestBody?.content?.["multipart/form-data"]?.schema) as Schema | undefined
                  }
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
