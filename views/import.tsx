import { IMPORT_PAGE } from "../src/imports/paths";
import type { ImportSummary } from "../src/imports/summary";
import { sayRow } from "../src/imports/summary";
import { REGISTRATION_PAGES } from "../src/registrations/paths";
import { reader, t, tAttr } from "../src/web/reader";
import { Layout } from "./layout";

export function ImportReport(props: { report: ImportSummary }) {
  const { report } = props;
  return (
    <section id="import-report" class={`verdict ${report.failed > 0 ? "amber" : "green"} import-report`}>
      <p class="headline">
        {t("{created} created · {updated} updated · {unchanged} unchanged", {
          created: report.created,
          updated: report.updated,
          unchanged: report.unchanged,
        })}
      </p>
      <p class="reason">
        {t("{rows} {rows|row|rows} read ({encoding}), {failed} refused", {
          rows: report.rows,
          encoding: report.encoding,
          failed: report.failed,
        })}
      </p>
      {report.errors.length > 0 ? (
        <ol class="row-errors">
          {report.errors.map((error) => (
            <li safe>{sayRow(reader().locale, error)}</li>
          ))}
        </ol>
      ) : (
        ""
      )}
      {report.errorsNotListed ? (
        <p class="reason">
          {t("…and {n} more refused {n|row|rows}, not listed", { n: report.errorsNotListed })}
        </p>
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
        {t("CSV file")}
        <input type="file" name="file" accept=".csv,text/csv" required />
      </label>
      {(props.children ?? "") as "safe"}
      <button type="submit">{t("Import")}</button>
      <progress
        class="upload-progress"
        max="100"
        value="0"
        hidden
        aria-label={tAttr("Upload progress")}
      ></progress>
      <span class="upload-state meta" role="status"></span>
    </form>
  );
}

export function ImportPage() {
  return (
    <Layout title={tAttr("Import participants")}>
      <h1>{t("Import participants")}</h1>
      <p class="meta">
        {t(
          "A CSV with the columns name, email, organization, phone (and qrCode to keep existing badge codes). Email is the key: importing again updates people and keeps their badges.",
        )}{" "}
        <a href="/api/v1/participants/import/template">{t("Template")}</a> ·{" "}
        <a href={REGISTRATION_PAGES.list()}>{t("Registrations are imported on the registrations page.")}</a>
      </p>
      <UploadForm action={IMPORT_PAGE()} target="#import-result" />
      <div id="import-result"></div>
    </Layout>
  );
}
