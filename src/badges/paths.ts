import { path } from "../web/paths";

export const BADGES = {
  sheet: path("/badges"),
  session: path("/badges/sessions/:id"),
};
