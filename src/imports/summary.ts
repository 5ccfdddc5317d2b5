/** What an import reports back, row by row: for the page and the API alike. */
export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errors: string[];
  encoding: string;
  rows: number;
}
