import { path } from "../web/paths";

export const IMPORT_PAGE = path("/admin/import");
