import { Elysia, t } from "elysia";
import { SettingsForm, SettingsPage } from "../../views/settings";
import { AppError } from "../http/errors";
import { html } from "../web/html";
import { SETTINGS_PAGE } from "./paths";
import type { Settings } from "./settings";

const Minutes = t.Numeric({ minimum: 0, maximum: 1440 });

export function settingsPage(settings: Settings) {
  return new Elysia({ name: "settings-page" })
    .get(SETTINGS_PAGE.pattern, ({ request }) =>
      html(request, () => <SettingsPage timing={settings.get()} />),
    )
    .post(
      SETTINGS_PAGE.pattern,
      async ({ body, request }) => {
        const asked = {
          autoOpenMinutesBefore: body.autoOpenMinutesBefore,
          autoEndEnabled: body.autoEndEnabled === "on",
          autoEndGraceMinutes: body.autoEndGraceMinutes,
          lateThresholdMinutes: body.lateThresholdMinutes,
          schedulerIntervalMs: body.schedulerIntervalSeconds * 1000,
          timeZone: body.timeZone.trim(),
          moveOnEntry: body.moveOnEntry === "on",
          retentionDays:
            body.retentionDays === undefined || body.retentionDays === "" ? null : Number(body.retentionDays),
          retentionKeepNames: body.retentionKeepNames === "on",
          eventName: body.eventName?.trim() ?? "",
        };
        try {
          const timing = await settings.update(asked);
          return html(request, () => <SettingsForm timing={timing} saved />);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          const message = error.errors?.[0]?.message ?? error.phrase;
          return html(request, () => <SettingsForm timing={asked} error={message} />, 422);
        }
      },
      {
        body: t.Object(
          {
            autoOpenMinutesBefore: Minutes,
            autoEndEnabled: t.Optional(t.Literal("on")),
            autoEndGraceMinutes: Minutes,
            lateThresholdMinutes: Minutes,
            schedulerIntervalSeconds: t.Numeric({ minimum: 1, maximum: 3600 }),
            timeZone: t.String({ minLength: 1, maxLength: 64 }),
            moveOnEntry: t.Optional(t.Literal("on")),
            retentionDays: t.Optional(t.Union([t.Literal(""), t.String({ pattern: "^[0-9]{1,4}$" })])),
            retentionKeepNames: t.Optional(t.Literal("on")),
            eventName: t.Optional(t.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
      },
    );
}
