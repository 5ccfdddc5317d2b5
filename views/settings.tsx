import type { Phrase } from "../src/i18n/locale";
import { SETTINGS_PAGE } from "../src/settings/paths";
import type { Timing } from "../src/settings/settings";
import { sayHere, t, tAttr } from "../src/web/reader";
import { Layout } from "./layout";

export function SettingsForm(props: { timing: Timing; saved?: boolean; error?: Phrase }) {
  const { timing } = props;
  return (
    <form id="settings-form" class="settings" hx-post={SETTINGS_PAGE()} hx-target="this" hx-swap="outerHTML">
      <label>
        {t("Open sessions this many minutes before they start")}
        <input
          type="number"
          name="autoOpenMinutesBefore"
          min="0"
          max="1440"
          required
          value={String(timing.autoOpenMinutesBefore)}
        />
      </label>
      <label class="check">
        <input type="checkbox" name="autoEndEnabled" checked={timing.autoEndEnabled} />{" "}
        {t("End sessions automatically")}
      </label>
      <label>
        {t("…this many minutes after they end")}
        <input
          type="number"
          name="autoEndGraceMinutes"
          min="0"
          max="1440"
          required
          value={String(timing.autoEndGraceMinutes)}
        />
      </label>
      <label>
        {t("Late after the start, in minutes (sessions may override)")}
        <input
          type="number"
          name="lateThresholdMinutes"
          min="0"
          max="1440"
          required
          value={String(timing.lateThresholdMinutes)}
        />
      </label>
      <label class="check">
        <input type="checkbox" name="moveOnEntry" checked={timing.moveOnEntry} />{" "}
        {t("One room at a time: entering a session ends the person's presence in any other")}
      </label>
      <label>
        {t("Erase participants' personal data this many days after the last session (empty: keep)")}
        <input
          type="number"
          name="retentionDays"
          min="0"
          max="3650"
          value={timing.retentionDays === null ? "" : String(timing.retentionDays)}
        />
      </label>
      <label class="check">
        <input type="checkbox" name="retentionKeepNames" checked={timing.retentionKeepNames} />{" "}
        {t("…but keep names (for certificates)")}
      </label>
      <label>
        {t("Scheduler interval, in seconds")}
        <input
          type="number"
          name="schedulerIntervalSeconds"
          min="1"
          max="3600"
          required
          value={String(Math.round(timing.schedulerIntervalMs / 1000))}
        />
      </label>
      <label>
        {t("Event name (printed on certificates)")}
        <input name="eventName" maxlength="200" value={timing.eventName} />
      </label>
      <label>
        {t("Event time zone (IANA name, e.g. Africa/Tunis): every time shown and typed")}
        <input name="timeZone" required maxlength="64" value={timing.timeZone} />
      </label>
      <button type="submit">{t("Save")}</button>
      {props.saved ? <p class="saved">{t("Saved: every instance uses these values now.")}</p> : ""}
      {props.error ? (
        <p class="error" role="alert" safe>
          {sayHere(props.error)}
        </p>
      ) : (
        ""
      )}
    </form>
  );
}

export function SettingsPage(props: { timing: Timing }) {
  return (
    <Layout title={tAttr("Timing settings")}>
      <h1>{t("Timing settings")}</h1>
      <SettingsForm timing={props.timing} />
    </Layout>
  );
}
