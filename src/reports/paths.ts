import { path } from "../web/paths";

export const REPORTS = {
  page: path("/reports"),
  attendanceCsv: path("/api/v1/reports/attendance.csv"),
  /** Minutes inside and credits per person and session (names: admins only). */
  creditsCsv: path("/api/v1/reports/credits.csv"),
};
