import { path } from "../web/paths";

/** The organisers' session pages. */
export const SESSION_PAGES = {
  list: path("/admin/sessions"),
  one: path("/admin/sessions/:id"),
  edit: path("/admin/sessions/:id/edit"),
  open: path("/admin/sessions/:id/open"),
  close: path("/admin/sessions/:id/close"),
};
