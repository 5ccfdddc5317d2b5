import { fmtDateTime, ShownOnce } from "../../views/components";
import { Layout } from "../../views/layout";
import { t, tAttr } from "../web/reader";
import { WEBHOOK_PAGES } from "./paths";
import { type EndpointDoc, WEBHOOK_EVENTS } from "./repo";

export type EndpointView = Omit<EndpointDoc, "secret"> & { pending: number; failed: number };

export function EndpointList(props: {
  endpoints: EndpointView[];
  created?: { url: string; secret: string };
}) {
  return (
    <section id="webhooks">
      {props.created ? (
        <ShownOnce
          headline="Endpoint added"
          words="Copy its signing secret now for {url}; it is not shown again:"
          params={{ url: props.created.url }}
          value={props.created.secret}
        />
      ) : (
        ""
      )}
      <table class="overview" tabindex="0">
        <thead>
          <tr>
            <th>{t("Address")}</th>
            <th>{t("Events")}</th>
            <th>{t("Waiting")}</th>
            <th>{t("Failed")}</th>
            <th>{t("Last delivered")}</th>
            <th>{t("Last error")}</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {props.endpoints.map((e) => (
            <tr data-endpoint={String(e._id)}>
              <td safe>{e.url}</td>
              <td>
                <code safe>{e.events.join(", ")}</code>
              </td>
              <td class="num" safe>
                {String(e.pending)}
              </td>
              <td class="num" safe>
                {String(e.failed)}
              </td>
              <td>{e.lastSuccessAt ? fmtDateTime(e.lastSuccessAt) : "—"}</td>
              <td safe>{e.lastError ?? ""}</td>
              <td>
                <button
                  type="button"
                  class="decline"
                  hx-post={WEBHOOK_PAGES.remove({ id: String(e._id) })}
                  hx-target="#webhooks"
                  hx-swap="outerHTML"
                  hx-confirm={tAttr("Remove this endpoint and its waiting deliveries?")}
                >
                  {t("Remove")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function WebhooksPage(props: { endpoints: EndpointView[]; error?: string }) {
  return (
    <Layout title={tAttr("Webhooks")}>
      <h1>{t("Webhooks")}</h1>
      <p class="meta">
        {t(
          "Each event is sent signed (Standard Webhooks), at least once and in order per session; a receiver that is down gets everything once it is back.",
        )}
      </p>
      <form hx-post={WEBHOOK_PAGES.list()} hx-target="#webhooks" hx-swap="outerHTML" class="settings">
        <label for="webhook-url">{t("Address")}</label>
        <input id="webhook-url" name="url" type="url" required maxlength="2000" />
        <fieldset class="choices">
          <legend>{t("Events")}</legend>
          {WEBHOOK_EVENTS.map((event) => (
            <label class="check">
              <input type="checkbox" name="events" value={event} checked /> <code>{event}</code>
            </label>
          ))}
        </fieldset>
        <label class="check">
          <input type="checkbox" name="includeContact" value="1" /> {t("Include e-mail addresses")}
        </label>
        <button type="submit">{t("Add endpoint")}</button>
      </form>
      <EndpointList endpoints={props.endpoints} />
    </Layout>
  );
}
