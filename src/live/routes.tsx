import { Elysia, t } from "elysia";
import { OverviewPage, SessionDashboard } from "../../views/dashboard";
import { signedIn } from "../auth/plugin";
import { parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import { html } from "../web/html";
import { localeOf } from "../web/reader";
import type { Hub } from "./hub";
import { LIVE } from "./paths";
import type { LiveSocket, LiveSockets } from "./sockets";
import type { LiveSource } from "./state";

/** Dashboards and the one WebSocket endpoint (`/ws`, the path Nginx sends to the sticky upstream). */
export function liveRoutes(hub: Hub, source: LiveSource, live: LiveSockets) {
  /** Bun's socket as the dashboards' sessions use it. */
  const asLive = (ws: {
    id: string;
    send(d: string): unknown;
    close(c?: number, r?: string): unknown;
    subscribe(c: string): unknown;
  }): LiveSocket => ws as unknown as LiveSocket;
  return new Elysia({ name: "live" })
    .use(signedIn)
    .get(LIVE.overview.pattern, async ({ request }) => {
      const ids = await source.activeSessionIds();
      const rows = (await Promise.all(ids.map((id) => source.session(id)))).filter((s) => s !== null);
      return html(request, () => <OverviewPage rows={rows} />);
    })
    .get(
      LIVE.session.pattern,
      async ({ params, request }) => {
        const state = await source.session(String(parseId(params.sessionId)));
        if (!state)
          throw notFound(phrase("Session with ID {id} not found", { id: String(params.sessionId) }));
        return html(request, () => <SessionDashboard state={state} />);
      },
      { params: t.Object({ sessionId: t.String({ maxLength: 24 }) }) },
    )
    .ws(LIVE.socket.pattern, {
      query: t.Object({ topics: t.String({ minLength: 1, maxLength: 200 }) }),
      open: (ws) =>
        live.open(asLive(ws), ws.data.query.topics, {
          principal: ws.data.principal,
          signIn: ws.data.signIn,
          locale: localeOf(ws.data.request),
        }),
      message() {
        // Dashboards only listen.
      },
      close: (ws) => live.closed(asLive(ws)),
    });
}
