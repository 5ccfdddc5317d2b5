import type Redis from "ioredis";
import { type Db, ObjectId } from "mongodb";
import type { ScanLogDoc } from "../checkin/repo";
import { groupedInserts } from "../infra/grouped";
import { LockBusyError, LockUnavailableError, withLock } from "../infra/lock";
import type { Logger } from "../infra/log";
import { backoffMs, eventOfEntry, newSecret, ROUND_MS, sendLock, signedHeaders } from "./events";
import { type DeliveryDoc, deliveriesOf, type EndpointDoc, endpointsOf, type WebhookEvent } from "./repo";
import { checkTarget } from "./targets";

// Webhooks: what happened is queued in MongoDB for each endpoint that asked for it, in the
// request that made it happen (one grouped insert, only when someone listens), and sent
// by one instance at a time (a Redis lock) in order per stream: a session's events in the
// order of their sequence numbers, a delivery waiting for its retry holding back the ones
// behind it. At least once: a delivery is removed only once its receiver answered 2xx, so
// an instance killed mid-send leaves it for the next. No scan waits for a receiver.

export interface WebhookSettings {
  allowPrivate: boolean;
  /** First retry after this long, then doubling (at most 10 minutes apart). */
  retryBaseMs: number;
  /** A delivery still failing this long after its event is marked failed. */
  giveUpMs: number;
  /** How long one attempt may take. */
  timeoutMs: number;
}

export interface WebhookParts {
  db: Db;
  redis: Redis;
  log: Logger;
  settings: WebhookSettings;
  /** The person named in an event: name, and e-mail for endpoints allowed contact data. */
  person: (participantId: ObjectId) => { name: string; email: string } | null;
}

const TICK_MS = 500;
/** Deliveries read per endpoint and round. */
const PER_ENDPOINT = 1000;
const ENDPOINTS_REUSE_MS = 5000;

/** What happened, for the deliveries: its stream (a session, or "participants") and its data. */
export interface Happening {
  type: WebhookEvent;
  stream: string;
  data: Record<string, unknown>;
  /** Whose contact data endpoints allowed it receive. */
  participantId?: ObjectId | null;
}

/**
 * A person erased: what still waits to be sent (or failed) keeps its ids and times but no
 * longer their name, e-mail or organisation.
 */
async function forgetPerson(db: Db, participantId: ObjectId): Promise<void> {
  const waiting = await deliveriesOf(db)
    .find({ participantId }, { projection: { body: 1 } })
    .toArray();
  for (const delivery of waiting) {
    const body = JSON.parse(delivery.body) as { data?: Record<string, unknown> };
    if (body.data) {
      delete body.data.name;
      delete body.data.email;
      delete body.data.organization;
      body.data.erased = true;
    }
    await deliveriesOf(db).updateOne({ _id: delivery._id }, { $set: { body: JSON.stringify(body) } });
  }
}

/**
 * What waits for each endpoint, read endpoint by endpoint: one dead endpoint's backlog
 * (thousands waiting) must not fill a round and stop every other endpoint's deliveries.
 */
async function pendingByEndpoint(db: Db) {
  const endpoints = await endpointsOf(db).find({}).toArray();
  const pending = await Promise.all(
    endpoints.map((e) =>
      deliveriesOf(db)
        .find({ status: "pending", endpointId: e._id })
        .sort({ seq: 1 })
        .limit(PER_ENDPOINT)
        .toArray(),
    ),
  );
  return { byId: new Map(endpoints.map((e) => [String(e._id), e])), pending: pending.flat() };
}

export function createWebhooks(parts: WebhookParts) {
  const { db, redis, settings } = parts;
  const deliverer = createDeliverer(parts);
  const queue = groupedInserts(() => deliveriesOf(db));
  let endpoints: { at: number; list: Promise<EndpointDoc[]> } = { at: 0, list: Promise.resolve([]) };
  const listening = () => {
    if (Date.now() - endpoints.at >= ENDPOINTS_REUSE_MS) {
      const list = endpointsOf(db).find({}).toArray();
      list.catch(() => undefined);
      endpoints = { at: Date.now(), list };
    }
    return endpoints.list.catch(() => [] as EndpointDoc[]);
  };

  /** The stream's next sequence number (Redis; picked up from the queue when Redis lost it). */
  async function nextSeq(stream: string): Promise<number> {
    const key = `webhook-seq:${stream}`;
    const n = await redis.incr(key);
    if (n !== 1) return n;
    const last = await deliveriesOf(db)
      .find({ stream }, { projection: { seq: 1 } })
      .sort({ seq: -1 })
      .limit(1)
      .toArray();
    const max = last[0]?.seq ?? 0;
    return max > 0 ? redis.incrby(key, max) : n;
  }

  /** Queues what happened for every endpoint that asked for it; resolves once stored. */
  async function emit(happening: Happening): Promise<void> {
    const wanted = (await listening()).filter((e) => e.events.includes(happening.type));
    if (wanted.length === 0) return;
    const seq = await nextSeq(happening.stream).catch(() => Date.now());
    const at = new Date();
    const person = happening.participantId ? parts.person(happening.participantId) : null;
    await Promise.all(
      wanted.map((endpoint) => {
        const data = {
          ...happening.data,
          sequence: seq,
          ...(person ? { name: person.name } : {}),
          ...(person && endpoint.includeContact ? { email: person.email } : {}),
        };
        const msgId = `msg_${new ObjectId().toHexString()}`;
        return queue.insert({
          _id: new ObjectId(),
          endpointId: endpoint._id,
          msgId,
          type: happening.type,
          stream: happening.stream,
          seq,
          body: JSON.stringify({ type: happening.type, timestamp: at.toISOString(), data }),
          ...(happening.participantId ? { participantId: happening.participantId } : {}),
          at,
          status: "pending",
          attempts: 0,
          nextAt: at,
        });
      }),
    );
  }

  return {
    emit,
    /** A person erased: what waits to be sent for them keeps its ids, never their name. */
    forget: (participantId: ObjectId) => forgetPerson(db, participantId),
    /** A scan-log entry's event, when it is one endpoints may want. */
    recorded(entry: ScanLogDoc): Promise<void> {
      const type = eventOfEntry(entry);
      if (!type || !entry.sessionId) return Promise.resolve();
      return emit({
        type,
        stream: String(entry.sessionId),
        participantId: entry.participantId,
        data: {
          sessionId: String(entry.sessionId),
          participantId: entry.participantId ? String(entry.participantId) : null,
          ...(entry.checkInId ? { checkInId: String(entry.checkInId) } : {}),
          at: (entry.scannedAt ?? entry.at).toISOString(),
          reason: entry.reason,
          ...(entry.device ? { device: entry.device } : {}),
        },
      });
    },
    start: deliverer.start,
    stop: deliverer.stop,
    ...endpointActions(db, settings, () => {
      endpoints.at = 0;
    }),
  };
}

/** Endpoints: added (the target checked), listed with their delivery state, removed with their queue. */
function endpointActions(db: Db, settings: WebhookSettings, forget: () => void) {
  return {
    /** A new endpoint; its secret is in the answer, and only there. */
    async create(input: { url: string; events: WebhookEvent[]; includeContact?: boolean; by?: string }) {
      const url = await checkTarget(input.url, settings.allowPrivate);
      const doc: EndpointDoc = {
        _id: new ObjectId(),
        url: url.toString(),
        events: [...new Set(input.events)],
        secret: newSecret(),
        includeContact: input.includeContact ?? false,
        createdAt: new Date(),
        ...(input.by ? { createdBy: input.by } : {}),
      };
      await endpointsOf(db).insertOne(doc);
      forget();
      return doc;
    },
    /** Endpoints with their delivery state (secrets left out). */
    async list() {
      const [all, queued] = await Promise.all([
        endpointsOf(db)
          .find({}, { projection: { secret: 0 } })
          .sort({ createdAt: 1 })
          .toArray(),
        deliveriesOf(db)
          .find({}, { projection: { endpointId: 1, status: 1, lastError: 1 } })
          .toArray(),
      ]);
      return all.map((e) => {
        const mine = queued.filter((d) => d.endpointId.equals(e._id));
        return {
          ...e,
          pending: mine.filter((d) => d.status === "pending").length,
          failed: mine.filter((d) => d.status === "failed").length,
        };
      });
    },
    async remove(id: ObjectId): Promise<boolean> {
      const { deletedCount } = await endpointsOf(db).deleteOne({ _id: id });
      if (deletedCount === 1) await deliveriesOf(db).deleteMany({ endpointId: id });
      forget();
      return deletedCount === 1;
    },
  };
}

/** Sends the queue: one instance at a time (a Redis lock), each stream in order. */
function createDeliverer(parts: WebhookParts) {
  const { db, redis, log, settings } = parts;
  /** One attempt; null when the receiver took it, else the error in words. */
  async function attempt(endpoint: EndpointDoc, delivery: DeliveryDoc): Promise<string | null> {
    try {
      const url = await checkTarget(endpoint.url, settings.allowPrivate);
      const response = await fetch(url, {
        method: "POST",
        headers: signedHeaders(endpoint.secret, delivery.msgId, delivery.body, new Date()),
        body: delivery.body,
        redirect: "manual",
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? null : `HTTP ${response.status}`;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** Sends one stream's due deliveries in order; stops at the first that fails. */
  async function sendStream(endpoint: EndpointDoc, stream: DeliveryDoc[], until: number): Promise<void> {
    for (const delivery of stream) {
      if (Date.now() > until || delivery.nextAt.getTime() > Date.now()) return;
      const error = await attempt(endpoint, delivery);
      const now = new Date();
      if (error === null) {
        await deliveriesOf(db).deleteOne({ _id: delivery._id });
        await endpointsOf(db).updateOne({ _id: endpoint._id }, { $set: { lastSuccessAt: now } });
        continue;
      }
      const attempts = delivery.attempts + 1;
      const givenUp = now.getTime() - delivery.at.getTime() > settings.giveUpMs;
      await deliveriesOf(db).updateOne(
        { _id: delivery._id },
        {
          $set: {
            attempts,
            lastError: error,
            nextAt: new Date(now.getTime() + backoffMs(attempts, settings.retryBaseMs)),
            ...(givenUp ? { status: "failed" as const } : {}),
          },
        },
      );
      await endpointsOf(db).updateOne(
        { _id: endpoint._id },
        { $set: { lastFailureAt: now, lastError: error } },
      );
      // Given up: the stream goes on without it (it stays on the page as failed).
      if (!givenUp) return;
    }
  }

  /** One round: every endpoint's streams, each in order, side by side. */
  async function deliverDue(): Promise<void> {
    const { byId, pending } = await pendingByEndpoint(db);
    if (pending.length === 0) return;
    const streams = new Map<string, DeliveryDoc[]>();
    for (const d of pending) {
      const key = `${d.endpointId}|${d.stream}`;
      streams.set(key, [...(streams.get(key) ?? []), d]);
    }
    const until = Date.now() + ROUND_MS;
    await Promise.all(
      [...streams.values()].map(async (stream) => {
        const endpoint = byId.get(String(stream[0]?.endpointId));
        // The endpoint was removed: its queue goes with it.
        if (!endpoint) return deliveriesOf(db).deleteMany({ endpointId: stream[0]?.endpointId });
        return sendStream(endpoint, stream, until);
      }),
    );
  }

  let timer: ReturnType<typeof setInterval> | null = null;
  let running: Promise<void> | null = null;
  const tick = () => {
    running ??= withLock(redis, "lock:webhooks", sendLock(settings.timeoutMs), deliverDue)
      .catch((error: unknown) => {
        if (error instanceof LockBusyError || error instanceof LockUnavailableError) return;
        log.warn({ err: String(error) }, "webhook deliveries failed this round");
      })
      .finally(() => {
        running = null;
      });
  };

  return {
    start(): void {
      timer ??= setInterval(tick, TICK_MS);
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
