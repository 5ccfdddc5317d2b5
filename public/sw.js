// The door page's service worker: the page shell and every asset it needs are cached, so
// reloading the door page without a network still gives a working scanner. Door pages
// come from the network first (fresh counts and session state) and from the cache when
// the network is away; assets from the cache first, refreshed behind. Scans never pass
// through here: the page queues them in IndexedDB, which a new worker version leaves as
// it is (only this worker's caches are versioned and replaced).
const VERSION = new URL(self.location.href).searchParams.get("v") ?? "dev";
const CACHE = `door-${VERSION}`;
const SHELL = [
  "/assets/app.css",
  "/assets/htmx.min.js",
  "/assets/app.js",
  "/assets/jsQR.js",
  "/assets/scanner.js",
  "/assets/icon.svg",
  "/manifest.webmanifest",
];
const PAGE_TIMEOUT_MS = 3000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

const isDoorPage = (url) => /^\/scan\/[0-9a-f]{24}$/i.test(new URL(url).pathname);

// The door page that installed this worker was loaded before it existed: keep it now.
async function keepOpenDoorPages() {
  const cache = await caches.open(CACHE);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  await Promise.all(
    windows
      .filter((client) => isDoorPage(client.url))
      .map((client) => cache.add(new URL(client.url).pathname).catch(() => undefined)),
  );
}

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(keys.filter((k) => k.startsWith("door-") && k !== CACHE).map((k) => caches.delete(k))),
      )
      .then(keepOpenDoorPages)
      .then(() => self.clients.claim()),
  );
});

const timeout = (ms) => new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms));

async function doorPage(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([fetch(request), timeout(PAGE_TIMEOUT_MS)]);
    // Only a real door page is kept (not a redirect to the sign-in page, not an error).
    if (response.ok && !response.redirected) await cache.put(new URL(request.url).pathname, response.clone());
    return response;
  } catch {
    const cached = await cache.match(new URL(request.url).pathname);
    if (cached) return cached;
    return new Response(
      "<!doctype html><title>Offline</title><p>This door page was never opened on this device while online, so it cannot be shown offline. Open it once with a network.</p>",
      {
        status: 503,
        headers: { "content-type": "text/html; charset=utf-8" },
      },
    );
  }
}

async function asset(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  const fresh = fetch(request)
    .then((response) => {
      if (response.ok) void cache.put(request, response.clone());
      return response;
    })
    .catch(() => cached);
  return cached ?? fresh;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && isDoorPage(request.url)) {
    event.respondWith(doorPage(request));
  } else if (url.pathname.startsWith("/assets/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(asset(request));
  }
});
