// Writes the API's OpenAPI document (src/api/openapi.json), as an instance serves it at
// /api/v1/openapi.json, for the clients that read the contract from the repository.
// Needs the local stack's MONGODB_URI and REDIS_URL (the app is built, not served);
// test/integration/contract/openapi.test.ts fails when the file and the routes disagree.
import { join, resolve } from "node:path";
import { assemble } from "../../src/assemble";
import { loadConfig } from "../../src/config";

const ROOT = resolve(import.meta.dir, "../..");
export const DOCUMENT = join(ROOT, "src/api/openapi.json");

/** The document as committed: the routes' own, the version left out (it changes with every build). */
export function committedForm(document: { info: { version: string } }): string {
  return `${JSON.stringify({ ...document, info: { ...document.info, version: "(the build's)" } }, null, 2)}\n`;
}

if (import.meta.main) {
  const parts = assemble(loadConfig(process.env, "api-document"));
  const response = await parts.app.handle(new Request("http://local/api/v1/openapi.json"));
  // The route needs an admin: built here without one, the document is made directly.
  const { apiDocument } = await import("../../src/api/document");
  const document = response.status === 200 ? await response.json() : apiDocument(parts.app as never, "");
  await Bun.write(DOCUMENT, committedForm(document));
  console.log(`api-document: ${DOCUMENT} (${Object.keys(document.paths).length} paths)`);
  process.exit(0);
}
