import { Layout } from "./layout";

export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errors: string[];
  encoding: string;
  rows: number;
}

export function ImportReport(props: { report: ImportSummary }) {
  const { report } = props;
  return (
    <section id="import-report" class={`verdict ${report.failed > 0 ? "amber" : "green"} import-report`}>
      <p
        class="headline"
        safe
      >{`${report.created} created · ${report.updated} updated · ${report.unchanged} unchanged`}</p>
      <p class="reason" safe>{`${report.rows} rows read (${report.encoding}), ${report.failed} refused`}</p>
      {report.errors.length > 0 ? (
        <ol class="row-errors">
          {report.errors.slice(0, 500).map((error) => (
            <li safe>{error}</li>
          ))}
        </ol>
      ) : (
        ""
      )}
    </section>
  );
}

export function ImportPage() {
  return (
    <Layout title="Import participants">
      <h1>Import participants</h1>
      <p class="meta">
        A CSV with the columns name, email, organization, phone (and qrCode to keep existing badge codes).
        Email is the key: importing again updates people and keeps their badges.{" "}
        <a href="/api/v1/participants/import/template">Template</a>
      </p>
      <form
        class="settings"
        hx-post="/admin/import"
        hx-target="#import-result"
        hx-swap="innerHTML"
        enctype="multipart/form-data"
      >
        <input type="file" name="file" accept=".csv,text/csv" required />
        <button type="submit">Import</button>
        <progress class="htmx-indicator" aria-label="Importing"></progress>
      </form>
      <div id="import-result"></div>
    </Layout>
  );
}
