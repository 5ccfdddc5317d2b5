import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { instanceEnv, ROOT } from "../../helpers/env";
import { openDb } from "../../helpers/fixtures";

// The core runs unchanged under Deno (the `deno` npm package): health, a capacity-1
// session admitting one person and refusing the next, auth, all through app.handle().

const env = instanceEnv("deno");

afterAll(async () => {
  const { client, db } = await openDb(String(env.MONGODB_DB));
  await db.dropDatabase();
  await client.close();
});

test("the smoke script passes under Deno against the real servers", () => {
  const result = Bun.spawnSync(
    [join(ROOT, "node_modules/.bin/deno"), "run", "-A", "--unstable-sloppy-imports", "test/deno/smoke.ts"],
    { cwd: ROOT, env: env as Record<string, string> },
  );
  const lines = result.stdout.toString().trim().split("\n");
  const seen = JSON.parse(lines.at(-1) ?? "{}") as Record<string, unknown>;
  expect(result.exitCode).toBe(0);
  expect(String(seen.runtime)).toStartWith("deno 2.");
  expect(seen).toMatchObject({
    ready: 200,
    first: 201,
    again: 409,
    full: [400, "session_full"],
    anonymous: 401,
  });
});
