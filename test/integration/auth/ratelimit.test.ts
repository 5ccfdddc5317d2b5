import { afterAll, beforeAll, expect, test } from "bun:test";
import { seededInProcess, tokenHeaders } from "../../helpers/fixtures";
import type { Served as Instance } from "../../helpers/instance";

// One limit per caller shared by two instances through Redis: a token is counted
// wherever its requests land; another token, or health checks, are not affected.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  cluster = await seededInProcess("ratelimit", 2, {}, { THROTTLE_LIMIT: "5", THROTTLE_TTL: "60000" });
  [a, b] = cluster.instances as [Instance, Instance];
});
afterAll(() => cluster.stop());

test("a token's limit holds across instances, with Retry-After and a readable message", async () => {
  const noisy = await tokenHeaders(cluster.db, "viewer");
  const quiet = await tokenHeaders(cluster.db, "viewer");
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const response = await fetch(`${(i % 2 ? a : b).url}/api/v1/sessions`, { headers: noisy });
    statuses.push(response.status);
    await response.arrayBuffer();
  }
  expect(statuses).toEqual([200, 200, 200, 200, 200]);
  const limited = await fetch(`${a.url}/api/v1/sessions`, { headers: noisy });
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(((await limited.json()) as { message: string }).message).toContain("Too many requests: 5 per 60 s");
  // Another device at the same venue is not blocked; health checks are never limited.
  expect((await fetch(`${b.url}/api/v1/sessions`, { headers: quiet })).status).toBe(200);
  for (let i = 0; i < 10; i++) {
    expect((await fetch(`${a.url}/api/v1/health/live`, { headers: noisy })).status).toBe(200);
  }
});

test("sign-in attempts are limited per address", async () => {
  // A different account each time: the per-account lockout (auth.test.ts) stays out of this.
  let n = 0;
  const attempt = (address: string) =>
    fetch(`${(Math.random() < 0.5 ? a : b).url}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "x-real-ip": address },
      body: new URLSearchParams({ email: `nobody-${n++}@example.org`, password: "guess" }),
    });
  for (let i = 0; i < 5; i++) expect((await attempt("192.0.2.7")).status).toBe(401);
  expect((await attempt("192.0.2.7")).status).toBe(429);
  expect((await attempt("192.0.2.8")).status).toBe(401);
});
