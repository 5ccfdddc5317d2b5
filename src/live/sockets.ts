import type { Principal } from "../auth/store";
import type { Locale } from "../i18n/locale";
import type { Bus } from "./bus";
import { channel, type Hub, isTopic } from "./hub";

// Dashboard sockets, whichever edge upgraded them (Bun's `.ws`, Deno's upgradeWebSocket):
// the topics asked for, who owns each socket (a revocation, a change of account or a
// sign-out closes it at once), its end with the sign-in, the first snapshot.

const MAX_TOPICS = 5;

/** What an edge's socket offers. */
export interface LiveSocket {
  id: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  subscribe(channel: string): void;
}

export interface Closable {
  close(code?: number, reason?: string): void;
}

export interface SocketOwner {
  principal: Principal | null;
  /** A cookie's sign-in: its id and when it stops being good. */
  signIn: { id: string; endsAt: number } | null;
  locale: Locale;
}

export function createLiveSockets(hub: Hub, bus: Bus, sockets: Set<Closable>) {
  /** Whose each open socket is ("user:<id>" or "token:<id>"), so a revocation closes it at once. */
  const owners = new Map<string, { socket: Closable; owner: string; signIn?: string }>();
  const expiries = new Map<string, ReturnType<typeof setTimeout>>();
  /**
   * The socket held for each id: an edge may hand a new wrapper of the same socket to each
   * event (Elysia does), so the close finds what the open added by its id.
   */
  const held = new Map<string, Closable>();
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

  return {
    /** A socket just opened for `topics` ("overview", "session:<id>", comma-separated). */
    async open(ws: LiveSocket, topicList: string, who: SocketOwner): Promise<void> {
      const topics = topicList.split(",").filter(isTopic).slice(0, MAX_TOPICS);
      if (topics.length === 0) {
        ws.close(1008, "subscribe to overview or session:<id>");
        return;
      }
      sockets.add(ws);
      held.set(ws.id, ws);
      const { principal, signIn } = who;
      if (principal)
        owners.set(ws.id, {
          socket: ws,
          owner: `${principal.kind}:${principal.id}`,
          ...(signIn ? { signIn: signIn.id } : {}),
        });
      // A dashboard left open does not outlive its sign-in: it closes when the sign-in ends.
      if (signIn)
        expiries.set(
          ws.id,
          setTimeout(
            () => ws.close(1008, "sign-in ended; sign in again"),
            Math.max(0, signIn.endsAt - Date.now()),
          ),
        );
      hub.opened();
      // Subscribe, then send the snapshot, then re-render once more: a change landing
      // while the snapshot was rendered can never leave a reconnecting client stale.
      for (const topic of topics) {
        ws.subscribe(channel(topic, who.locale));
        const snapshot = await hub.snapshot(topic, who.locale);
        if (snapshot) ws.send(snapshot);
        hub.touch(topic);
      }
    },
    closed(ws: LiveSocket): void {
      owners.delete(ws.id);
      clearTimeout(expiries.get(ws.id));
      expiries.delete(ws.id);
      const opened = held.get(ws.id);
      held.delete(ws.id);
      if (opened && sockets.delete(opened)) hub.closed();
    },
  };
}

export type LiveSockets = ReturnType<typeof createLiveSockets>;

/**
 * Topics for an edge without Bun's own pub/sub (Deno): each channel's open sockets, so the
 * hub can publish to them and count who reads what.
 */
export function createTopics() {
  const members = new Map<string, Set<{ send(data: string): void }>>();
  return {
    subscribe(channelName: string, socket: { send(data: string): void }) {
      const set = members.get(channelName) ?? new Set();
      set.add(socket);
      members.set(channelName, set);
    },
    drop(socket: { send(data: string): void }) {
      for (const [name, set] of members) {
        set.delete(socket);
        if (set.size === 0) members.delete(name);
      }
    },
    publish(channelName: string, data: string) {
      for (const socket of members.get(channelName) ?? []) {
        try {
          socket.send(data);
        } catch {
          // A socket closing as we send: its close handler drops it.
        }
      }
    },
    subscriberCount: (channelName: string) => members.get(channelName)?.size ?? 0,
  };
}
