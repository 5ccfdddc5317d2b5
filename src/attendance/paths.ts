import { path } from "../web/paths";

/** Certificates (admins; the signed link for the person) and the public verification page. */
export const CERTIFICATE_PAGES = {
  /** Every credited person of a day (`?day=N`), one certificate a page. */
  list: path("/certificates"),
  one: path("/certificates/:id"),
  signed: path("/certificates/:id/:key"),
  verify: path("/verify/:code"),
};

/** A person's minutes, credits and history, where an admin corrects it. */
export const ATTENDANCE_PAGE = path("/admin/participants/:id/attendance");
