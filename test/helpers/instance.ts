import type { Db } from "mongodb";
import { assemble } from "../../src/assemble";
import type { Role } from "../../src/auth/policy";
import { createToken } from "../../src/auth/store";
import { loadConfig } from "../../src/config";
import { instanceEnv } from "./env";

/**
 * A whole instance inside the test process, wired by assemble() against the real Redis
 * and MongoDB-wire server: requests go through `app.handle`, no port, no process. For
 * rules and routes; cluster behaviour (several instances, Nginx, kill) keeps real processes.
 */
export async function inProcess(label: string, extra: Record<string, string> = {}) {
  const env = instanceEnv(label, extra);
  const parts = assemble(loadConfig(env, `test-${label}`));
  await parts.start();
  const db: Db = parts.rt.mongo.db;
  const tokens = new Map<Role, string>();
  async function tokenFor(role: Role): Promise<string> {
    const known = tokens.get(role);
    if (known) return known;
    const { token } = await createToken(db, `${role} (test)`, role);
    tokens.set(role, token);
    return token;
  }
  return {
    ...parts,
    db,
    env,
    tokenFor,
    /** A JSON request as `role` (default admin); the answer's status and parsed body. */
    async call(
      method: string,
      path: string,
      body?: unknown,
      options: { role?: Role; headers?: Record<string, string> } = {},
    ) {
      const response = await parts.app.handle(
        new Request(`http://test.local${path}`, {
          method,
          headers: {
            authorization: `Bearer ${await tokenFor(options.role ?? "admin")}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
            ...options.headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
      const text = await response.text();
      // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers field by field
      let json: Record<string, unknown> & { data?: any; message?: string } = {};
      try {
        json = JSON.parse(text);
      } catch {
        json = { text } as never;
      }
      return { status: response.status, body: json };
    },
    async stop() {
      await parts.scheduler.stop();
      await db.dropDatabase();
      await parts.rt.redis.cmd.quit().catch(() => undefined);
      await parts.rt.redis.sub.quit().catch(() => undefined);
      await parts.rt.mongo.close();
    },
  };
}

export type InProcess = Awaited<ReturnType<typeof inProcess>>;
