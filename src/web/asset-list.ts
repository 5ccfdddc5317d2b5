import { DOOR } from "../door/paths";

// The static files every edge serves under /assets/, by name: where each comes from (a
// package's file, or public/), and its type. The Bun edge embeds them in the binary
// (assets.ts); the Deno edge reads them from the checkout (src/deno.ts).

export const ASSET_SOURCES = {
  "htmx.min.js": "htmx.org/dist/htmx.min.js",
  "hx-ws.js": "htmx.org/dist/ext/hx-ws.min.js",
  "jsQR.js": "jsqr/dist/jsQR.js",
  "icon.svg": "public/icon.svg",
  "app.css": "public/app.css",
  "app.js": "public/app.js",
  "scanner.js": "public/scanner.js",
} as const;

export type AssetName = keyof typeof ASSET_SOURCES;

/** The service worker, at the root so its scope covers the door pages. */
export const SERVICE_WORKER_SOURCE = "public/sw.js";

export function assetType(name: string): string {
  if (name.endsWith(".js")) return "text/javascript; charset=utf-8";
  if (name.endsWith(".css")) return "text/css; charset=utf-8";
  if (name.endsWith(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

/** The door page installed as an app opens on the session picker. */
export const MANIFEST = JSON.stringify({
  name: "Check-in door",
  short_name: "Door",
  start_url: DOOR.picker(),
  scope: "/",
  display: "standalone",
  background_color: "#ffffff",
  theme_color: "#1b5e20",
  icons: [{ src: "/assets/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any maskable" }],
});
