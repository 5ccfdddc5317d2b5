import { expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "../../helpers/env";

// The alert rules load in Prometheus and fire (or stay quiet) as their unit tests say.

const dir = join(ROOT, "deploy/prometheus");
const run = (...args: string[]) => {
  const result = Bun.spawnSync(["promtool", ...args], { cwd: dir });
  return { code: result.exitCode, output: result.stdout.toString() + result.stderr.toString() };
};

test("promtool check rules accepts every alert rule", () => {
  const { code, output } = run("check", "rules", "alerts.yml");
  expect(output).toContain("SUCCESS: 14 rules found");
  expect(code).toBe(0);
});

test("promtool test rules: each alert fires on its scenario and not otherwise", () => {
  const { code, output } = run("test", "rules", "alerts.test.yml");
  expect(output).toContain("SUCCESS");
  expect(code).toBe(0);
});

test("promtool check config accepts the scrape configuration", () => {
  const { code, output } = run("check", "config", "prometheus.yml");
  expect(output).toContain("SUCCESS");
  expect(code).toBe(0);
});

test("every metric the Grafana dashboard and the alerts query is one the server exports", async () => {
  const { readFileSync } = await import("node:fs");
  const dashboard = JSON.parse(readFileSync(join(ROOT, "deploy/grafana/checkin-dashboard.json"), "utf8")) as {
    panels: { targets: { expr: string }[] }[];
  };
  const queries = [
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
    readFileSync(join(dir, "alerts.yml"), "utf8"),
  ].join("\n");
  const used = new Set(queries.match(/\b[a-z_]+(?=\{job=)/g) ?? []);
  const exported = new Set(
    (
      readFileSync(join(ROOT, "src/door/metrics.ts"), "utf8") +
      readFileSync(join(ROOT, "src/participants/metrics.ts"), "utf8") +
      readFileSync(join(ROOT, "src/health/metrics.ts"), "utf8") +
      readFileSync(join(ROOT, "src/live/metrics.ts"), "utf8") +
      readFileSync(join(ROOT, "src/live/hub.ts"), "utf8") +
      readFileSync(join(ROOT, "src/infra/metrics.ts"), "utf8")
    )
      .match(/name: "([a-z_]+)"/g)
      ?.map((m) => m.slice(7, -1)) ?? [],
  );
  exported.add("up");
  // prom-client's default process metrics (the crash-loop alert reads their start time).
  if (/collectDefaultMetrics/.test(readFileSync(join(ROOT, "src/infra/metrics.ts"), "utf8")))
    exported.add("process_start_time_seconds");
  const histogramParts = (name: string) => name.replace(/_(bucket|sum|count)$/, "");
  const missing = [...used].filter((name) => !exported.has(name) && !exported.has(histogramParts(name)));
  expect(missing).toEqual([]);
  expect(used.size).toBeGreaterThan(8);
});
