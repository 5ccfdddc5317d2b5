import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Cluster, startCluster } from "../../deploy/local/cluster";
import { freePort, instanceEnv, ROOT, TEST_LOGS } from "../helpers/env";
import { dropDatabase, openDb, tokenHeaders } from "../helpers/fixtures";

const env = instanceEnv("k6");

// The k6 suite with a real k6 against a real cluster behind Nginx: the smoke run and a
// short capacity race must keep every threshold (k6 exits non-zero otherwise).

let cluster: Cluster;
let token: string;
const summaries = mkdtempSync(join(tmpdir(), "checkin-k6-"));

beforeAll(async () => {
  cluster = await startCluster({
    ports: [await freePort(), await freePort()],
    nginxPort: await freePort(),
    dir: join(TEST_LOGS, "k6-cluster"),
    env,
  });
  const { client, db } = await openDb(String(env.MONGODB_DB));
  token = (await tokenHeaders(db)).authorization?.replace("Bearer ", "") ?? "";
  await client.close();
});

afterAll(async () => {
  await cluster.stop();
  await dropDatabase(env);
  rmSync(summaries, { recursive: true, force: true });
});

function k6(script: string, extra: Record<string, string> = {}) {
  const result = Bun.spawnSync(["k6", "run", "--quiet", "--no-usage-report", join(ROOT, "k6", script)], {
    env: { ...process.env, BASE_URL: cluster.url, SUMMARY_DIR: summaries, API_TOKEN: token, ...extra },
  });
  return { code: result.exitCode, output: result.stdout.toString() + result.stderr.toString() };
}

test("smoke: every route and page once, a dashboard socket, all thresholds kept", () => {
  const { code, output } = k6("smoke.js");
  expect(output).toContain("PASS  checks: rate==1");
  expect(output).not.toContain("FAILED CHECK");
  expect(code).toBe(0);
  const summary = JSON.parse(readFileSync(join(summaries, "smoke.json"), "utf8"));
  expect(summary.metrics.verdict_accepted.values.count).toBe(2);
});

test("capacity race: exactly the capacity admitted from ten doors", () => {
  const { code, output } = k6("capacity-race.js", { CAPACITY: "15", BADGES: "45", DOORS: "10" });
  expect(output).toContain("PASS  verdict_accepted: count<=15");
  expect(output).toContain("PASS  verdict_accepted: count>=15");
  expect(code).toBe(0);
});

test("a broken promise makes k6 exit non-zero", () => {
  // Capacity 15 admitted, but the thresholds are told to expect 16.
  const { code } = k6("capacity-race.js", {
    CAPACITY: "15",
    BADGES: "30",
    DOORS: "5",
    EXPECT_ACCEPTED: "16",
  });
  expect(code).not.toBe(0);
});
