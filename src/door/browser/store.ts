import { type DBSchema, openDB } from "idb";

// What the device keeps in IndexedDB: the queue of scans not yet answered, the sync
// report of those answered since, and each session's snapshot.

export interface QueuedScan {
  /** Ordered as scanned, whichever answer (or time-out) comes first. */
  seq: number;
  code: string;
  direction: "entry" | "exit";
  sessionId: string;
  device: string;
  /** Who scanned it: their name and account; only that account sends it. */
  staff: string;
  account?: string;
  scannedAt: string;
  nonce: string;
  /** What the device decided on its own (the decision's outcome and reason), and in which words. */
  outcome?: string;
  provisional?: string;
  name?: string;
  words?: string;
}

export interface ReportRow extends QueuedScan {
  syncedAt: string;
  status: number;
  final: string;
  finalReason: string | null;
  message: string;
  /** The device and the server disagree on whether the person got in. */
  differs: boolean;
}

interface DoorDb extends DBSchema {
  queue: { key: string; value: QueuedScan; indexes: { seq: number } };
  report: { key: string; value: ReportRow; indexes: { seq: number } };
  snapshots: { key: string; value: { sessionId: string } & Record<string, unknown> };
}

export const dbReady = openDB<DoorDb>("checkin-door", 1, {
  upgrade(db) {
    db.createObjectStore("queue", { keyPath: "nonce" }).createIndex("seq", "seq");
    db.createObjectStore("report", { keyPath: "nonce" }).createIndex("seq", "seq");
    db.createObjectStore("snapshots", { keyPath: "sessionId" });
  },
});

/**
 * Every scan waiting on this device for one session, whoever queued it, in order: all of them
 * took seats of the device's lease, and all of them count in the room it decides for.
 */
export async function queuedOn(sessionId: string): Promise<QueuedScan[]> {
  const all = await (await dbReady).getAllFromIndex("queue", "seq");
  return all.filter((item) => item.sessionId === sessionId);
}

/** The queue, in order: this account's scans (older queues carry no account: theirs too), or everyone else's. */
export async function queueOf(account: string, mine = true): Promise<QueuedScan[]> {
  const all = await (await dbReady).getAllFromIndex("queue", "seq");
  return all.filter((item) => (!item.account || item.account === account) === mine);
}
