import { createServer } from "node:net";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const TEST_LOGS = join(ROOT, ".local/test-logs");

/** Connection strings of the real local stack, exported by `npm test`. */
export function stackEnv(): { MONGODB_URI: string; REDIS_URL: string } {
  const { MONGODB_URI, REDIS_URL } = process.env;
  if (!MONGODB_URI || !REDIS_URL) {
    throw new Error(
      "MONGODB_URI and REDIS_URL are not set: run the suite with `npm test`, which starts the stack",
    );
  }
  return { MONGODB_URI, REDIS_URL };
}

/** A database of its own for one test file, so suites never see each other's data. */
export function testDbName(label: string): string {
  return `test_${label}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** One cookie secret for every instance this test run starts, so a cookie from one works on another. */
const TEST_JWT_SECRET = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) =>
  b.toString(16).padStart(2, "0"),
).join("");

/** Environment for a server process under test: the real stack, a private database, quiet logs. */
export function instanceEnv(
  dbLabel: string,
  extra: Record<string, string> = {},
): Record<string, string | undefined> {
  return {
    ...process.env,
    ...stackEnv(),
    MONGODB_DB: testDbName(dbLabel),
    LOG_LEVEL: "warn",
    NODE_ENV: "test",
    JWT_SECRET: TEST_JWT_SECRET,
    // Load and torture tests send thousands of requests with one token; the rate-limit
    // test sets its own small limit.
    THROTTLE_LIMIT: "1000000",
    ...extra,
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls until `check` returns true or the time is up; returns the last outcome. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await Bun.sleep(everyMs);
  }
  return false;
}
