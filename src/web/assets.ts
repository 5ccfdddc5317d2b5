import { Elysia } from "elysia";
// Imported as files so `bun build --compile` embeds them in the binary.
import hxWs from "htmx.org/dist/ext/hx-ws.min.js" with { type: "file" };
import htmx from "htmx.org/dist/htmx.min.js" with { type: "file" };
import jsqr from "jsqr/dist/jsQR.js" with { type: "file" };
import appCss from "../../public/app.css" with { type: "file" };
import appJs from "../../public/app.js" with { type: "file" };
import scannerJs from "../../public/scanner.js" with { type: "file" };
import { notFound } from "../http/errors";

const ASSETS: Record<string, { path: string; type: string }> = {
  "htmx.min.js": { path: htmx, type: "text/javascript; charset=utf-8" },
  "hx-ws.js": { path: hxWs, type: "text/javascript; charset=utf-8" },
  "jsQR.js": { path: jsqr, type: "text/javascript; charset=utf-8" },
  "app.css": { path: appCss, type: "text/css; charset=utf-8" },
  "app.js": { path: appJs, type: "text/javascript; charset=utf-8" },
  "scanner.js": { path: scannerJs, type: "text/javascript; charset=utf-8" },
};

export function assetRoutes() {
  return new Elysia({ name: "assets" }).get("/assets/:name", ({ params }) => {
    const asset = ASSETS[params.name];
    if (!asset) throw notFound(`No asset named ${params.name}`);
    return new Response(Bun.file(asset.path), {
      headers: { "content-type": asset.type, "cache-control": "public, max-age=300" },
    });
  });
}
