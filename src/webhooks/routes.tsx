import { Elysia, t } from "elysia";
import type { Features } from "../features";
import { ok, parseId } from "../http/envelope";
import { AppError, notFound } from "../http/errors";
import { IdSchema } from "../http/query";
import { phrase } from "../i18n/locale";
import { html } from "../web/html";
import { WEBHOOK_PAGES } from "./paths";
import { WEBHOOK_EVENTS, type WebhookEvent } from "./repo";
import { TargetError } from "./targets";
import { EndpointList, WebhooksPage } from "./views";

// Webhook endpoints, for admins (the policy's default): the JSON API and the page.

const EventName = t.Union(WEBHOOK_EVENTS.map((e) => t.Literal(e)));
const NewEndpoint = t.Object(
  {
    url: t.String({ minLength: 8, maxLength: 2000 }),
    events: t.Array(EventName, { minItems: 1, maxItems: WEBHOOK_EVENTS.length }),
    includeContact: t.Optional(t.Boolean()),
  },
  { additionalProperties: false },
);
const NewEndpointForm = t.Object(
  {
    url: t.String({ minLength: 8, maxLength: 2000 }),
    events: t.Union([EventName, t.Array(EventName, { minItems: 1, maxItems: WEBHOOK_EVENTS.length })]),
    includeContact: t.Optional(t.Literal("1")),
  },
  { additionalProperties: false },
);

/** A refused target, in words, as a 400. */
const refused = (error: unknown): never => {
  if (error instanceof TargetError) throw new AppError(400, phrase(error.text));
  throw error;
};

export function webhookRoutes(features: Pick<Features, "webhooks">) {
  const { webhooks } = features;
  return new Elysia({ name: "webhooks" })
    .get("/api/v1/webhooks", async ({ request }) => ok(request, await webhooks.list(), "Webhook endpoints"))
    .post(
      "/api/v1/webhooks",
      async ({ body, request, set }) => {
        const doc = await webhooks.create(body).catch(refused);
        set.status = 201;
        return ok(
          request,
          {
            _id: doc._id,
            url: doc.url,
            events: doc.events,
            includeContact: doc.includeContact,
            secret: doc.secret,
          },
          "Webhook endpoint created: copy its secret now, it is not shown again",
        );
      },
      { body: NewEndpoint },
    )
    .delete(
      "/api/v1/webhooks/:id",
      async ({ params, request }) => {
        if (!(await webhooks.remove(parseId(params.id))))
          throw notFound(phrase("Webhook endpoint with ID {id} not found", { id: params.id }));
        return ok(request, { _id: params.id }, "Webhook endpoint removed");
      },
      { params: t.Object({ id: IdSchema("webhook endpoint") }) },
    )
    .get(WEBHOOK_PAGES.list.pattern, async ({ request }) => {
      const endpoints = await webhooks.list();
      return html(request, () => <WebhooksPage endpoints={endpoints} />);
    })
    .post(
      WEBHOOK_PAGES.list.pattern,
      async ({ body, request }) => {
        const events = (Array.isArray(body.events) ? body.events : [body.events]) as WebhookEvent[];
        const doc = await webhooks
          .create({ url: body.url, events, includeContact: body.includeContact === "1" })
          .catch(refused);
        const endpoints = await webhooks.list();
        return html(request, () => (
          <EndpointList endpoints={endpoints} created={{ url: doc.url, secret: doc.secret }} />
        ));
      },
      { body: NewEndpointForm },
    )
    .post(
      WEBHOOK_PAGES.remove.pattern,
      async ({ params, request }) => {
        await webhooks.remove(parseId(params.id));
        const endpoints = await webhooks.list();
        return html(request, () => <EndpointList endpoints={endpoints} />);
      },
      { params: t.Object({ id: IdSchema("webhook endpoint") }) },
    );
}
