import type { Collection, Db, ObjectId } from "mongodb";
import type { IndexSpec } from "../infra/mongo";

// Webhook endpoints and their delivery queue, both in MongoDB: the queue survives instance
// restarts and the loss of Redis. A delivery is removed once its receiver took it; one
// that never got through is kept, marked failed, for the page.

/** The events an endpoint may ask for: entry and exit are distinct, never one "checkin". */
export const WEBHOOK_EVENTS = [
  "checkin.admitted",
  "checkin.reentered",
  "checkin.exited",
  "checkin.moved",
  "checkin.undone",
  "checkin.declined",
  "session.opened",
  "session.closed",
  "participant.created",
  "registration.changed",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface EndpointDoc {
  _id: ObjectId;
  url: string;
  events: WebhookEvent[];
  /** Standard Webhooks form: "whsec_" + base64 of the key. Shown once, when created. */
  secret: string;
  /** Whether the payloads may carry e-mail addresses. */
  includeContact: boolean;
  createdAt: Date;
  createdBy?: string;
  lastSuccessAt?: Date;
  lastFailureAt?: Date;
  lastError?: string;
}

export interface DeliveryDoc {
  _id: ObjectId;
  endpointId: ObjectId;
  /** The webhook-id header: the same on every attempt, so a receiver can drop a repeat. */
  msgId: string;
  type: WebhookEvent;
  /** Deliveries of one stream (a session, or the participants) go in `seq` order. */
  stream: string;
  seq: number;
  body: string;
  /** Whom it names, so an erasure can take their name and e-mail out of what waits to be sent. */
  participantId?: ObjectId;
  at: Date;
  status: "pending" | "failed";
  attempts: number;
  nextAt: Date;
  lastError?: string;
}

export const WEBHOOK_INDEXES: IndexSpec[] = [
  { collection: "webhook_deliveries", key: { status: 1, nextAt: 1 } },
  { collection: "webhook_deliveries", key: { endpointId: 1, stream: 1, seq: 1 } },
];

export const endpointsOf = (db: Db): Collection<EndpointDoc> => db.collection<EndpointDoc>("webhooks");
export const deliveriesOf = (db: Db): Collection<DeliveryDoc> =>
  db.collection<DeliveryDoc>("webhook_deliveries");
