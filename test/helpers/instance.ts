import type { Db } from "mongodb";
import { assemble } from "../../src/assemble";
import type { Role } from "../../src/auth/policy";
import { createToken } from "../../src/auth/store";
import { loadConfig, serverBodyCap } from "../../src/config";
import { assetRoutes } from "../../src/web/assets";
import { freePort, instanceEnv } from "./env";
import { dropDatabase } from "./fixtures";

/**
 * A whole instance inside the test process, wired by assemble() against the real Redis
 * and MongoDB-wire server: requests go through `app.handle`, no port, no process. For
 * rules and routes; cluster behaviour (several instances, Nginx, kill) keeps real processes.
 */
export async function inProcess(label: string, extra: Record<string, string> = {}) {
  return inProcessOn(instanceEnv(label, extra), `test-${label}`);
}

/** The same on a given environment (several instances on one database share it). */
export async function inProcessOn(env: Record<string, string | undefined>, version: string) {
  const parts = assemble(loadConfig(env, version));
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
    /** `crash`: as a killed process, without the graceful stop's last writes. */
    async stop(options: { keepDatabase?: boolean; crash?: boolean } = {}) {
      await parts.scheduler.stop();
      parts.hub.stop();
      await parts.features.webhooks.stop().catch(() => undefined);
      if (!options.crash) await parts.lastWrites();
      // Quits, then disconnects: with Redis away a quit alone leaves the client reconnecting for ever.
      await parts.rt.redis.close();
      await parts.rt.mongo.close();
      // Dropped once the instance's client is closed: a write still in flight would recreate it.
      if (!options.keepDatabase) await dropDatabase(env);
    },
  };
}

export type InProcess = Awaited<ReturnType<typeof inProcess>>;

/** An in-process instance listening on a port, for tests that speak HTTP and WebSocket to it. */
export interface Served {
  port: number;
  id: string;
  url: string;
}

/**
 * An instance in this process, served on a free port as server.ts serves one (assets and
 * the live hub included): fast to start, while the requests still cross a real socket.
 */
export async function servedInProcess(env: Record<string, string | undefined>) {
  const port = await freePort();
  const id = `in-process-${port}`;
  const inst = await inProcessOn({ ...env, PORT: String(port), INSTANCE_ID: id }, "test-served");
  const app = inst.app
    .use(assetRoutes())
    .listen({ hostname: "127.0.0.1", port, maxRequestBodySize: serverBodyCap(inst.rt.config) });
  if (app.server) await inst.hub.start(app.server);
  const served: Served = { port, id, url: `http://127.0.0.1:${port}` };
  return {
    served,
    async stop() {
      await app.server?.stop(true);
      await inst.stop({ keepDatabase: true });
    },
  };
}
