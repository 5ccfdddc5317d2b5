// The door: scans go to the server while it answers, and into an IndexedDB queue (idb)
// when it does not (no network, a timeout, a 5xx such as the 503 of a paused check-in).
// Queued scans keep their nonce and the time they were scanned; they replay in order as
// soon as the server answers again, and each gets the server's final verdict in the sync
// report. While offline the device decides provisionally from a snapshot of the session
// (keyed hashes of badge codes, never the codes). Also: device label, entry/exit switch,
// undo window, sounds per verdict, camera scanning (BarcodeDetector, else jsQR).
const door = () => {
  const root = document.querySelector(".scanner");
  if (!root) return;
  const SESSION = root.dataset.session;
  // What this script writes, in the page's language (app.js reads the page's words).
  const say = window.checkinSay;
  const clock = new Intl.DateTimeFormat(document.documentElement.lang === "fr" ? "fr-FR" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    ...(root.dataset.zone ? { timeZone: root.dataset.zone } : {}),
  });
  const STAFF = root.dataset.staff ?? "";
  // Whose scans this page sends: queued scans belong to the account that scanned them.
  const ACCOUNT = root.dataset.account ?? "";
  const UNDO_SECONDS = Number(root.dataset.undoSeconds ?? 60);
  const DOUBLE_TAP_MS = 3000;
  const SCAN_TIMEOUT_MS = 4000;
  const PROBE_MS = 5000;
  const SNAPSHOT_MS = 30_000;
  const REPORT_KEPT = 200;
  const $ = (selector) => document.querySelector(selector);
  const input = () => document.getElementById("code");
  const slot = () => document.getElementById("verdict");
  const csrf = () => decodeURIComponent(/(?:^|;\s*)checkin_csrf=([^;]+)/.exec(document.cookie)?.[1] ?? "");

  // --- Device and door direction: set once per browser, kept locally. ---
  const DEVICE_KEY = "checkin.device";
  const DIRECTION_KEY = "checkin.direction";
  const device = () => localStorage.getItem(DEVICE_KEY) ?? "";
  const showDevice = () => {
    const label = $("#device-label");
    if (label) label.textContent = device() || say("not named");
  };
  document.addEventListener("click", (event) => {
    if (event.target?.id !== "device-rename") return;
    const name = prompt(say("Name this device (for example: Door A, left)"), device());
    if (name !== null) localStorage.setItem(DEVICE_KEY, name.trim().slice(0, 120));
    showDevice();
  });
  const direction = () => document.querySelector("input[name=direction]:checked")?.value ?? "entry";
  for (const radio of document.querySelectorAll("input[name=direction]")) {
    if (radio.value === (localStorage.getItem(DIRECTION_KEY) ?? "entry")) radio.checked = true;
    radio.addEventListener("change", () => localStorage.setItem(DIRECTION_KEY, direction()));
  }
  showDevice();

  // Every door form htmx sends (accept anyway, decline, undo, search results) names the device.
  let last = { code: "", nonce: "", at: 0 };
  document.addEventListener("htmx:config:request", (event) => {
    const request = event.detail?.ctx?.request;
    const body = request?.body;
    if (request?.method !== "POST" || !body || typeof body.set !== "function") return;
    if (device()) body.set("device", device());
    // A person chosen from the search, accepted anyway, or a walk-in is a scan: it carries a nonce
    // (a walk-in form keeps its own until it is answered, so a retried submit is the same person).
    if (body.has("participantId") && !body.has("reason")) body.set("nonce", crypto.randomUUID());
    const form = event.detail?.ctx?.sourceElement?.closest?.("form") ?? event.target?.closest?.("form");
    if (body.has("email") && form) {
      form.dataset.nonce ??= crypto.randomUUID();
      body.set("nonce", form.dataset.nonce);
    }
  });

  // --- Storage: the queue, the sync report and the session snapshot. ---
  const dbReady = window.idb.openDB("checkin-door", 1, {
    upgrade(db) {
      db.createObjectStore("queue", { keyPath: "nonce" }).createIndex("seq", "seq");
      db.createObjectStore("report", { keyPath: "nonce" }).createIndex("seq", "seq");
      db.createObjectStore("snapshots", { keyPath: "sessionId" });
    },
  });
  let seq = Date.now() * 1000;
  /** Scans queued under the account signed in now (older queues carry no account: theirs too). */
  const isMine = (item) => !item.account || item.account === ACCOUNT;
  const queueOf = async (mine = true) =>
    (await (await dbReady).getAllFromIndex("queue", "seq")).filter((item) => isMine(item) === mine);

  // --- Connection state and the banner. ---
  let state = navigator.onLine ? "online" : "offline";
  async function banner() {
    const el = $("#door-status");
    if (!el) return;
    const waiting = (await queueOf()).length;
    await showForeign();
    const words = {
      online: say("Online"),
      offline: say("Offline: scans are queued on this device"),
      syncing: say("Syncing…"),
      signin: say("Signed out: sign in again to send the queued scans"),
    };
    el.className = `door-status ${state}`;
    el.querySelector(".state").textContent = words[state] ?? state;
    el.querySelector(".waiting").textContent = say("{n} waiting", { n: waiting });
    el.dataset.waiting = String(waiting);
  }
  const setState = (next) => {
    state = next;
    void banner();
  };

  // --- Signed out (the server answered 401): the device keeps no list and no codes. ---
  async function signedOut() {
    snapshot = null;
    index = new Map();
    hmacKey = null;
    await window.checkinWipeDevice?.();
    await renderReport();
    setState("signin");
  }

  // --- Someone else's queue: never sent under this account; handed to an admin on request. ---
  async function showForeign() {
    const box = $("#foreign-queue");
    if (!box) return;
    const others = await queueOf(false);
    box.hidden = others.length === 0;
    box.dataset.waiting = String(others.length);
    const names = [...new Set(others.map((item) => item.staff || item.account))];
    box.querySelector(".words").textContent = say("{n} scans queued by {name} wait on this device", {
      n: others.length,
      name: names.join(", "),
    });
  }
  async function handOver() {
    const db = await dbReady;
    const others = await queueOf(false);
    const byAccount = new Map();
    for (const item of others) byAccount.set(item.account, [...(byAccount.get(item.account) ?? []), item]);
    const box = $("#foreign-queue");
    for (const [account, items] of byAccount) {
      let response;
      try {
        response = await fetch("/scan/handover", {
          method: "POST",
          headers: { "content-type": "application/json", "x-csrf-token": csrf() },
          body: JSON.stringify({
            queuedBy: { account, name: items[0].staff ?? "" },
            scans: items.map((item) => ({
              sessionId: item.sessionId,
              code: item.code,
              direction: item.direction,
              scannedAt: item.scannedAt,
              nonce: item.nonce,
              ...(item.provisional ? { provisional: item.provisional } : {}),
              ...(item.device ? { device: item.device } : {}),
            })),
          }),
          signal: AbortSignal.timeout(10_000),
        });
      } catch {
        response = null;
      }
      if (response?.status !== 201) {
        if (box)
          box.querySelector(".result").textContent = say(
            "Not handed over: the server did not take them. Try again online.",
          );
        return;
      }
      for (const item of items) await db.delete("queue", item.nonce);
    }
    if (box)
      box.querySelector(".result").textContent = say(
        "Handed to an admin: they decide what to do with these scans.",
      );
    await banner();
  }
  document.addEventListener("click", (event) => {
    if (event.target?.id === "hand-over") void handOver();
  });

  // --- The snapshot: what the device needs to decide on its own. ---
  let snapshot = null;
  let index = new Map();
  let hmacKey = null;
  async function useSnapshot(snap) {
    snapshot = snap;
    index = new Map(
      snap.people.map(([hash, name, registration, where]) => [hash, { name, registration, where }]),
    );
    hmacKey = crypto.subtle
      ? await crypto.subtle.importKey(
          "raw",
          Uint8Array.from(atob(snap.key.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["sign"],
        )
      : null;
  }
  async function refreshSnapshot() {
    try {
      const response = await fetch(`/scan/${SESSION}/snapshot`, { signal: AbortSignal.timeout(10_000) });
      if (response.status === 401) return signedOut();
      if (!response.ok) return;
      const snap = await response.json();
      await (await dbReady).put("snapshots", snap);
      await useSnapshot(snap);
    } catch {
      // Offline: the stored snapshot stands.
    }
  }
  async function codeHash(code) {
    if (!hmacKey) return null;
    const mac = await crypto.subtle.sign("HMAC", hmacKey, new TextEncoder().encode(code));
    return btoa(String.fromCharCode(...new Uint8Array(mac)))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "")
      .slice(0, 22);
  }
  /** A time on the event's clock, as the page's language writes it. */
  const time = (iso) => clock.format(new Date(iso));

  /** The device's own verdict: as of the last snapshot, plus what it queued since. */
  async function decideLocally(item, queued) {
    if (!snapshot)
      return { reason: "unknown", name: "", words: say("No list of this session on this device yet") };
    const asOf = { time: time(snapshot.at) };
    const hash = (await codeHash(item.code)) ?? "";
    const person = index.get(hash) ?? index.get((await codeHash(item.code.toUpperCase())) ?? "");
    if (!person)
      return {
        reason: "unknown",
        name: "",
        words: say("Badge not in this device's list (as of {time})", asOf),
      };
    const mine = queued.filter((q) => q.code === item.code);
    const where = mine.length ? (mine.at(-1).direction === "exit" ? "out" : "in") : person.where;
    const name = person.name;
    if (item.direction === "exit")
      return where === "in"
        ? { reason: "left", name, words: say("Exit noted") }
        : { reason: "not_in", name, words: say("Not inside (as of {time})", asOf) };
    const session = snapshot.session;
    if (session.status !== "open")
      return { reason: "session_not_open", name, words: say("Session is not open") };
    if (where === "in")
      return { reason: "already_checked_in", name, words: say("Already in (as of {time})", asOf) };
    if (where === "out") return { reason: "reentry", name, words: say("Re-entry") };
    const admitted = snapshot.count + queued.filter((q) => q.provisional === "ok").length;
    if (session.capacityEnforced && session.capacity > 0 && admitted >= session.capacity)
      return { reason: "session_full", name, words: say("Room looks full (as of {time})", asOf) };
    if (person.registration === "confirmed")
      return { reason: "ok", name, words: say("Registered (as of {time})", asOf) };
    return { reason: "not_registered", name, words: say("Not registered (as of {time})", asOf) };
  }

  // --- Verdicts on screen. ---
  let audio;
  const beep = (outcome) => {
    try {
      audio ??= new AudioContext();
      const tones = {
        accept: [[880, 0.12]],
        already: [[520, 0.2]],
        decide: [[660, 0.3]],
        refuse: [[220, 0.45]],
        queued: [
          [700, 0.08],
          [700, 0.08],
        ],
        error: [[180, 0.5]],
      };
      let at = audio.currentTime;
      for (const [freq, length] of tones[outcome] ?? tones.error) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.frequency.value = freq;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        osc.start(at);
        osc.stop(at + length);
        at += length + 0.06;
      }
    } catch {
      // No audio (autoplay policy or no device): the colours, icons and words still tell.
    }
  };

  function afterVerdict() {
    const verdict = document.querySelector("#verdict .verdict");
    if (verdict) beep(verdict.dataset.outcome);
    const undo = document.querySelector("#verdict .undo-form");
    if (undo) setTimeout(() => undo.remove(), Number(undo.dataset.expiresIn ?? UNDO_SECONDS) * 1000);
    const el = input();
    if (el) {
      el.value = "";
      el.focus();
    }
  }

  /** Server HTML into the verdict slot; out-of-band parts (the count) replace their namesakes. */
  function showHtml(text) {
    const template = document.createElement("template");
    template.innerHTML = text;
    for (const part of template.content.querySelectorAll("[hx-swap-oob]")) {
      part.removeAttribute("hx-swap-oob");
      if (part.id) document.getElementById(part.id)?.replaceWith(part);
    }
    slot().replaceChildren(template.content);
    window.htmx?.process(slot());
    afterVerdict();
  }

  function showLocal(tone, outcome, headline, name, words) {
    const box = document.createElement("div");
    box.className = `verdict ${tone}`;
    box.dataset.outcome = outcome;
    for (const [cls, text] of [
      ["headline", headline],
      ["person", name],
      ["reason", words],
    ]) {
      if (!text) continue;
      const p = document.createElement("p");
      p.className = cls;
      p.textContent = text;
      box.append(p);
    }
    slot().replaceChildren(box);
    afterVerdict();
  }

  document.addEventListener("htmx:after:swap", (event) => {
    // React to verdicts only: typing in the search box must keep its focus.
    if (event.detail?.ctx?.target?.id !== "verdict") return;
    // A walk-in answered: the next one is another person.
    const walkIn = document.querySelector(".walk-in form");
    if (walkIn && document.querySelector("#verdict .walk-in-badge")) {
      walkIn.reset();
      delete walkIn.dataset.nonce;
    }
    afterVerdict();
  });

  // --- Queueing and replay. ---
  async function enqueue(item) {
    const db = await dbReady;
    const queued = await queueOf();
    if (queued.some((q) => q.nonce === item.nonce)) return showQueued(item, null);
    // The same badge the same way as its last queued scan is a repeat; entry, exit, entry is not.
    const twin = queued.filter((q) => q.code === item.code).at(-1);
    if (twin && twin.direction === item.direction) {
      showLocal(
        "grey",
        "already",
        `= ${say("Already scanned here")}`,
        twin.name,
        say("Waiting to sync since {time}", { time: time(twin.scannedAt) }),
      );
      return;
    }
    const local = await decideLocally(item, queued);
    const entry = { ...item, provisional: local.reason, name: local.name, words: local.words };
    try {
      await db.put("queue", entry);
    } catch (error) {
      const full = error?.name === "QuotaExceededError";
      showLocal(
        "red",
        "error",
        `✕ ${say("NOT SAVED")}`,
        local.name,
        full
          ? say("This device's storage is full: the scan was not queued. Note the badge and admit by hand.")
          : say("The scan could not be stored on this device ({error}). Note the badge.", {
              error: error?.message ?? error,
            }),
      );
      return;
    }
    showQueued(entry, local);
    void banner();
  }

  function showQueued(item, local) {
    showLocal(
      "queued",
      "queued",
      `◷ ${say("Queued — offline")}`,
      local?.name || item.name || item.code,
      local ? local.words : say("Already queued"),
    );
  }

  async function report(item, status, body) {
    const db = await dbReady;
    const data = body?.data ?? {};
    const finalOutcome = status < 300 ? data.outcome : "refused";
    const letIn = item.provisional === "ok" || item.provisional === "reentry";
    const differs =
      item.direction === "entry" && item.provisional !== "unknown" && letIn !== (finalOutcome === "accept");
    await db.put("report", {
      ...item,
      syncedAt: new Date().toISOString(),
      status,
      final: finalOutcome,
      finalReason: data.reason ?? null,
      message: body?.message ?? `HTTP ${status}`,
      differs,
    });
    const all = await db.getAllKeysFromIndex("report", "seq");
    for (const key of all.slice(0, Math.max(0, all.length - REPORT_KEPT))) await db.delete("report", key);
  }

  async function renderReport() {
    const box = $("#sync-report");
    if (!box) return;
    const rows = (await (await dbReady).getAllFromIndex("report", "seq")).reverse();
    box.hidden = rows.length === 0;
    box.querySelector(".synced").textContent = String(rows.length);
    box.querySelector(".conflicts").textContent = String(rows.filter((r) => r.differs).length);
    const list = box.querySelector("ul");
    list.replaceChildren(
      ...rows.map((r) => {
        const li = document.createElement("li");
        li.className = r.differs ? "differs" : "";
        li.dataset.final = r.final ?? "";
        const line = say("{time} {who} ({direction}) · door said: {words} · server: {answer}", {
          time: time(r.scannedAt),
          who: r.name || r.code,
          direction: r.direction === "exit" ? say("exit") : say("entry"),
          words: r.words,
          answer: r.message,
        });
        li.textContent = r.differs ? `${line} · ${say("DIFFERS")}` : line;
        return li;
      }),
    );
  }

  let syncing = null;
  function sync() {
    syncing ??= replay().finally(() => {
      syncing = null;
    });
    return syncing;
  }
  async function replay() {
    const db = await dbReady;
    const queued = await queueOf();
    if (queued.length === 0) {
      if (state !== "signin") setState("online");
      return;
    }
    setState("syncing");
    for (const item of queued) {
      let response;
      try {
        response = await fetch("/api/v1/scan", {
          method: "POST",
          // The nonce as a header too: it lets Nginx re-send the scan if an instance dies.
          headers: {
            "content-type": "application/json",
            "x-csrf-token": csrf(),
            "idempotency-key": item.nonce,
          },
          body: JSON.stringify({
            qrCode: item.code,
            sessionId: item.sessionId,
            nonce: item.nonce,
            direction: item.direction,
            scannedAt: item.scannedAt,
            ...(item.device ? { device: item.device } : {}),
            ...(item.direction === "entry" ? { provisional: item.provisional } : {}),
          }),
          signal: AbortSignal.timeout(SCAN_TIMEOUT_MS),
        });
      } catch {
        return setState("offline");
      }
      // Not answered yet (server away, paused, busy): keep everything, in order, for the next try.
      if (response.status >= 500 || response.status === 429 || response.status === 408)
        return setState("offline");
      if (response.status === 401) return signedOut();
      const body = await response.json().catch(() => null);
      await report(item, response.status, body);
      await db.delete("queue", item.nonce);
      await renderReport();
      void banner();
    }
    setState("online");
    void refreshSnapshot();
  }

  async function probe() {
    const waiting = (await queueOf()).length;
    if (waiting === 0 && state === "online") return;
    try {
      const ready = await fetch("/api/v1/health/ready", {
        cache: "no-store",
        signal: AbortSignal.timeout(3000),
      });
      if (ready.ok) await sync();
      else setState("offline");
    } catch {
      setState("offline");
    }
  }

  // --- A scan: live while the server answers, queued otherwise. ---
  async function scan(code) {
    const now = Date.now();
    const item = {
      // Ordered as scanned, whichever answer (or timeout) comes first.
      seq: seq++,
      code,
      direction: direction(),
      sessionId: SESSION,
      device: device(),
      staff: STAFF,
      account: ACCOUNT,
      scannedAt: new Date(now).toISOString(),
      // A double tap (the same badge again at once; a wedge may change its case) is the same scan.
      nonce:
        code.toUpperCase() === last.code && now - last.at < DOUBLE_TAP_MS ? last.nonce : crypto.randomUUID(),
    };
    last = { code: code.toUpperCase(), nonce: item.nonce, at: now };
    // Order holds: nothing goes live past scans still waiting.
    if ((await queueOf()).length > 0) await sync();
    if ((await queueOf()).length > 0 || state === "offline") return enqueue(item);
    let response;
    try {
      response = await fetch(`/scan/${SESSION}`, {
        method: "POST",
        headers: { "x-csrf-token": csrf(), "hx-request": "true", "idempotency-key": item.nonce },
        body: new URLSearchParams({
          code: item.code,
          nonce: item.nonce,
          direction: item.direction,
          ...(item.device ? { device: item.device } : {}),
        }),
        signal: AbortSignal.timeout(SCAN_TIMEOUT_MS),
      });
    } catch {
      setState("offline");
      return enqueue(item);
    }
    // Not answered (server away or paused, too busy, too slow): kept for the replay.
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      setState("offline");
      return enqueue(item);
    }
    if (response.status === 401) {
      await signedOut();
      return enqueue(item);
    }
    showHtml(await response.text());
  }

  document.addEventListener("submit", (event) => {
    if (event.target?.id !== "scan-form") return;
    event.preventDefault();
    const code = input()?.value.trim() ?? "";
    if (code) void scan(code);
  });

  window.addEventListener("online", () => void sync());
  window.addEventListener("offline", () => setState("offline"));
  setInterval(() => void probe(), PROBE_MS);
  setInterval(() => {
    if (state === "online") void refreshSnapshot();
  }, SNAPSHOT_MS);

  // Live changes of the session (scans at other doors) refresh the snapshot soon after, at most
  // every 15 s: a snapshot holds every badge of the event, and the venue's Wi-Fi is shared.
  let refreshTimer = null;
  const listen = () => {
    const ws = new WebSocket(
      `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?topics=session:${SESSION}`,
    );
    ws.onmessage = () => {
      refreshTimer ??= setTimeout(() => {
        refreshTimer = null;
        void refreshSnapshot();
      }, 5000);
    };
    ws.onclose = () => setTimeout(listen, 5000);
  };

  void (async () => {
    const stored = await (await dbReady).get("snapshots", SESSION);
    if (stored) await useSnapshot(stored);
    await refreshSnapshot();
    await renderReport();
    await banner();
    await probe();
    listen();
  })();
  // Installable and reloadable offline: once the worker holds this page, the page says so.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(() => undefined);
    void navigator.serviceWorker.ready.then(async () => {
      for (let i = 0; i < 50 && !(await caches.match(location.pathname)); i++)
        await new Promise((resolve) => setTimeout(resolve, 200));
      if (await caches.match(location.pathname)) root.dataset.offlineReady = "true";
    });
  }

  // --- Keep the input focused; camera mode. ---
  const refocus = () => {
    const el = input();
    if (el && document.activeElement?.tagName !== "INPUT") el.focus();
  };
  document.addEventListener("click", () => setTimeout(refocus, 0));
  window.addEventListener("focus", refocus);

  let stream = null;
  let lastSeen = { code: "", at: 0 };
  const stopCamera = () => {
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = null;
    const video = document.getElementById("camera");
    if (video) video.hidden = true;
  };
  const startCamera = async () => {
    const video = document.getElementById("camera");
    if (!video || !navigator.mediaDevices?.getUserMedia) return;
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.setAttribute("playsinline", "");
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const detector =
      "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const tick = async () => {
      if (!stream) return;
      let code = null;
      if (detector) {
        const found = await detector.detect(video).catch(() => []);
        code = found[0]?.rawValue ?? null;
      } else if (window.jsQR && video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0);
        const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
        code = window.jsQR(image.data, image.width, image.height)?.data ?? null;
      }
      const now = Date.now();
      if (code && (code !== lastSeen.code || now - lastSeen.at > DOUBLE_TAP_MS)) {
        lastSeen = { code, at: now };
        void scan(code.trim());
      }
      setTimeout(tick, 150);
    };
    tick();
  };
  document.addEventListener("click", (event) => {
    if (event.target?.id !== "camera-toggle") return;
    if (stream) stopCamera();
    else startCamera().catch((error) => alert(say("Camera unavailable: {error}", { error: error.message })));
  });
};
// Loaded in the head: the door is set up once the page below it exists.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", door);
else door();
