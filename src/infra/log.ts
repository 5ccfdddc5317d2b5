import { createPinoLogger } from "@bogeychan/elysia-logger";
import type { LogLevel } from "../config";

// Any key that could carry a credential is censored wherever it appears in a line.
const REDACT = [
  "password",
  "*.password",
  "jwtSecret",
  "*.jwtSecret",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "*.headers.cookie",
  "mongodbUri",
  "redisUrl",
];

export function createLogger(level: LogLevel, instanceId: string) {
  return createPinoLogger({
    level,
    base: { instance: instanceId, pid: process.pid },
    redact: { paths: REDACT, censor: "[redacted]" },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
  });
}

export type Logger = ReturnType<typeof createLogger>;
