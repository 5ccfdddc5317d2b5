import { type OfflineReason, offlineDecision, type SnapshotPerson, takesSeat } from "../offline-decision";
import type { DoorSnapshot } from "../snapshot";
import { leaseId, say } from "./page";
import { dbReady, type QueuedScan } from "./store";

// The device's own verdict while the server cannot be reached: the session's snapshot
// (keyed hashes of badge codes, never the codes) plus what this device queued since,
// decided by the server's own rule (offline-decision.ts).

export interface LocalVerdict {
  /** The decision's own outcome (accept, decide, already, refuse), or exit-… as the server says it. */
  outcome: string;
  reason: OfflineReason | "left" | "not_in" | "unknown";
  name: string;
  words: string;
}

let snapshot: DoorSnapshot | null = null;
let people = new Map<string, SnapshotPerson & { name: string }>();
let hmacKey: CryptoKey | null = null;

export async function useSnapshot(snap: DoorSnapshot): Promise<void> {
  snapshot = snap;
  people = new Map(
    snap.people.map(([hash, name, registration, where]) => [
      hash,
      { name, registration, where: where === "in" || where === "out" ? where : "" },
    ]),
  );
  const raw = Uint8Array.from(atob(snap.key.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  hmacKey = crypto.subtle
    ? await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
    : null;
  // The page says which list the door decides from offline (its time), for staff and tests.
  const root = document.querySelector<HTMLElement>(".scanner");
  if (root) root.dataset.snapshotAt = snap.at;
  showCount(snap);
}

/** The room's count as the snapshot has it: other doors' admissions show here too. */
function showCount(snap: DoorSnapshot): void {
  const strong = document.querySelector<HTMLElement>("#count strong");
  if (strong) strong.textContent = String(snap.count);
  const bar = document.querySelector<HTMLElement>("#count .bar > div");
  if (bar && snap.session.capacity > 0)
    bar.style.width = `${Math.min(100, Math.round((snap.count / snap.session.capacity) * 100))}%`;
}

/** Signed out: the device keeps no list. */
export function forgetSnapshot(): void {
  snapshot = null;
  delete document.querySelector<HTMLElement>(".scanner")?.dataset.snapshotAt;
  people = new Map();
  hmacKey = null;
}

/**
 * The session's snapshot, fresh from the server; false when it answered 401 (signed out).
 * `renew`: the lease is sized again, which only a device with nothing queued may ask (what
 * it queued was admitted against the lease it has).
 */
export async function refreshSnapshot(sessionId: string, renew: boolean): Promise<boolean> {
  try {
    const url = `/scan/${sessionId}/snapshot${renew ? `?lease=${leaseId()}` : ""}`;
    // Signed out, a page's request is sent to the sign-in page (a redirect), not answered 401:
    // not followed, it says the same.
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: "manual" });
    if (response.status === 401 || response.type === "opaqueredirect") return false;
    // The session is over: its list leaves the device.
    if (response.status === 410) {
      await (await dbReady).delete("snapshots", sessionId);
      forgetSnapshot();
      return true;
    }
    if (!response.ok) return true;
    const snap = (await response.json()) as DoorSnapshot;
    if (snap.lease) snap.lease.until = Date.now() + snap.lease.validForMs - LEASE_MARGIN_MS;
    // Not renewed (or not now: the session is being changed): the lease held stands.
    if (!snap.lease && snapshot?.sessionId === snap.sessionId && snapshot.lease) snap.lease = snapshot.lease;
    await (await dbReady).put("snapshots", snap as never);
    await useSnapshot(snap);
  } catch {
    // Offline: the stored snapshot stands.
  }
  return true;
}

/**
 * A lease lapses at the server once not renewed for its lifetime; the device stops taking its
 * seats this much earlier, for the time the answer took to arrive.
 */
const LEASE_MARGIN_MS = 60_000;

/**
 * Seats the lease still has once the queued scans that took one are counted (null: no lease);
 * none once it has lapsed (the server gave its seats back to the room).
 */
export function leaseLeft(queued: QueuedScan[]): number | null {
  if (!snapshot?.lease) return null;
  if (snapshot.lease.until !== undefined && Date.now() > snapshot.lease.until) return 0;
  const session = snapshot.session;
  const spent = queued.filter(
    (q) =>
      q.sessionId === snapshot?.sessionId &&
      q.direction === "entry" &&
      takesSeat(session, q.provisional ?? ""),
  ).length;
  return Math.max(0, snapshot.lease.seats - spent);
}

/**
 * The server took a seat from the lease: a queued scan that took one was replayed, or the
 * pool was empty when an online scan came (its verdict says what is left).
 */
export async function leaseSpent(left?: number, item?: QueuedScan): Promise<void> {
  if (!snapshot?.lease) return;
  if (item && (item.sessionId !== snapshot.sessionId || !takesSeat(snapshot.session, item.provisional ?? "")))
    return;
  snapshot.lease.seats = left ?? Math.max(0, snapshot.lease.seats - 1);
  await (await dbReady).put("snapshots", snapshot as never);
}

/** The session the device decides for offline, by name. */
export const snapshotSession = () => snapshot?.session.name ?? "";

/** The lease for the banner: seats left, and whether the session counts seats at all. */
export const leaseShown = () => (snapshot?.lease ? snapshot.lease : null);

export async function storedSnapshot(sessionId: string): Promise<void> {
  const stored = await (await dbReady).get("snapshots", sessionId);
  if (stored) await useSnapshot(stored as unknown as DoorSnapshot);
}

/** The hash a device computes for a scanned code: HMAC-SHA-256, base64url, first 128 bits (as snapshot.ts). */
async function codeHash(code: string): Promise<string | null> {
  if (!hmacKey) return null;
  const mac = await crypto.subtle.sign("HMAC", hmacKey, new TextEncoder().encode(code));
  return btoa(String.fromCharCode(...new Uint8Array(mac)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")
    .slice(0, 22);
}

const ENTERED = new Set(["ok", "reentry"]);

/** The device's own verdict: as of the last snapshot, plus what it queued since (`queued`: this account's queue). */
export async function localVerdict(
  item: Pick<QueuedScan, "code" | "direction">,
  queued: QueuedScan[],
  time: (iso: string) => string,
): Promise<LocalVerdict> {
  if (!snapshot)
    return {
      outcome: "refuse",
      reason: "unknown",
      name: "",
      words: say("No list of this session on this device yet"),
    };
  const asOf = { time: time(snapshot.at) };
  const person =
    people.get((await codeHash(item.code)) ?? "") ??
    people.get((await codeHash(item.code.toUpperCase())) ?? "");
  if (!person)
    return {
      outcome: "refuse",
      reason: "unknown",
      name: "",
      words: say("Badge not in this device's list (as of {time})", asOf),
    };
  // What this device did since the snapshot: the person's last queued move, and the room's counts.
  const mine = queued.filter((q) => q.code === item.code);
  const last = mine.at(-1);
  const where = last ? (last.direction === "exit" ? "out" : "in") : person.where;
  const name = person.name;
  if (item.direction === "exit")
    return where === "in"
      ? { outcome: "exit-left", reason: "left", name, words: say("Exit noted") }
      : { outcome: "exit-not_in", reason: "not_in", name, words: say("Not inside (as of {time})", asOf) };
  const entries = queued.filter((q) => q.direction === "entry" && ENTERED.has(q.provisional ?? "")).length;
  const exits = queued.filter((q) => q.direction === "exit" && q.provisional === "left").length;
  const verdict = offlineDecision({
    session: snapshot.session,
    person: { registration: person.registration, where },
    admitted: snapshot.count + queued.filter((q) => q.provisional === "ok").length,
    inside: snapshot.inside + entries - exits,
    now: new Date(),
    leaseLeft: leaseLeft(queued),
  });
  return { outcome: verdict.outcome, reason: verdict.reason, name, words: wordsFor(verdict.reason, asOf) };
}

/** The device's words for the verdict's reason. */
function wordsFor(reason: OfflineReason, asOf: { time: string }): string {
  switch (reason) {
    case "offline_share_used_up":
      return say("This door's offline share is used up: admit only once online");
    case "ok":
      return say("Registered (as of {time})", asOf);
    case "reentry":
      return say("Re-entry");
    case "already_checked_in":
      return say("Already in (as of {time})", asOf);
    case "session_full":
      return say("Room looks full (as of {time})", asOf);
    case "session_not_open":
    case "session_ended":
      return say("Session is not open");
    case "registration_cancelled":
      return say("Registration cancelled (as of {time})", asOf);
    case "invite_only":
      return say("Not on this session's list (as of {time})", asOf);
    default:
      return say("Not registered (as of {time})", asOf);
  }
}
