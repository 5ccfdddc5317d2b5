import Redis, { type RedisOptions as ClientOptions } from "ioredis";
import type { RedisSentinelTarget } from "../config";
import type { Logger } from "./log";
import { type ProbeResult, probe } from "./probe";
import { type Adoption, adoptPrimary } from "./redis-primary";

/** One Redis (a URL) or the primary Sentinel names. */
export type RedisTarget = { url: string } | { sentinel: RedisSentinelTarget };

export interface RedisOptions {
  target: RedisTarget;
  connectTimeoutMs: number;
  /** A command not answered within this is failed (Redis too slow counts as Redis away). */
  commandTimeoutMs: number;
  maxRetries: number;
  name: string;
  /** Prepended to every key, so deployments (and test databases) sharing one Redis never mix. */
  keyPrefix: string;
}

/** A new ioredis connection to the target: with Sentinel, it asks for the primary at each (re)connect. */
export function connectRedis(target: RedisTarget, options: ClientOptions): Redis {
  if ("url" in target) return new Redis(target.url, options);
  const { sentinels, name, password, sentinelPassword } = target.sentinel;
  return new Redis({
    ...options,
    sentinels,
    name,
    role: "master",
    ...(password === undefined ? {} : { password }),
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
    // Hears +switch-master from the Sentinels, so a primary demoted alive is left at once.
    failoverDetector: true,
    sentinelRetryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 4), 1000),
  });
}

/** A write refused by a demoted primary: reconnect, so Sentinel is asked where the primary is. */
const reconnectOnReadOnly = (error: Error) => error.message.startsWith("READONLY");

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
  /** The primary the command connection uses and has adopted; null while it is not confirmed. */
  primary: Adoption | null = null;
  /** Times this instance found a different primary than the one before (a failover or a restart). */
  primaryChanges = 0;
  readonly sentinel: boolean;
  private lastRunId: string | null = null;
  private readonly onChange: (() => void)[] = [];
  private confirmed: (() => void) | null = null;
  private readonly firstConfirmed = new Promise<void>((resolve) => {
    this.confirmed = resolve;
  });

  constructor(options: RedisOptions, log: Logger) {
    const base = {
      connectTimeout: options.connectTimeoutMs,
      maxRetriesPerRequest: options.maxRetries,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      lazyConnect: false,
      keyPrefix: options.keyPrefix,
      reconnectOnError: reconnectOnReadOnly,
    };
    this.sentinel = "sentinel" in options.target;
    this.cmd = connectRedis(options.target, {
      ...base,
      connectionName: `${options.name}:cmd`,
      enableOfflineQueue: false,
      // A command the lost connection never answered (a seat claim) fails; it is not sent again
      // to the next primary before that primary is adopted (infra/redis-primary.ts).
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeoutMs,
    });
    this.sub = connectRedis(options.target, { ...base, connectionName: `${options.name}:sub` });
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
      this.primary = null;
      // A confirmation still running belongs to the connection just lost.
      this.connection++;
      if (this.cmd.status !== "end") log.warn("redis connection lost; reconnecting");
    });
    this.cmd.on("ready", () => void this.confirm(options.keyPrefix, log, this.connection, 0));
  }

  /** Which connection of `cmd` this is (bumped on every close). */
  private connection = 0;

  /**
   * Adopts the primary just reached; until then the door's state there is not trusted. One
   * attempt at a time per connection, retried with a growing pause while it fails (an ACL that
   * refuses INFO, EVAL or KEYS would otherwise be asked five times a second for ever).
   */
  private async confirm(keyPrefix: string, log: Logger, connection: number, attempt: number): Promise<void> {
    if (connection !== this.connection) return;
    try {
      const before = this.lastRunId;
      const adoption = await adoptPrimary(this.cmd, keyPrefix, "redis-primary");
      if (this.cmd.status !== "ready" || connection !== this.connection) return;
      this.primary = adoption;
      this.lastRunId = adoption.runId;
      this.confirmed?.();
      const changed = before !== null && before !== adoption.runId;
      if (changed) this.primaryChanges++;
      log.info(
        { primary: adoption.address, adopted: adoption.adopted, dropped: adoption.dropped },
        "redis primary confirmed",
      );
      if (changed || adoption.dropped > 0) for (const listener of this.onChange) listener();
    } catch (error) {
      if (attempt % 10 === 0)
        log.warn({ err: String(error), attempt }, "redis primary not confirmed; retrying");
      const pause = Math.min(200 * 2 ** attempt, 5000);
      setTimeout(() => void this.confirm(keyPrefix, log, connection, attempt + 1), pause);
    }
  }

  /** Connected to a primary whose door state may be trusted. */
  get isReady(): boolean {
    return this.cmd.status === "ready" && this.primary !== null;
  }

  /** Resolves once a primary is confirmed, or after `timeoutMs` (Redis away: start without it). */
  whenConfirmed(timeoutMs: number): Promise<void> {
    return Promise.race([
      this.firstConfirmed,
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs)),
    ]);
  }

  /** Called after this instance reached a different primary (its door state was dropped and is rebuilt). */
  onPrimaryChange(listener: () => void): void {
    this.onChange.push(listener);
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
