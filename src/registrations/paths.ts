import { path } from "../web/paths";

/** The organisers' registration pages. */
export const REGISTRATION_PAGES = {
  list: path("/admin/registrations"),
  one: path("/admin/registrations/:id"),
  status: path("/admin/registrations/:id/status"),
  assign: path("/admin/registrations/assign"),
  import: path("/admin/registrations/import"),
};
