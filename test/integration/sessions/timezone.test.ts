import { afterAll, beforeAll, expect, test } from "bun:test";
import { setEventTimeZone } from "../../../src/time/zone";
import { type InProcess, inProcess } from "../../helpers/instance";

// An event in Tunis reads Tunis time: what the organiser types on the session form is
// Tunis wall-clock time, stored as the UTC instant, and shown back as typed; the zone
// can be changed in the settings, and a name that is not a zone is refused in words.

let inst: InProcess;
beforeAll(async () => {
  inst = await inProcess("timezone", { EVENT_TIMEZONE: "Africa/Tunis" });
});
afterAll(async () => {
  await inst.stop();
  setEventTimeZone("UTC");
});

async function post(path: string, fields: Record<string, string>) {
  const response = await inst.app.handle(
    new Request(`http://test.local${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}`, "hx-request": "true" },
      body: new URLSearchParams(fields),
    }),
  );
  return { status: response.status, text: await response.text() };
}

test("the session form speaks the event's clock; stored times stay UTC", async () => {
  const created = await post("/admin/sessions", {
    name: "Tunis keynote",
    startTime: "2026-12-01T09:00",
    endTime: "2026-12-01T10:00",
  });
  expect(created.status).toBe(200);
  const stored = await inst.db.collection("sessions").findOne({ name: "Tunis keynote" });
  expect(stored?.startTime.toISOString()).toBe("2026-12-01T08:00:00.000Z");
  const page = await inst.app.handle(
    new Request("http://test.local/admin/sessions", {
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
    }),
  );
  const html = await page.text();
  expect(html).toContain("09:00–10:00");
  expect(html).toContain("Africa/Tunis");
});

test("the zone is a setting; a wrong name is refused in words", async () => {
  const bad = await post("/settings", {
    autoOpenMinutesBefore: "10",
    autoEndGraceMinutes: "0",
    lateThresholdMinutes: "10",
    schedulerIntervalSeconds: "30",
    timeZone: "Mars/Olympus",
  });
  expect(bad.status).toBe(422);
  expect(bad.text).toContain("is not a time zone");
  const api = await inst.call("PUT", "/api/v1/settings/timing", { timeZone: "Europe/Paris" });
  expect(api.status).toBe(200);
  const page = await inst.app.handle(
    new Request("http://test.local/admin/sessions", {
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
    }),
  );
  expect(await page.text()).toContain("Europe/Paris");
});
