import { path } from "../web/paths";

/** The language switch: `?to=fr`, back to the page it was used on. */
export const LANGUAGE_SWITCH = path("/language");
