import type { Runtime } from "../runtime";

// Cross-instance fan-out: every state change a dashboard shows is announced on one
// Redis channel; each instance subscribes once and re-renders for its own sockets.
// Messages only say *what* changed, never the new numbers, so a late or coalesced
// message can never show a wrong count: receivers read the current state.

/** One scan as a dashboard lists it. */
export interface ScanEntry {
  name: string;
  outcome: string;
  reason: string;
  at: string;
  door?: string;
  /** Who scanned (account or token name). */
  by?: string;
  late?: boolean;
  /** An offline door's own decision, when the server's final one differs. */
  conflict?: string;
}

/** One scan as dashboards are told of it (activity.ts gathers them). */
export interface ScanNotice {
  sessionId: string;
  entry: ScanEntry;
  admitted: boolean;
}

/** `at`: when the change was made (ms since epoch), so clients can measure delivery delay. */
export type LiveEvent =
  | { kind: "session"; sessionId: string; at?: number }
  | { kind: "settings" }
  /** Scans for the dashboards, as one instance sent them in one group. */
  | { kind: "scans"; at: number; items: ScanNotice[] }
  /** Someone left a session's room at `at` (ms): an exit or a move. */
  | { kind: "left"; sessionId: string; at: number }
  /** A session's chart must be read again (a check-in was undone). */
  | { kind: "timeline"; sessionId: string }
  | { kind: "all" }
  /** Caches: a session's document, a participant, the whole directory, a revoked token. */
  | { kind: "session-doc"; sessionId: string }
  | { kind: "participant"; participantId: string; qrCode: string }
  | { kind: "directory" }
  | { kind: "token"; hash: string; tokenId: string }
  | { kind: "account"; userId: string }
  /** One sign-in was signed out (`until`: when it would have ended by itself, ms). */
  | { kind: "signed-out"; signInId: string; until: number }
  /** Local only: the subscription was re-established, so messages may have been missed. */
  | { kind: "resync" }
  /** A restore replaced the data: everything derived from it is dropped and rebuilt. */
  | { kind: "restored" };

export interface Bus {
  /** Resolves once Redis has taken the message (every subscriber has it queued). */
  publish(event: LiveEvent): Promise<void>;
  /** Adds a listener; the Redis subscription starts with the first one. */
  listen(handler: (event: LiveEvent) => void): Promise<void>;
}

/** The one channel of a deployment (its database name keeps deployments apart). */
export const busChannel = (dbName: string) => `checkin:${dbName}:live`;

export function createBus(rt: Runtime): Bus {
  const channel = busChannel(rt.config.mongodbDbName);
  const listeners: ((event: LiveEvent) => void)[] = [];
  const deliver = (event: LiveEvent) => {
    for (const listener of listeners) listener(event);
  };
  let subscribed: Promise<unknown> | null = null;
  return {
    async publish(event) {
      // Without Redis the other instances cannot hear it, but this one still updates.
      await rt.redis.cmd.publish(channel, JSON.stringify(event)).catch(() => deliver(event));
    },
    async listen(handler) {
      listeners.push(handler);
      if (!subscribed) {
        rt.redis.sub.on("message", (from: string, text: string) => {
          if (from !== channel) return;
          try {
            deliver(JSON.parse(text) as LiveEvent);
          } catch (error) {
            rt.log.warn({ err: String(error) }, "unreadable live event");
          }
        });
        subscribed = rt.redis.sub.subscribe(channel);
        let connected = false;
        rt.redis.sub.on("ready", () => {
          if (connected) deliver({ kind: "resync" });
          connected = true;
        });
        if (rt.redis.sub.status === "ready") connected = true;
      }
      await subscribed;
    },
  };
}
