import { IMPORT_PAGE } from "../src/imports/paths";
import type { ImportSummary } from "../src/imports/summary";
import { REGISTRATION_PAGES } from "../src/registrations/paths";
import { Layout } from "./layout";

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

/**
 * A CSV upload that shows its progress: public/app.js sends forms marked data-upload
 * itself (htmx 4 uploads through fetch, which reports no upload progress).
 */
export function UploadForm(props: { action: string; target: string; children?: JSX.Element | string }) {
  return (
    <form
      class="settings upload"
      action={props.action}
      method="post"
      enctype="multipart/form-data"
      data-upload={props.target}
    >
      <label>
        CSV file
        <input type="file" name="file" accept=".csv,text/csv" required />
      </label>
      {(props.children ?? "") as "safe"}
      <button type="submit">Import</button>
      <progress class="upload-progress" max="100" value="0" hidden aria-label="Upload progress"></progress>
      <span class="upload-state meta" role="status"></span>
    </form>
  );
}

export function ImportPage() {
  return (
    <Layout title="Import participants">
      <h1>Import participants</h1>
      <p class="meta">
        A CSV with the columns name, email, organization, phone (and qrCode to keep existing badge codes).
        Email is the key: importing again updates people and keeps their badges.{" "}
        <a href="/api/v1/participants/import/template">Template</a> · Registrations are imported on the{" "}
        <a href={REGISTRATION_PAGES.list()}>registrations page</a>.
      </p>
      <UploadForm action={IMPORT_PAGE()} target="#import-result" />
      <div id="import-result"></div>
    </Layout>
  );
}
