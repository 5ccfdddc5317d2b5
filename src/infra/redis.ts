import Redis from "ioredis";
import type { Logger } from "./log";
import { type ProbeResult, probe } from "./probe";

export interface RedisOptions {
  url: string;
  connectTimeoutMs: number;
  /** A command not answered within this is failed (Redis too slow counts as Redis away). */
  commandTimeoutMs: number;
  maxRetries: number;
  name: string;
  /** Prepended to every key, so deployments (and test databases) sharing one Redis never mix. */
  keyPrefix: string;
}

/**
 * One command connection and one subscriber connection (a subscribed connection
 * cannot run commands). Both reconnect forever with capped backoff; commands fail
 * at once while disconnected instead of queueing, so callers can decide quickly.
 */
export class RedisConnections {
  readonly cmd: Redis;
  readonly sub: Redis;
  lastError: string | null = null;
  lastErrorAt: string | null = null;
  reconnectAttempts = 0;

  constructor(options: RedisOptions, log: Logger) {
    const base = {
      connectTimeout: options.connectTimeoutMs,
      maxRetriesPerRequest: options.maxRetries,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      lazyConnect: false,
      keyPrefix: options.keyPrefix,
    };
    this.cmd = new Redis(options.url, {
      ...base,
      connectionName: `${options.name}:cmd`,
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs,
    });
    this.sub = new Redis(options.url, { ...base, connectionName: `${options.name}:sub` });
    for (const [role, conn] of [
      ["cmd", this.cmd],
      ["sub", this.sub],
    ] as const) {
      conn.on("error", (error: Error) => {
        this.lastError = error.message;
        this.lastErrorAt = new Date().toISOString();
      });
      conn.on("reconnecting", () => {
        if (role === "cmd") this.reconnectAttempts++;
      });
      conn.on("ready", () => log.info({ role }, "redis connected"));
      conn.on("end", () => log.debug({ role }, "redis connection ended"));
    }
    this.cmd.on("close", () => {
      if (this.cmd.status !== "end") log.warn("redis connection lost; reconnecting");
    });
  }

  get isReady(): boolean {
    return this.cmd.status === "ready";
  }

  ping(timeoutMs: number): Promise<ProbeResult> {
    return probe(() => this.cmd.ping(), timeoutMs);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.cmd.quit(), this.sub.quit()]);
    this.cmd.disconnect();
    this.sub.disconnect();
  }
}

/** Deletes every key matching `pattern` (full names: a connection without key prefix), a page at a time. */
export async function deleteMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}
