import { path } from "../web/paths";

export const ADMIN_LOG = {
  page: path("/admin/log"),
  csv: path("/api/v1/admin-log.csv"),
};
