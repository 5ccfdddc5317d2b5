import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { AnyElysia } from "elysia";
import { committedForm, DOCUMENT } from "../../../deploy/local/api-document";
import type { ApiDocument } from "../../../src/api/document";
import { type InProcess, inProcess } from "../../helpers/instance";

// The API describes itself: the document an instance serves is the one in the repository
// (src/api/openapi.json, `npm run api-document`), and every JSON route is in it with the
// very schema its route validates, so neither can drift from the other. Admins only.

let inst: InProcess;
beforeAll(async () => {
  inst = await inProcess("openapi");
});
afterAll(() => inst.stop());

const served = async () => (await inst.call("GET", "/api/v1/openapi.json")).body as unknown as ApiDocument;

test("the served document is the committed one (run `npm run api-document` after changing a route)", async () => {
  expect(committedForm(await served()) === readFileSync(DOCUMENT, "utf8")).toBe(true);
});

test("every JSON route is documented with the body schema it validates, and the nonce explained on the door's", async () => {
  const document = await served();
  const routes = (inst.app as AnyElysia).routes.filter(
    (route) => route.path.startsWith("/api/v1/") && route.method !== "WS" && route.method !== "HEAD",
  );
  expect(routes.length).toBeGreaterThan(40);
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, "{$1}").replace(/\/$/, "") || route.path;
    const operation =
      document.paths[path]?.[route.method.toLowerCase()] ??
      document.paths[route.path]?.[route.method.toLowerCase()];
    expect({ route: `${route.method} ${route.path}`, documented: Boolean(operation) }).toEqual({
      route: `${route.method} ${route.path}`,
      documented: true,
    });
    const body = (route.hooks as { body?: { properties?: Record<string, unknown> } } | undefined)?.body;
    if (body?.properties) {
      const schema = operation?.requestBody?.content?.["application/json"]?.schema as
        | { properties?: Record<string, unknown> }
        | undefined;
      expect(Object.keys(schema?.properties ?? {}).sort()).toEqual(Object.keys(body.properties).sort());
    }
  }
  const scan = document.paths["/api/v1/scan"]?.post as {
    description?: string;
    parameters?: { name: string }[];
  };
  expect(scan.description).toContain("belongs to the first request");
  expect(scan.parameters?.map((p) => p.name)).toContain("Idempotency-Key");
});

test("only admins read it; the reference page lists the routes for people", async () => {
  expect((await inst.call("GET", "/api/v1/openapi.json", undefined, { role: "scanner" })).status).toBe(403);
  const page = await inst.app.handle(
    new Request("http://test.local/admin/api-reference", {
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
    }),
  );
  const text = await page.text();
  expect(page.status).toBe(200);
  expect(text).toContain("POST /api/v1/scan");
  expect(text).toContain("qrCode");
});
