import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import type { ScanLogDoc } from "../checkin/repo";
import type { WebhookEvent } from "./repo";

// What a delivery is: its event type from what happened, its body, its signature
// (Standard Webhooks: "v1," + base64 HMAC-SHA256 over "id.timestamp.body" with the decoded
// secret), and when a failed one is tried again. Pure, so each rule is unit-tested.

/** A new signing secret in the Standard Webhooks form. */
export const newSecret = (): string => `whsec_${randomBytes(24).toString("base64")}`;

/** The event a scan-log entry stands for, or null (refusals, previews, …). */
export function eventOfEntry(entry: Pick<ScanLogDoc, "action" | "outcome" | "reason">): WebhookEvent | null {
  switch (entry.action) {
    case "scan":
    case "accept":
      if (entry.outcome !== "accept") return null;
      return entry.reason === "reentry" ? "checkin.reentered" : "checkin.admitted";
    case "checkout":
      return entry.outcome === "done" || entry.reason === "left" ? "checkin.exited" : null;
    case "move":
      return "checkin.moved";
    case "undo":
      return "checkin.undone";
    case "decline":
      return "checkin.declined";
    default:
      return null;
  }
}

/** The signed headers of one attempt. */
export function signedHeaders(secret: string, msgId: string, body: string, at: Date): Record<string, string> {
  return {
    "content-type": "application/json",
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(msgId, at, body),
  };
}

/** The wait before attempt `attempts + 1`: 1, 2, 4 … times the base, at most 10 minutes. */
export function backoffMs(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), 10 * 60_000);
}

/** One round of sending stops starting new attempts after this long (well inside the lock). */
export const ROUND_MS = 15_000;

/**
 * The send lock outlives a whole round: its last attempt may start at ROUND_MS and take the
 * attempt's time-out. A fixed 30 s lock lapsed under a slow endpoint (WEBHOOK_TIMEOUT_MS may be
 * 120 s) and another instance sent the same event again, out of order.
 */
export const sendLock = (timeoutMs: number) => ({
  ttlMs: ROUND_MS + timeoutMs + 5_000,
  retries: 0,
  retryDelayMs: 0,
});
