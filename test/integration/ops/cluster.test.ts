import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { type Cluster, startCluster } from "../../../deploy/local/cluster";
import { freePort, instanceEnv, TEST_LOGS } from "../../helpers/env";
import { createUser, dropDatabase, openDb } from "../../helpers/fixtures";

let cluster: Cluster;
const env = instanceEnv("cluster");

beforeAll(async () => {
  cluster = await startCluster({
    ports: [await freePort(), await freePort()],
    nginxPort: await freePort(),
    dir: join(TEST_LOGS, "cluster"),
    env,
  });
});
afterAll(async () => {
  await cluster.stop();
  await dropDatabase(env);
});

test("Nginx spreads requests over both instances and passes the request id through", async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const response = await fetch(`${cluster.url}/api/v1/health/ready`, {
      headers: { "X-Request-Id": `req-${i}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe(`req-${i}`);
    seen.add(String(response.headers.get("x-instance-id")));
    await response.arrayBuffer();
  }
  expect([...seen].sort()).toEqual(cluster.instances.map((instance) => instance.id).sort());
});

test("metrics are not served through Nginx, only by each instance on loopback", async () => {
  for (const spelling of [
    "/metrics",
    "/metrics/",
    "/metrics/?x=1",
    "/metrics?x=1",
    "//metrics",
    "/%6Detrics",
    "/%6detrics/",
    "/METRICS",
    "/Metrics/",
    "/metrics;x",
    "/api/../metrics",
  ]) {
    const response = await fetch(`${cluster.url}${spelling}`);
    const text = await response.text();
    expect({ spelling, status: response.status }).toEqual({ spelling, status: 404 });
    expect(text).not.toContain("http_requests_total");
  }
  // The instance itself refuses other spellings, and anything that came through a proxy.
  const instance = cluster.instances[0]?.url;
  expect((await fetch(`${instance}/metrics/`)).status).toBe(404);
  expect((await fetch(`${instance}/metrics`, { headers: { "x-real-ip": "203.0.113.5" } })).status).toBe(404);
  const direct = await fetch(`${cluster.instances[0]?.url}/metrics`);
  expect(direct.status).toBe(200);
  expect(await direct.text()).toContain("http_requests_total");
});

test("scans reach an instance with or without a nonce header (only those with one may be re-sent)", async () => {
  for (const headers of [{}, { "idempotency-key": "route-check-1" }] as Record<string, string>[]) {
    const response = await fetch(`${cluster.url}/api/v1/scan?via=nginx`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: "{}",
    });
    // The instance's own answer (sign in first), not Nginx's 404 for the internal route.
    expect(response.status).toBe(401);
    expect(response.headers.get("x-instance-id")).toBeTruthy();
  }
  expect((await fetch(`${cluster.url}/_once/api/v1/scan`, { method: "POST" })).status).toBe(404);
});

test("a browser signs in through Nginx on its own port (the Host it sent reaches the instance)", async () => {
  const { client, db } = await openDb(env.MONGODB_DB as string);
  const account = await createUser(db, "viewer", "nginx-signin@example.org");
  await client.close();
  const response = await fetch(`${cluster.url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: cluster.url },
    body: new URLSearchParams({ ...account, next: "/live" }),
  });
  expect(response.status).toBe(303);
  expect(response.headers.get("location")).toBe("/live");
  expect(response.headers.get("set-cookie")).toContain("checkin_session=");
});

test("SIGTERM to one instance during a request stream loses no request, and it exits 0", async () => {
  const victim = cluster.instances[0];
  if (!victim) throw new Error("no instance");
  const failures: string[] = [];
  const served = new Map<string, number>();
  let stop = false;
  const worker = async () => {
    while (!stop) {
      try {
        const response = await fetch(`${cluster.url}/api/v1/health/live`);
        await response.arrayBuffer();
        if (response.status !== 200) failures.push(`status ${response.status}`);
        const id = String(response.headers.get("x-instance-id"));
        served.set(id, (served.get(id) ?? 0) + 1);
      } catch (error) {
        failures.push(String(error));
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await Bun.sleep(500);
  victim.proc.kill("SIGTERM");
  const code = await victim.proc.exited;
  await Bun.sleep(1000);
  stop = true;
  await Promise.all(workers);

  expect(code).toBe(0);
  expect(failures).toEqual([]);
  const total = [...served.values()].reduce((a, b) => a + b, 0);
  expect(total).toBeGreaterThan(100);
  // The survivor carried the traffic after the victim left.
  expect(served.get(cluster.instances[1]?.id ?? "")).toBeGreaterThan(0);

  // The instance comes back on the same port and takes traffic again.
  await cluster.startInstance(victim.port);
  const status = await fetch(`${cluster.url}/api/v1/health/ready`).then((r) => r.status);
  expect(status).toBe(200);
});
