import { path } from "../web/paths";

export const SETTINGS_PAGE = path("/settings");
