import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Instance, spawnInstance, stopProcess } from "../../deploy/local/cluster";
import { freePort, instanceEnv, TEST_LOGS } from "../helpers/env";

let instance: Instance;

beforeAll(async () => {
  instance = await spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env: instanceEnv("metrics") });
});
afterAll(() => stopProcess(instance.proc));

test("/metrics is valid Prometheus text with request series labelled by instance", async () => {
  await fetch(`${instance.url}/api/v1/health/live`);
  await fetch(`${instance.url}/no/such/route`);
  const response = await fetch(`${instance.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  const text = await response.text();

  expect(text).toContain(
    `http_requests_total{method="GET",route="/api/v1/health/live",status="200",instance="${instance.id}"} 1`,
  );
  expect(text).toContain(
    `http_requests_total{method="GET",route="unmatched",status="404",instance="${instance.id}"} 1`,
  );
  expect(text).toMatch(
    /http_request_duration_seconds_bucket\{le="0\.005",[^}]*route="\/api\/v1\/health\/live"/,
  );
  expect(text).toContain("process_cpu_user_seconds_total");

  const { code, findings } = promtool(text);
  // prom-client names three of its default gauges "*_total"; promtool's linter flags
  // those, and nothing else may be flagged. A parse error would show up here too.
  const unexpected = findings.filter(
    (line) => !/^nodejs_active_(handles|requests|resources)_total non-counter/.test(line),
  );
  expect(unexpected).toEqual([]);
  expect(code === 0 || findings.length > 0).toBe(true);
});

test("promtool rejects malformed exposition text (the check can fail)", () => {
  const { code, findings } = promtool("# TYPE broken counter\nbroken{label=} 1\n");
  expect(code).not.toBe(0);
  expect(findings.join(" ")).toContain("pars");
});

function promtool(text: string): { code: number; findings: string[] } {
  const result = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: new TextEncoder().encode(text) });
  const output = result.stdout.toString() + result.stderr.toString();
  return { code: result.exitCode, findings: output.split("\n").filter((line) => line.trim() !== "") };
}
