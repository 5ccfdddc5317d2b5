import { Elysia, t } from "elysia";
import { OverviewPage, SessionDashboard } from "../../views/dashboard";
import { signedIn } from "../auth/plugin";
import { parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import { html } from "../web/html";
import { localeOf } from "../web/reader";
import type { Bus } from "./bus";
import { channel, type Hub, isTopic } from "./hub";
import { LIVE } from "./paths";
import type { LiveSource } from "./state";

const MAX_TOPICS = 5;

interface Closable {
  close(code?: number, reason?: string): void;
}

/** Dashboards and the one WebSocket endpoint (`/ws`, the path Nginx sends to the sticky upstream). */
export function liveRoutes(hub: Hub, source: LiveSource, sockets: Set<Closable>, bus: Bus) {
  /** Whose each open socket is ("user:<id>" or "token:<id>"), so a revocation closes it at once. */
  const owners = new Map<string, { socket: Closable; owner: string; signIn?: string }>();
  const expiries = new Map<string, ReturnType<typeof setTimeout>>();
  void bus.listen((event) => {
    if (event.kind === "signed-out") {
      for (const open of owners.values())
        if (open.signIn === event.signInId) open.socket.close(1008, "signed out; sign in again");
      return;
    }
    const owner =
      event.kind === "account"
        ? `user:${event.userId}`
        : event.kind === "token"
          ? `token:${event.tokenId}`
          : null;
    if (!owner) return;
    for (const open of owners.values())
      if (open.owner === owner) open.socket.close(1008, "signed out or changed; reconnect");
  });
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
      async open(ws) {
        const topics = ws.data.query.topics.split(",").filter(isTopic).slice(0, MAX_TOPICS);
        if (topics.length === 0) {
          ws.close(1008, "subscribe to overview or session:<id>");
          return;
        }
        sockets.add(ws);
        const { principal, signIn: cookie } = ws.data;
        const signIn = cookie?.id;
        if (principal)
          owners.set(ws.id, {
            socket: ws,
            owner: `${principal.kind}:${principal.id}`,
            ...(signIn ? { signIn } : {}),
          });
        // A dashboard left open does not outlive its sign-in: it closes when the sign-in ends.
        const ends = cookie?.endsAt;
        if (ends !== undefined)
          expiries.set(
            ws.id,
            setTimeout(() => ws.close(1008, "sign-in ended; sign in again"), Math.max(0, ends - Date.now())),
          );
        hub.opened();
        // Subscribe, then send the snapshot, then re-render once more: a change landing
        // while the snapshot was rendered can never leave a reconnecting client stale.
        const locale = localeOf(ws.data.request);
        for (const topic of topics) {
          ws.subscribe(channel(topic, locale));
          const snapshot = await hub.snapshot(topic, locale);
          if (snapshot) ws.send(snapshot);
          hub.touch(topic);
        }
      },
      message() {
        // Dashboards only listen.
      },
      close(ws) {
        owners.delete(ws.id);
        clearTimeout(expiries.get(ws.id));
        expiries.delete(ws.id);
        if (sockets.delete(ws)) hub.closed();
      },
    });
}
