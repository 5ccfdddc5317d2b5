import { path } from "../web/paths";

/** The API's description: the document (JSON) and its page for people. */
export const API_DOCS = {
  document: path("/api/v1/openapi.json"),
  reference: path("/admin/api-reference"),
};
