import { path } from "../web/paths";

/** The webhooks page and its forms (the JSON routes are under /api/v1/webhooks). */
export const WEBHOOK_PAGES = {
  list: path("/admin/webhooks"),
  remove: path("/admin/webhooks/:id/delete"),
};
