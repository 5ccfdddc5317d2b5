import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, ROOT } from "../../helpers/env";

// Alerts that reach someone: the shipped Alertmanager configuration, rendered by the ops
// scripts from ALERT_* settings, is valid (amtool), and a real Prometheus firing a
// critical alert gets it delivered by a real Alertmanager to a webhook on this machine.

const dir = mkdtempSync(join(tmpdir(), "checkin-alerts-"));
const processes: ReturnType<typeof Bun.spawn>[] = [];
afterAll(() => {
  for (const proc of processes) proc.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** The ops scripts' own rendering, with these settings. */
function render(settings: Record<string, string>): { code: number; err: string; file: string } {
  const file = join(dir, "alertmanager.yml");
  const result = Bun.spawnSync(
    ["bash", "-c", `source "${join(ROOT, "deploy/ops-lib.sh")}"; render_alertmanager "${file}"`],
    { env: { PATH: process.env.PATH ?? "", CHECKIN_ETC: dir, ...settings } },
  );
  return { code: result.exitCode, err: result.stderr.toString(), file };
}

test("the rendered configuration passes amtool, placeholders or real settings", () => {
  expect(render({}).code).toBe(0);
  const check = Bun.spawnSync(["amtool", "check-config", join(dir, "alertmanager.yml")]);
  expect(check.stdout.toString()).toContain("SUCCESS");
  expect(check.exitCode).toBe(0);
});

test("a critical alert fired by Prometheus reaches the webhook through Alertmanager", async () => {
  const received: { status: string; alerts: { labels: Record<string, string> }[] }[] = [];
  const urls: string[] = [];
  const hook = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      urls.push(request.url);
      received.push(await request.json());
      return new Response("ok");
    },
  });
  const amPort = await freePort();
  const settings = {
    // A query with & (a sed replacement's "matched text") arrives as written.
    ALERT_WEBHOOK_URL: `http://127.0.0.1:${hook.port}/alerts?token=abc&channel=ops`,
    ALERT_GROUP_WAIT: "1s",
  };
  const rendered = render(settings);
  expect(`${rendered.code} ${rendered.err}`).toBe("0 ");
  processes.push(
    Bun.spawn(
      [
        "prometheus-alertmanager",
        `--config.file=${rendered.file}`,
        `--storage.path=${join(dir, "am-data")}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        "--cluster.listen-address=",
      ],
      { stdout: "ignore", stderr: Bun.file(join(dir, "alertmanager.log")) },
    ),
  );
  // A Prometheus whose only rule fires at once, as the shipped rules would on a real fault.
  writeFileSync(
    join(dir, "rules.yml"),
    [
      "groups:",
      "  - name: drill",
      "    rules:",
      "      - alert: CheckinDrill",
      "        expr: vector(1)",
      "        labels: { severity: critical }",
      "        annotations: { summary: drill }",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global: { evaluation_interval: 1s }",
      "rule_files: [rules.yml]",
      "alerting:",
      "  alertmanagers:",
      `    - static_configs: [{ targets: ["127.0.0.1:${amPort}"] }]`,
      "",
    ].join("\n"),
  );
  processes.push(
    Bun.spawn(
      [
        "prometheus",
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "prom-data")}`,
        `--web.listen-address=127.0.0.1:${await freePort()}`,
        // Its first alerts can come before it has found Alertmanager; resent each second, not each minute.
        "--rules.alert.resend-delay=1s",
      ],
      { cwd: dir, stdout: "ignore", stderr: Bun.file(join(dir, "prometheus.log")) },
    ),
  );
  const deadline = Date.now() + 45_000;
  while (received.length === 0 && Date.now() < deadline) await Bun.sleep(250);
  hook.stop(true);
  if (received.length === 0)
    console.log(
      `alertmanager: ${await Bun.file(join(dir, "alertmanager.log")).text()}\nprometheus: ${(await Bun.file(join(dir, "prometheus.log")).text()).slice(-3000)}`,
    );
  expect(received.length).toBeGreaterThan(0);
  expect(urls[0]).toContain("/alerts?token=abc&channel=ops");
  expect(received[0]?.status).toBe("firing");
  expect(received[0]?.alerts[0]?.labels).toMatchObject({ alertname: "CheckinDrill", severity: "critical" });
}, 60_000);
