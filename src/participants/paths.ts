import { path } from "../web/paths";

/** The organisers' participant pages. */
export const PARTICIPANT_PAGES = {
  list: path("/admin/participants"),
  one: path("/admin/participants/:id"),
  edit: path("/admin/participants/:id/edit"),
  erase: path("/admin/participants/:id/erase"),
  checkIns: path("/admin/participants/:id/checkins"),
  undoCheckIn: path("/admin/participants/:id/checkins/:checkInId/undo"),
};
