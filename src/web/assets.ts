import { Elysia } from "elysia";
// Imported as files so `bun build --compile` embeds them in the binary.
import hxWs from "htmx.org/dist/ext/hx-ws.min.js" with { type: "file" };
import htmx from "htmx.org/dist/htmx.min.js" with { type: "file" };
import jsqr from "jsqr/dist/jsQR.js" with { type: "file" };
import appCss from "../../public/app.css" with { type: "file" };
import appJs from "../../public/app.js" with { type: "file" };
import iconSvg from "../../public/icon.svg" with { type: "file" };
import scannerJs from "../../public/scanner.js" with { type: "file" };
import serviceWorker from "../../public/sw.js" with { type: "file" };
import { DOOR } from "../door/paths";
import { notFound } from "../http/errors";
import { phrase } from "../i18n/locale";

const ASSETS: Record<string, { path: string; type: string }> = {
  "htmx.min.js": { path: htmx, type: "text/javascript; charset=utf-8" },
  "hx-ws.js": { path: hxWs, type: "text/javascript; charset=utf-8" },
  "jsQR.js": { path: jsqr, type: "text/javascript; charset=utf-8" },
  "icon.svg": { path: iconSvg, type: "image/svg+xml" },
  "app.css": { path: appCss, type: "text/css; charset=utf-8" },
  "app.js": { path: appJs, type: "text/javascript; charset=utf-8" },
  "scanner.js": { path: scannerJs, type: "text/javascript; charset=utf-8" },
};

/** The door page installed as an app opens on the session picker. */
const MANIFEST = JSON.stringify({
  name: "Check-in door",
  short_name: "Door",
  start_url: DOOR.picker(),
  scope: "/",
  display: "standalone",
  background_color: "#ffffff",
  theme_color: "#1b5e20",
  icons: [{ src: "/assets/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any maskable" }],
});

export function assetRoutes() {
  return (
    new Elysia({ name: "assets" })
      .get("/assets/:name", ({ params }) => {
        const asset = ASSETS[params.name];
        if (!asset) throw notFound(phrase("No asset named {name}", { name: params.name }));
        return new Response(Bun.file(asset.path), {
          headers: { "content-type": asset.type, "cache-control": "public, max-age=300" },
        });
      })
      // At the root, so its scope covers the door pages; never cached by the browser, so an update is seen.
      .get(
        "/sw.js",
        () =>
          new Response(Bun.file(serviceWorker), {
            headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" },
          }),
      )
      .get(
        "/manifest.webmanifest",
        () =>
          new Response(MANIFEST, {
            headers: { "content-type": "application/manifest+json", "cache-control": "public, max-age=300" },
          }),
      )
  );
}
