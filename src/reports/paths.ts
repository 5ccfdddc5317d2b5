import { path } from "../web/paths";

export const REPORTS = {
  page: path("/reports"),
  attendanceCsv: path("/api/v1/reports/attendance.csv"),
};
