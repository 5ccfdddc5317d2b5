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
import { notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import { type AssetName, assetType, MANIFEST } from "./asset-list";

/** Every asset of the one list (asset-list.ts), as the file Bun embedded. */
const EMBEDDED: Record<AssetName, string> = {
  "htmx.min.js": htmx,
  "hx-ws.js": hxWs,
  "jsQR.js": jsqr,
  "icon.svg": iconSvg,
  "app.css": appCss,
  "app.js": appJs,
  "scanner.js": scannerJs,
};

export function assetRoutes() {
  return (
    new Elysia({ name: "assets" })
      .get("/assets/:name", ({ params }) => {
        const path = EMBEDDED[params.name as AssetName];
        if (!path) throw notFound(phrase("No asset named {name}", { name: params.name }));
        return new Response(Bun.file(path), {
          headers: { "content-type": assetType(params.name), "cache-control": "public, max-age=300" },
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
