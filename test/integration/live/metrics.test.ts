import { afterAll, beforeAll, expect, test } from "bun:test";
import { instanceEnv } from "../../helpers/env";
import { dropDatabase, openDb, tokenHeaders } from "../../helpers/fixtures";
import { type Served as Instance, servedInProcess } from "../../helpers/instance";

let instance: Instance;
let running: Awaited<ReturnType<typeof servedInProcess>>;
let json: Record<string, string>;
const env = instanceEnv("metrics");

beforeAll(async () => {
  running = await servedInProcess(env);
  instance = running.served;
  const { client, db } = await openDb(String(env.MONGODB_DB));
  json = { "content-type": "application/json", ...(await tokenHeaders(db)) };
  await client.close();
});
afterAll(async () => {
  await running.stop();
  await dropDatabase(env);
});

test("/metrics is valid Prometheus text with request series labelled by instance", async () => {
  await fetch(`${instance.url}/api/v1/health/live`);
  await fetch(`${instance.url}/no/such/route`, { headers: json });
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

test("business metrics the alert rules use are exported", async () => {
  const api = `${instance.url}/api/v1`;
  const start = new Date(Date.now() - 60_000).toISOString();
  const end = new Date(Date.now() + 3600_000).toISOString();
  const session = await (
    await fetch(`${api}/sessions`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ name: "Metrics", startTime: start, endTime: end, isOpen: true, capacity: 4 }),
    })
  ).json();
  const person = await (
    await fetch(`${api}/participants`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ name: "M", email: "m@example.org" }),
    })
  ).json();
  const sessionId = (session as { data: { _id: string } }).data._id;
  const qrCode = (person as { data: { qrCode: string } }).data.qrCode;
  await fetch(`${api}/scan`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ qrCode, sessionId, acceptUnregistered: true }),
  });
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  expect(text).toContain(
    `checkins_total{session_id="${sessionId}",outcome="accept",reason="ok",instance="${instance.id}"} 1`,
  );
  expect(text).toContain(
    `session_capacity_utilisation{session_id="${sessionId}",instance="${instance.id}"} 0.25`,
  );
  expect(text).toContain(`session_inside_now{session_id="${sessionId}",instance="${instance.id}"} 1`);
  expect(text).toContain(`lock_acquisitions_total{result="acquired",instance="${instance.id}"} 1`);
  expect(text).toMatch(/cache_requests_total\{cache="directory",result="(hit|miss)"/);
  expect(text).toContain(`dependency_up{dependency="redis",instance="${instance.id}"} 1`);
  expect(text).toContain(`dependency_up{dependency="mongodb",instance="${instance.id}"} 1`);
  expect(text).toContain(`instance_health{instance="${instance.id}"} 1`);
  expect(text).toContain("scan_decision_duration_seconds_bucket");
  // What the crash-loop and disk alerts read.
  expect(text).toMatch(/process_start_time_seconds\{instance="[^"]+"\} \d+/);
  expect(text).toMatch(/disk_free_ratio\{instance="[^"]+"\} (0(\.\d+)?|1)/);
  const unexpected = promtool(text).findings.filter(
    (line) => !/^nodejs_active_(handles|requests|resources)_total non-counter/.test(line),
  );
  expect(unexpected).toEqual([]);
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
