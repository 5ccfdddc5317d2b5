import { differsFromDoor } from "../offline-decision";
import { localVerdict, snapshotSession } from "./local";
import { $, csrf, type DoorPage, leaseId, say } from "./page";
import { showLocal } from "./show";
import { dbReady, type QueuedScan, queuedOn, queueOf, type ReportRow } from "./store";

// Scans that wait for the server: queued with the device's own verdict, answered one by
// one into the sync report, and (another person's) handed to an admin.

const REPORT_KEPT = 200;

export interface Door extends DoorPage {
  /** A time on the event's clock. */
  time: (iso: string) => string;
  /** Tells the banner the queue or the connection changed. */
  changed: () => void;
}

/** A queued scan shows the device's own decision (data-outcome, data-reason), marked as queued. */
function showQueued(door: Door, item: QueuedScan, words?: string): void {
  showLocal(
    {
      tone: "queued",
      outcome: item.outcome ?? "refuse",
      reason: item.provisional,
      queued: true,
      headline: `◷ ${say("Queued — offline")}`,
      person: item.name || item.code,
      words: words ?? say("Already queued"),
      session: snapshotSession() && say("For {session}", { session: snapshotSession() }),
    },
    door.undoSeconds,
  );
}

export async function enqueue(door: Door, item: QueuedScan): Promise<void> {
  const db = await dbReady;
  const queued = await queuedOn(item.sessionId);
  const stored = queued.find((q) => q.nonce === item.nonce);
  if (stored) return showQueued(door, stored);
  // The same badge the same way as its last queued scan is a repeat; entry, exit, entry is not.
  const twin = queued.filter((q) => q.code === item.code).at(-1);
  if (twin && twin.direction === item.direction) {
    showLocal(
      {
        tone: "grey",
        outcome: "already",
        headline: `= ${say("Already scanned here")}`,
        person: twin.name,
        words: say("Waiting to sync since {time}", { time: door.time(twin.scannedAt) }),
      },
      door.undoSeconds,
    );
    return;
  }
  const local = await localVerdict(item, queued, door.time);
  const entry: QueuedScan = {
    ...item,
    outcome: local.outcome,
    provisional: local.reason,
    name: local.name,
    words: local.words,
  };
  try {
    await db.put("queue", entry);
  } catch (error) {
    const full = (error as { name?: string } | null)?.name === "QuotaExceededError";
    showLocal(
      {
        tone: "red",
        outcome: "error",
        headline: `✕ ${say("NOT SAVED")}`,
        person: local.name,
        words: full
          ? say("This device's storage is full: the scan was not queued. Note the badge and admit by hand.")
          : say("The scan could not be stored on this device ({error}). Note the badge.", {
              error: String((error as Error | null)?.message ?? error),
            }),
      },
      door.undoSeconds,
    );
    return;
  }
  showQueued(door, entry, local.words);
  door.changed();
}

/** The server's answer to a queued scan, in the sync report (the newest REPORT_KEPT kept). */
export async function report(item: QueuedScan, status: number, body: unknown): Promise<void> {
  const db = await dbReady;
  const answer = (body ?? {}) as { data?: { outcome?: string; reason?: string }; message?: string };
  const data = answer.data ?? {};
  const finalOutcome = status < 300 ? (data.outcome ?? "") : "refused";
  const differs =
    item.direction === "entry" &&
    differsFromDoor(item.provisional ?? "unknown", { outcome: finalOutcome, reason: data.reason ?? null });
  const row: ReportRow = {
    ...item,
    syncedAt: new Date().toISOString(),
    status,
    final: finalOutcome,
    finalReason: data.reason ?? null,
    message: answer.message ?? `HTTP ${status}`,
    differs,
  };
  await db.put("report", row);
  const all = await db.getAllKeysFromIndex("report", "seq");
  for (const key of all.slice(0, Math.max(0, all.length - REPORT_KEPT))) await db.delete("report", key);
}

export async function renderReport(door: Door): Promise<void> {
  const box = $("#sync-report");
  if (!box) return;
  const rows = (await (await dbReady).getAllFromIndex("report", "seq")).reverse();
  box.hidden = rows.length === 0;
  const set = (selector: string, text: string) => {
    const el = box.querySelector(selector);
    if (el) el.textContent = text;
  };
  set(".synced", String(rows.length));
  set(".conflicts", String(rows.filter((r) => r.differs).length));
  box.querySelector("ul")?.replaceChildren(
    ...rows.map((r) => {
      const li = document.createElement("li");
      li.className = r.differs ? "differs" : "";
      li.dataset.final = r.final ?? "";
      const line = say("{time} {who} ({direction}) · door said: {words} · server: {answer}", {
        time: door.time(r.scannedAt),
        who: r.name || r.code,
        direction: r.direction === "exit" ? say("exit") : say("entry"),
        words: r.words ?? "",
        answer: r.message,
      });
      li.textContent = r.differs ? `${line} · ${say("DIFFERS")}` : line;
      return li;
    }),
  );
}

// --- Someone else's queue: never sent under this account; handed to an admin on request. ---

export async function showForeign(door: Door): Promise<void> {
  const box = $("#foreign-queue");
  if (!box) return;
  const others = await queueOf(door.account, false);
  box.hidden = others.length === 0;
  box.dataset.waiting = String(others.length);
  const names = [...new Set(others.map((item) => item.staff || item.account))];
  const words = box.querySelector(".words");
  if (words)
    words.textContent = say("{n} scans queued by {name} wait on this device", {
      n: others.length,
      name: names.join(", "),
    });
}

export async function handOver(door: Door): Promise<void> {
  const db = await dbReady;
  const byAccount = new Map<string, QueuedScan[]>();
  for (const item of await queueOf(door.account, false))
    byAccount.set(item.account ?? "", [...(byAccount.get(item.account ?? "") ?? []), item]);
  const result = $("#foreign-queue .result");
  for (const [account, items] of byAccount) {
    const response = await fetch("/scan/handover", {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf() },
      body: JSON.stringify({
        queuedBy: { account, name: items[0]?.staff ?? "" },
        scans: items.map((item) => ({
          sessionId: item.sessionId,
          code: item.code,
          direction: item.direction,
          scannedAt: item.scannedAt,
          nonce: item.nonce,
          // Admitted against this device's lease: replayed soon, they take the seats it held for them.
          lease: leaseId(),
          ...(item.provisional ? { provisional: item.provisional } : {}),
          ...(item.device ? { device: item.device } : {}),
        })),
      }),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => null);
    if (response?.status !== 201) {
      if (result)
        result.textContent = say("Not handed over: the server did not take them. Try again online.");
      return;
    }
    for (const item of items) await db.delete("queue", item.nonce);
  }
  if (result) result.textContent = say("Handed to an admin: they decide what to do with these scans.");
  door.changed();
}
