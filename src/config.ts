import { isTimeZone } from "./time/zone";
// Configuration comes only from the environment; this module turns a plain
// record into a typed, validated Config, so it stays pure and testable.

export type LockMode = "strict" | "degraded";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface Config {
  nodeEnv: string;
  host: string;
  port: number;
  instanceId: string;
  version: string;
  mongodbUri: string;
  mongodbDbName: string;
  /** Empty when Sentinel names the primary (redisSentinel). */
  redisUrl: string;
  /** Set when REDIS_SENTINELS is: every connection follows the primary Sentinel names. */
  redisSentinel: RedisSentinelTarget | null;
  redisConnectTimeoutMs: number;
  redisCommandTimeoutMs: number;
  mongodbSocketTimeoutMs: number;
  mongodbConnectTimeoutMs: number;
  mongodbPoolSize: number;
  redisMaxRetries: number;
  ttl: { participantMs: number; sessionMs: number; statsMs: number; capacityMs: number };
  lock: { mode: LockMode; ttlMs: number; retries: number; retryDelayMs: number; recoveryGraceMs: number };
  /** A scan not decided within this is answered 503 in words (below Nginx's 10 s read limit). */
  scanDeadlineMs: number;
  throttle: { ttlMs: number; limit: number };
  corsOrigins: string[];
  /** Peers whose X-Real-IP / X-Forwarded-For are believed (where Nginx runs). */
  trustedProxies: string[];
  jwtSecret: string;
  lateThresholdMinutes: number;
  /** How long after a scan its scanner may undo it at the door. */
  undoWindowSeconds: number;
  /** The event's IANA time zone: every time shown and typed, every "day". */
  eventTimeZone: string;
  autoOpenMinutesBefore: number;
  autoEndGraceMinutes: number;
  sessionCheckIntervalMs: number;
  /** How often the scheduler's leader packs the badge directory for starts; 0: never. */
  directoryCopyIntervalMs: number;
  /** How often it packs the door's check-ins for starts without Redis (door/copies.ts); 0: never. */
  doorCopyIntervalMs: number;
  /** A door that was scanning and has been silent this long, in an open session, is flagged on dashboards. */
  quietDoorSeconds: number;
  logLevel: LogLevel;
  uploadMaxFileSize: number;
  shutdownTimeoutMs: number;
  health: { degradedMs: number; criticalMs: number };
  webhooks: { allowPrivate: boolean; retryBaseMs: number; giveUpMs: number; timeoutMs: number };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
  ) {
    super(`${variable}: ${expected}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const LOCK_MODES: readonly LockMode[] = ["strict", "degraded"];
/** Values people paste from examples and templates instead of a secret of their own. */
const PLACEHOLDER_SECRET = /change[_ -]?me|placeholder|your[_ -]?secret|example|replace[_ -]?(me|this)/i;

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

/** 0 (never), or from 2 s to an hour: a pass takes a few seconds at full load. */
function copyInterval(env: Env, name: string, fallback: number): number {
  const ms = int(env, name, fallback, 0, 3_600_000);
  if (ms !== 0 && ms < 2000) throw new ConfigError(name, `expected 0 or at least 2000, got "${ms}"`);
  return ms;
}

function flag(env: Env, name: string): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  throw new ConfigError(name, `expected true or false, got "${value}"`);
}

function timeZone(env: Env): string {
  const value = raw(env, "EVENT_TIMEZONE") ?? "UTC";
  if (!isTimeZone(value))
    throw new ConfigError(
      "EVENT_TIMEZONE",
      `expected an IANA time zone such as Africa/Tunis, got "${value}"`,
    );
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `expected one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}

function mongo(env: Env): { uri: string; dbName: string } {
  const uri = raw(env, "MONGODB_URI");
  if (uri === undefined) {
    throw new ConfigError("MONGODB_URI", "required: a mongodb:// or mongodb+srv:// connection string");
  }
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new ConfigError("MONGODB_URI", "expected a mongodb:// or mongodb+srv:// connection string");
  }
  if (parsed.protocol !== "mongodb:" && parsed.protocol !== "mongodb+srv:") {
    throw new ConfigError(
      "MONGODB_URI",
      `expected scheme mongodb:// or mongodb+srv://, got "${parsed.protocol}//"`,
    );
  }
  const dbName = raw(env, "MONGODB_DB") ?? (decodeURIComponent(parsed.pathname.slice(1)) || "checkin");
  return { uri, dbName };
}

export interface RedisSentinelTarget {
  sentinels: { host: string; port: number }[];
  /** The primary's name in Sentinel's configuration. */
  name: string;
  /** The data nodes' password (REDIS_PASSWORD). */
  password?: string;
  sentinelPassword?: string;
}

/** `host:port` or `[v6]:port`, comma-separated. */
function redisSentinel(env: Env): RedisSentinelTarget | null {
  const list = raw(env, "REDIS_SENTINELS");
  if (list === undefined) return null;
  const sentinels = list
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(item);
      const port = Number(match?.[3]);
      if (!match || port < 1 || port > 65535)
        throw new ConfigError("REDIS_SENTINELS", `expected comma-separated host:port pairs, got "${item}"`);
      return { host: (match[1] ?? match[2]) as string, port };
    });
  if (sentinels.length === 0) throw new ConfigError("REDIS_SENTINELS", "expected at least one host:port");
  const name = raw(env, "REDIS_SENTINEL_NAME") ?? "checkin";
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name))
    throw new ConfigError(
      "REDIS_SENTINEL_NAME",
      "expected 1-64 letters, digits, dots, dashes or underscores",
    );
  const password = raw(env, "REDIS_PASSWORD");
  const sentinelPassword = raw(env, "REDIS_SENTINEL_PASSWORD");
  return {
    sentinels,
    name,
    ...(password === undefined ? {} : { password }),
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
  };
}

function redisUrl(env: Env, sentinel: boolean): string {
  const url = raw(env, "REDIS_URL");
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError("REDIS_URL", "expected a redis:// or rediss:// URL");
    }
    if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
      throw new ConfigError("REDIS_URL", `expected scheme redis:// or rediss://, got "${parsed.protocol}//"`);
    }
    return url;
  }
  const host = raw(env, "REDIS_HOST");
  if (host === undefined) {
    if (sentinel) return "";
    throw new ConfigError(
      "REDIS_URL",
      "required (or REDIS_HOST with optional REDIS_PORT and REDIS_PASSWORD, or REDIS_SENTINELS)",
    );
  }
  const port = int(env, "REDIS_PORT", 6379, 1, 65535);
  const password = raw(env, "REDIS_PASSWORD");
  const auth = password === undefined ? "" : `:${encodeURIComponent(password)}@`;
  return `redis://${auth}${host}:${port}`;
}

function jwtSecret(env: Env, production: boolean): string {
  const secret = raw(env, "JWT_SECRET");
  if (secret === undefined) {
    if (production)
      throw new ConfigError("JWT_SECRET", "required in production: at least 32 random characters");
    // Development without one: a secret for this process alone (the local cluster shares one kept under .local/).
    return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) =>
      b.toString(16).padStart(2, "0"),
    ).join("");
  }
  if (new TextEncoder().encode(secret).length < 32)
    throw new ConfigError("JWT_SECRET", "too short: use at least 32 random bytes (openssl rand -hex 32)");
  if (production && PLACEHOLDER_SECRET.test(secret))
    throw new ConfigError(
      "JWT_SECRET",
      "is the placeholder from an example file: generate one with openssl rand -hex 32",
    );
  return secret;
}

function trustedProxies(env: Env): string[] {
  const value = raw(env, "TRUSTED_PROXIES");
  if (value === undefined) return ["127.0.0.1", "::1", "::ffff:127.0.0.1"];
  const list = value
    .split(",")
    .map((ip) => ip.trim())
    .filter(Boolean);
  const bad = list.find((ip) => !/^[0-9a-fA-F:.]+$/.test(ip));
  if (bad) throw new ConfigError("TRUSTED_PROXIES", `expected comma-separated IP addresses, got "${bad}"`);
  return list;
}

function corsOrigins(env: Env): string[] {
  const value = raw(env, "CORS_ORIGIN");
  if (value === undefined) return [];
  return value.split(",").map((origin) => {
    const trimmed = origin.trim();
    try {
      return new URL(trimmed).origin;
    } catch {
      throw new ConfigError(
        "CORS_ORIGIN",
        `expected comma-separated origins like https://app.example.org, got "${trimmed}"`,
      );
    }
  });
}

export function loadConfig(env: Env, version = "0.0.0"): Config {
  const nodeEnv = raw(env, "NODE_ENV") ?? "development";
  const port = int(env, "PORT", 3001, 1, 65535);
  const instanceId = raw(env, "INSTANCE_ID") ?? `instance-${port}`;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(instanceId)) {
    throw new ConfigError("INSTANCE_ID", "expected 1-64 letters, digits, dots, dashes or underscores");
  }
  const db = mongo(env);
  const sentinel = redisSentinel(env);
  if (sentinel && (raw(env, "REDIS_URL") !== undefined || raw(env, "REDIS_HOST") !== undefined))
    throw new ConfigError("REDIS_SENTINELS", "set either REDIS_SENTINELS or REDIS_URL/REDIS_HOST, not both");
  const degradedMs = int(env, "HEALTH_DEGRADED_MS", 200, 1, 60_000);
  const criticalMs = int(env, "HEALTH_CRITICAL_MS", 1000, 1, 60_000);
  if (criticalMs <= degradedMs) {
    throw new ConfigError("HEALTH_CRITICAL_MS", `must be above HEALTH_DEGRADED_MS (${degradedMs})`);
  }
  return {
    nodeEnv,
    host: raw(env, "HOST") ?? "127.0.0.1",
    port,
    instanceId,
    version,
    mongodbUri: db.uri,
    mongodbDbName: db.dbName,
    redisUrl: redisUrl(env, sentinel !== null),
    redisSentinel: sentinel,
    redisConnectTimeoutMs: int(env, "REDIS_CONNECT_TIMEOUT", 3000, 100, 60_000),
    redisCommandTimeoutMs: int(env, "REDIS_COMMAND_TIMEOUT", 3000, 100, 60_000),
    mongodbSocketTimeoutMs: int(env, "MONGODB_SOCKET_TIMEOUT", 20_000, 1000, 600_000),
    scanDeadlineMs: int(env, "SCAN_DEADLINE_MS", 8000, 500, 9500),
    mongodbConnectTimeoutMs: int(env, "MONGODB_CONNECT_TIMEOUT", 3000, 100, 60_000),
    mongodbPoolSize: int(env, "MONGODB_POOL_SIZE", 50, 1, 1000),
    redisMaxRetries: int(env, "REDIS_MAX_RETRIES", 10, 0, 1000),
    ttl: {
      participantMs: int(env, "REDIS_PARTICIPANT_TTL", 600_000, 1000, 86_400_000),
      sessionMs: int(env, "REDIS_SESSION_TTL", 60_000, 1000, 86_400_000),
      statsMs: int(env, "REDIS_STATS_TTL", 30_000, 1000, 86_400_000),
      capacityMs: int(env, "REDIS_CAPACITY_TTL", 5000, 1000, 86_400_000),
    },
    lock: {
      mode: oneOf(env, "DISTRIBUTED_LOCK_MODE", LOCK_MODES, "strict"),
      ttlMs: int(env, "REDIS_LOCK_TTL", 5000, 100, 600_000),
      retries: int(env, "REDIS_LOCK_RETRIES", 5, 0, 100),
      retryDelayMs: int(env, "REDIS_LOCK_RETRY_DELAY", 100, 1, 10_000),
      recoveryGraceMs: int(env, "REDIS_LOCK_RECOVERY_GRACE", 5000, 0, 600_000),
    },
    throttle: {
      ttlMs: int(env, "THROTTLE_TTL", 60_000, 1000, 86_400_000),
      limit: int(env, "THROTTLE_LIMIT", 200, 1, 1_000_000),
    },
    corsOrigins: corsOrigins(env),
    trustedProxies: trustedProxies(env),
    jwtSecret: jwtSecret(env, nodeEnv === "production"),
    lateThresholdMinutes: int(env, "CHECKIN_LATE_THRESHOLD_MINUTES", 10, 0, 1440),
    undoWindowSeconds: int(env, "UNDO_WINDOW_SECONDS", 60, 0, 3600),
    eventTimeZone: timeZone(env),
    autoOpenMinutesBefore: int(env, "AUTO_OPEN_MINUTES_BEFORE", 10, 0, 1440),
    autoEndGraceMinutes: int(env, "AUTO_END_GRACE_MINUTES", 0, 0, 1440),
    sessionCheckIntervalMs: int(env, "SESSION_CHECK_INTERVAL_MS", 30_000, 1000, 3_600_000),
    directoryCopyIntervalMs: copyInterval(env, "DIRECTORY_COPY_INTERVAL_MS", 10_000),
    doorCopyIntervalMs: copyInterval(env, "DOOR_COPY_INTERVAL_MS", 0),
    quietDoorSeconds: int(env, "QUIET_DOOR_SECONDS", 180, 1, 86_400),
    logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info"),
    uploadMaxFileSize: int(env, "UPLOAD_MAX_FILE_SIZE", 10_485_760, 1024, 1_073_741_824),
    shutdownTimeoutMs: int(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 100, 300_000),
    health: { degradedMs, criticalMs },
    webhooks: {
      allowPrivate: flag(env, "WEBHOOK_ALLOW_PRIVATE"),
      retryBaseMs: int(env, "WEBHOOK_RETRY_BASE_MS", 5000, 10, 3_600_000),
      giveUpMs: int(env, "WEBHOOK_GIVE_UP_HOURS", 24, 1, 720) * 3_600_000,
      timeoutMs: int(env, "WEBHOOK_TIMEOUT_MS", 10_000, 100, 120_000),
    },
  };
}

/** The connection string with any password replaced, for logs and health output. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable url>";
  }
}

/** The most one request may carry: the largest upload, with room for its form around it. */
export const requestBodyLimit = (config: Pick<Config, "uploadMaxFileSize">): number =>
  config.uploadMaxFileSize + 1_048_576;

/**
 * Where the server itself cuts a body off, with a bare 413: above the limit, so that a request
 * declaring a length over it is refused by the app in words, and a body sent without a length
 * is still bounded.
 */
export const serverBodyCap = (config: Pick<Config, "uploadMaxFileSize">): number =>
  4 * requestBodyLimit(config);
