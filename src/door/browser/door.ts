import { setUpCamera } from "./camera";
import { forgetSnapshot, refreshSnapshot, storedSnapshot } from "./local";
import {
  $,
  clockOf,
  codeInput,
  csrf,
  device,
  direction,
  leaseId,
  readPage,
  setUpDeviceAndDirection,
  showDevice,
} from "./page";
import { type Door, enqueue, handOver, renderReport } from "./queue";
import { followRoom } from "./room";
import { afterVerdict, noteLeaseLeft, showHtml } from "./show";
import { dbReady, type QueuedScan, queuedOn, queueOf } from "./store";
import {
  banner,
  connectionState,
  forgetOtherAccount,
  notAnswered,
  probe,
  SCAN_TIMEOUT_MS,
  setConnection,
  signedOut,
  sync,
} from "./sync";

// The door page's script (bundled into public/scanner.js by `npm run bundle`): scans go
// to the server while it answers, and into an IndexedDB queue when it does not (no
// network, a time-out, a 5xx such as the 503 of a paused check-in). Queued scans keep
// their nonce and the time they were scanned and replay in order as soon as the server
// answers again; each gets the server's final verdict in the sync report. While offline
// the device decides with the server's own rule from a snapshot of the session.

const DOUBLE_TAP_MS = 3000;
const PROBE_MS = 5000;
const SNAPSHOT_MS = 30_000;

/** Every door form htmx sends (accept anyway, decline, undo, search results) names the device. */
function setUpForms(door: Door): void {
  document.addEventListener("htmx:config:request", (event) => {
    const detail = (event as CustomEvent).detail as
      | { ctx?: { request?: { method?: string; body?: FormData }; sourceElement?: Element } }
      | undefined;
    const request = detail?.ctx?.request;
    const body = request?.body;
    if (request?.method !== "POST" || !body || typeof body.set !== "function") return;
    if (device()) body.set("device", device());
    // A person chosen from the search, accepted anyway, or a walk-in is a scan: it carries a nonce,
    // kept on its form until it is answered, so a double click or a retried submit is the same scan.
    const form =
      detail?.ctx?.sourceElement?.closest("form") ??
      (event.target as Element | null)?.closest("form") ??
      null;
    const admits = (body.has("participantId") && !body.has("reason")) || body.has("email");
    if (admits) {
      if (form) form.dataset.nonce ??= crypto.randomUUID();
      body.set("nonce", form?.dataset.nonce ?? crypto.randomUUID());
      // An admission from this door may take a seat of its own lease once the room's pool is empty.
      body.set("lease", leaseId());
    }
  });

  document.addEventListener("htmx:after:swap", (event) => {
    // React to verdicts only: typing in the search box must keep its focus.
    const target = ((event as CustomEvent).detail as { ctx?: { target?: Element } } | undefined)?.ctx?.target;
    if (target?.id !== "verdict") return;
    void noteLeaseLeft(target).then(door.changed);
    // A walk-in answered: the next one is another person.
    const walkIn = $<HTMLFormElement>(".walk-in form");
    if (walkIn && $("#verdict .walk-in-badge")) {
      walkIn.reset();
      delete walkIn.dataset.nonce;
    }
    // Answered: the next click on a search result or "accept anyway" is a new scan.
    for (const answered of document.querySelectorAll<HTMLFormElement>("form[data-nonce]"))
      if (!answered.closest(".walk-in")) delete answered.dataset.nonce;
    afterVerdict(door.undoSeconds);
  });
}

/** A scan: live while the server answers, queued otherwise. */
function scanner(door: Door): (code: string) => Promise<void> {
  let seq = Date.now() * 1000;
  let last = { code: "", nonce: "", at: 0 };
  // One scan at a time, in the order scanned: a wedge sends the next badge before the last
  // answer is back, and an answer shown after a newer one would put the wrong person (and
  // the wrong Undo) on the screen.
  let turn: Promise<void> = Promise.resolve();
  return function scan(code: string): Promise<void> {
    const item = itemFor(code);
    const done = turn.then(() => send(item));
    turn = done.catch(() => undefined);
    return done;
  };

  function itemFor(code: string): QueuedScan {
    const now = Date.now();
    const item: QueuedScan = {
      seq: seq++,
      code,
      direction: direction(),
      sessionId: door.session,
      device: device(),
      staff: door.staff,
      account: door.account,
      scannedAt: new Date(now).toISOString(),
      // A double tap (the same badge again at once; a wedge may change its case) is the same scan.
      nonce:
        code.toUpperCase() === last.code && now - last.at < DOUBLE_TAP_MS ? last.nonce : crypto.randomUUID(),
    };
    last = { code: code.toUpperCase(), nonce: item.nonce, at: now };
    return item;
  }

  async function send(item: QueuedScan): Promise<void> {
    // Order holds: nothing goes live past scans still waiting.
    if ((await queueOf(door.account)).length > 0) await sync(door);
    if ((await queueOf(door.account)).length > 0 || connectionState() === "offline")
      return enqueue(door, item);
    const response = await fetch(`/scan/${door.session}`, {
      method: "POST",
      headers: { "x-csrf-token": csrf(), "hx-request": "true", "idempotency-key": item.nonce },
      body: new URLSearchParams({
        code: item.code,
        nonce: item.nonce,
        direction: item.direction,
        lease: leaseId(),
        ...(item.device ? { device: item.device } : {}),
      }),
      signal: AbortSignal.timeout(SCAN_TIMEOUT_MS),
    }).catch(() => null);
    // Not answered (server away or paused, too busy, too slow): kept for the replay.
    if (!response || notAnswered(response.status)) {
      setConnection(door, "offline");
      return enqueue(door, item);
    }
    if (response.status === 401) {
      await signedOut(door);
      return enqueue(door, item);
    }
    showHtml(await response.text(), door.undoSeconds);
  }
}

/**
 * The session's snapshot follows live changes; the page is installable and reloadable offline.
 * Returns what a switch of session (a room-bound door) calls to listen to the new session.
 */
function keepFresh(door: Door, refresh: () => Promise<void>): () => void {
  // Live changes of the session (scans at other doors) refresh the snapshot soon after, at most
  // every 5 s: a snapshot holds every badge of the event, and the venue's Wi-Fi is shared.
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  let socket: WebSocket | null = null;
  const listen = () => {
    const ws = new WebSocket(
      `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?topics=session:${door.session}`,
    );
    socket = ws;
    ws.onmessage = () => {
      refreshTimer ??= setTimeout(() => {
        refreshTimer = null;
        void refresh();
      }, 5000);
    };
    ws.onclose = () => {
      if (socket === ws) setTimeout(listen, 5000);
    };
  };

  void (async () => {
    await dbReady;
    await forgetOtherAccount(door);
    await storedSnapshot(door.session);
    await refresh();
    await renderReport(door);
    await banner(door);
    await probe(door);
    listen();
  })();
  // Installable and reloadable offline: once the worker holds this page, the page says so.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(() => undefined);
    void navigator.serviceWorker.ready.then(async () => {
      for (let i = 0; i < 50 && !(await caches.match(location.pathname)); i++)
        await new Promise((resolve) => setTimeout(resolve, 200));
      if (await caches.match(location.pathname)) door.root.dataset.offlineReady = "true";
    });
  }
  return () => {
    const old = socket;
    socket = null;
    old?.close();
    listen();
  };
}

function start(): void {
  const page = readPage();
  if (!page) return;
  const door: Door = { ...page, time: clockOf(page.root), changed: () => void banner(door) };
  setUpDeviceAndDirection();
  setUpForms(door);
  const scan = scanner(door);

  document.addEventListener("submit", (event) => {
    if ((event.target as HTMLElement | null)?.id !== "scan-form") return;
    event.preventDefault();
    // Cleared at once, not when the answer comes: the next badge is often being typed by then.
    const input = codeInput();
    const code = input?.value.trim() ?? "";
    if (input) input.value = "";
    if (code) void scan(code);
  });
  document.addEventListener("click", (event) => {
    if ((event.target as HTMLElement | null)?.id === "hand-over") void handOver(door);
  });
  window.addEventListener("online", () => void sync(door));
  window.addEventListener("offline", () => setConnection(door, "offline"));
  setInterval(() => void probe(door), PROBE_MS);
  // The lease is renewed with the snapshot only while no scan of the session waits on the
  // device, whoever queued it: each took one of the lease's seats.
  const refresh = async () => {
    const renew = (await queuedOn(door.session)).length === 0;
    if (!(await refreshSnapshot(door.session, renew))) await signedOut(door);
    await banner(door);
  };
  setInterval(() => {
    if (connectionState() === "online") void refresh();
  }, SNAPSHOT_MS);

  const resubscribe = keepFresh(door, refresh);
  followRoom(
    door,
    () => connectionState() === "online",
    async () => {
      showDevice();
      resubscribe();
      // The last session's list (and lease) is not this one's.
      forgetSnapshot();
      await storedSnapshot(door.session);
      await refresh();
    },
  );

  // Keep the input focused; camera mode.
  // Back to the scan box unless someone is typing elsewhere (the search, a walk-in): after the
  // direction switch too, or the next badge would go nowhere.
  const typingElsewhere = () => {
    const active = document.activeElement;
    return (
      (active instanceof HTMLInputElement &&
        !["radio", "checkbox", "button", "submit"].includes(active.type)) ||
      active instanceof HTMLTextAreaElement ||
      active instanceof HTMLSelectElement
    );
  };
  const refocus = () => {
    if (!typingElsewhere()) codeInput()?.focus();
  };
  document.addEventListener("click", () => setTimeout(refocus, 0));
  document.addEventListener("change", (event) => {
    if ((event.target as HTMLInputElement | null)?.type === "radio") refocus();
  });
  // A wedge types faster than any timer: a character typed while focus is on a button or a
  // radio goes to the scan box (the browser sends it to what is focused after this handler).
  document.addEventListener("keydown", (event) => {
    if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) refocus();
  });
  window.addEventListener("focus", refocus);
  setUpCamera((code) => void scan(code));
}

// Loaded in the head: the door is set up once the page below it exists.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
