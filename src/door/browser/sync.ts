import { forgetSnapshot, leaseLeft, leaseSpent, refreshSnapshot } from "./local";
import { $, csrf, leaseId, say } from "./page";
import { type Door, renderReport, report, showForeign } from "./queue";
import { dbReady, type QueuedScan, queueOf } from "./store";

// The connection as the door sees it, and the replay: queued scans go to the server in
// order, each with its nonce and the time it was scanned, as soon as it answers again.

export const SCAN_TIMEOUT_MS = 4000;

export type Connection = "online" | "offline" | "syncing" | "signin";
let connection: Connection = navigator.onLine ? "online" : "offline";
export const connectionState = () => connection;

export async function banner(door: Door): Promise<void> {
  const el = $("#door-status");
  if (!el) return;
  const waiting = (await queueOf(door.account)).length;
  await showForeign(door);
  const words: Record<Connection, string> = {
    online: say("Online"),
    offline: say("Offline: scans are queued on this device"),
    syncing: say("Syncing…"),
    signin: say("Signed out: sign in again to send the queued scans"),
  };
  el.className = `door-status ${connection}`;
  const state = el.querySelector(".state");
  if (state) state.textContent = words[connection];
  const count = el.querySelector(".waiting");
  if (count) count.textContent = say("{n} waiting", { n: waiting });
  el.dataset.waiting = String(waiting);
  // What this door may still admit on its own if the network goes (its lease, less what it queued).
  const share = leaseLeft(await queueOf(door.account));
  const lease = el.querySelector<HTMLElement>(".lease");
  if (lease) {
    lease.hidden = share === null;
    // Its own separator: the span is hidden where no lease is held.
    lease.textContent =
      share === null ? "" : ` · ${say("offline, this door may admit {n} more", { n: share })}`;
  }
  if (share === null) delete el.dataset.leaseLeft;
  else el.dataset.leaseLeft = String(share);
}

export function setConnection(door: Door, next: Connection): void {
  connection = next;
  void banner(door);
}

/** The server answered 401: the device keeps no list and no codes (the queue stays). */
export async function signedOut(door: Door): Promise<void> {
  forgetSnapshot();
  await window.checkinWipeDevice?.();
  await renderReport(door);
  setConnection(door, "signin");
}

const LAST_ACCOUNT = "checkin-door-account";

/**
 * Someone else signed in on this device without signing out first: the last person's sync
 * report (badge codes, names) and lists go, as a sign-out would have taken them.
 */
export async function forgetOtherAccount(door: Door): Promise<void> {
  const last = localStorage.getItem(LAST_ACCOUNT);
  if (last !== null && last !== door.account) await window.checkinWipeDevice?.();
  localStorage.setItem(LAST_ACCOUNT, door.account);
}

/** Answers the server may still change its mind on: kept for the next try. */
export const notAnswered = (status: number) => status >= 500 || status === 429 || status === 408;

async function send(item: QueuedScan): Promise<Response | null> {
  return fetch("/api/v1/scan", {
    method: "POST",
    // The nonce as a header too: it lets Nginx re-send the scan if an instance dies.
    headers: { "content-type": "application/json", "x-csrf-token": csrf(), "idempotency-key": item.nonce },
    body: JSON.stringify({
      qrCode: item.code,
      sessionId: item.sessionId,
      nonce: item.nonce,
      direction: item.direction,
      scannedAt: item.scannedAt,
      ...(item.device ? { device: item.device } : {}),
      ...(item.direction === "entry" ? { provisional: item.provisional, lease: leaseId() } : {}),
    }),
    signal: AbortSignal.timeout(SCAN_TIMEOUT_MS),
  }).catch(() => null);
}

async function replay(door: Door): Promise<void> {
  const db = await dbReady;
  const queued = await queueOf(door.account);
  if (queued.length === 0) {
    if (connection !== "signin") setConnection(door, "online");
    return;
  }
  setConnection(door, "syncing");
  for (const item of queued) {
    const response = await send(item);
    // Not answered yet (server away, paused, busy): keep everything, in order, for the next try.
    if (!response || notAnswered(response.status)) return setConnection(door, "offline");
    if (response.status === 401) return signedOut(door);
    await report(item, response.status, await response.json().catch(() => null));
    // The server took its seat from this door's lease (what the door admitted against it goes first).
    if (response.status < 500) await leaseSpent(undefined, item);
    await db.delete("queue", item.nonce);
    await renderReport(door);
    void banner(door);
  }
  setConnection(door, "online");
  if (!(await refreshSnapshot(door.session, true))) await signedOut(door);
}

let syncing: Promise<void> | null = null;
export function sync(door: Door): Promise<void> {
  syncing ??= replay(door).finally(() => {
    syncing = null;
  });
  return syncing;
}

/** Every few seconds while scans wait or the door is offline: is the server back? */
export async function probe(door: Door): Promise<void> {
  // The browser's own word first: an "offline" event can be missed (a page still loading, a
  // device waking up), and a door that shows "Online" while it is not would mislead staff.
  if (!navigator.onLine) {
    if (connection !== "offline" && connection !== "signin") setConnection(door, "offline");
    return;
  }
  const waiting = (await queueOf(door.account)).length;
  if (waiting === 0 && connection === "online") return;
  try {
    const ready = await fetch("/api/v1/health/ready", {
      cache: "no-store",
      signal: AbortSignal.timeout(3000),
    });
    if (ready.ok) await sync(door);
    else setConnection(door, "offline");
  } catch {
    setConnection(door, "offline");
  }
}
