import type { AnyElysia } from "elysia";
import { Elysia } from "elysia";
import { ApiReferencePage } from "../../views/api-reference";
import { html } from "../web/html";
import { apiDocument } from "./document";
import { API_DOCS } from "./paths";

/** The API's description for admins: the OpenAPI document and a page to read it (no public browser). */
export function apiDocsRoutes(root: () => AnyElysia, version: string) {
  let made: ReturnType<typeof apiDocument> | null = null;
  // The routes do not change once the app is built: the document is made once.
  const document = () => {
    made ??= apiDocument(root(), version);
    return made;
  };
  return new Elysia({ name: "api-docs" })
    .get(API_DOCS.document.pattern, () => document())
    .get(API_DOCS.reference.pattern, ({ request }) =>
      html(request, () => <ApiReferencePage document={document()} />),
    );
}
