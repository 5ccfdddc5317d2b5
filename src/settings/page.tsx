import { Elysia, t } from "elysia";
import { SettingsForm, SettingsPage } from "../../views/settings";
import { html } from "../web/html";
import type { Settings } from "./settings";

const Minutes = t.Numeric({ minimum: 0, maximum: 1440 });

export function settingsPage(settings: Settings) {
  return new Elysia({ name: "settings-page" })
    .get("/settings", () => html(<SettingsPage timing={settings.get()} />))
    .post(
      "/settings",
      async ({ body }) => {
        const timing = await settings.update({
          autoOpenMinutesBefore: body.autoOpenMinutesBefore,
          autoEndEnabled: body.autoEndEnabled === "on",
          autoEndGraceMinutes: body.autoEndGraceMinutes,
          lateThresholdMinutes: body.lateThresholdMinutes,
          schedulerIntervalMs: body.schedulerIntervalSeconds * 1000,
        });
        return html(<SettingsForm timing={timing} saved />);
      },
      {
        body: t.Object(
          {
            autoOpenMinutesBefore: Minutes,
            autoEndEnabled: t.Optional(t.Literal("on")),
            autoEndGraceMinutes: Minutes,
            lateThresholdMinutes: Minutes,
            schedulerIntervalSeconds: t.Numeric({ minimum: 1, maximum: 3600 }),
          },
          { additionalProperties: false },
        ),
      },
    );
}
