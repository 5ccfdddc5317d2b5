import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, instanceEnv, ROOT } from "../../helpers/env";
import { dropDatabase } from "../../helpers/fixtures";
import { servedInProcess } from "../../helpers/instance";

// Every running instance is scraped: the ops scripts write Prometheus' target file
// (write_targets, as install.sh and scale.sh do), and a real Prometheus with the shipped
// scrape configuration finds an instance added to it, and drops one removed from it.

const dir = mkdtempSync(join(tmpdir(), "checkin-scrape-"));
const env = instanceEnv("scrape");
const running: { stop: () => Promise<void> }[] = [];
let prometheus: ReturnType<typeof Bun.spawn> | undefined;
afterAll(async () => {
  prometheus?.kill();
  for (const instance of running) await instance.stop();
  await dropDatabase(env);
  rmSync(dir, { recursive: true, force: true });
});

const targetsFile = join(dir, "prometheus-targets.json");
function writeTargets(...ports: number[]) {
  const result = Bun.spawnSync(
    ["bash", "-c", `source "${join(ROOT, "deploy/ops-lib.sh")}"; write_targets ${ports.join(" ")}`],
    { env: { PATH: process.env.PATH ?? "", CHECKIN_ETC: dir } },
  );
  expect(result.exitCode).toBe(0);
}

test("an instance added to the targets is scraped; one removed is not", async () => {
  const a = await servedInProcess(env);
  const b = await servedInProcess(env);
  running.push(a, b);
  writeTargets(a.served.port);
  // The shipped configuration, pointed at this run's target file and quicker.
  const shipped = readFileSync(join(ROOT, "deploy/prometheus/prometheus.yml"), "utf8")
    .replace("/etc/checkin/prometheus-targets.json", targetsFile)
    .replace("refresh_interval: 30s", "refresh_interval: 1s")
    .replace("scrape_interval: 15s", "scrape_interval: 1s");
  writeFileSync(join(dir, "prometheus.yml"), shipped);
  writeFileSync(join(dir, "alerts.yml"), readFileSync(join(ROOT, "deploy/prometheus/alerts.yml")));
  const port = await freePort();
  prometheus = Bun.spawn(
    [
      "prometheus",
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { cwd: dir, stdout: "ignore", stderr: "ignore" },
  );
  const scraped = async () => {
    const body = (await fetch(`http://127.0.0.1:${port}/api/v1/targets`)
      .then((r) => r.json())
      .catch(() => null)) as {
      data?: { activeTargets: { labels: { instance: string }; health: string }[] };
    } | null;
    return new Map(
      (body?.data?.activeTargets ?? [])
        .filter((t) => t.labels.instance.startsWith("127.0.0.1:"))
        .map((t) => [t.labels.instance, t.health]),
    );
  };
  const until = async (check: (m: Map<string, string>) => boolean) => {
    for (let i = 0; i < 100; i++) {
      if (check(await scraped())) return true;
      await Bun.sleep(200);
    }
    return false;
  };
  const A = `127.0.0.1:${a.served.port}`;
  const B = `127.0.0.1:${b.served.port}`;
  expect(await until((m) => m.get(A) === "up")).toBe(true);
  expect((await scraped()).has(B)).toBe(false);
  writeTargets(a.served.port, b.served.port);
  expect(await until((m) => m.get(B) === "up")).toBe(true);
  writeTargets(b.served.port);
  expect(await until((m) => !m.has(A) && m.get(B) === "up")).toBe(true);
}, 60_000);
