import { createPinoLogger } from "@bogeychan/elysia-logger";
import type { DestinationStream } from "pino";
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

/**
 * Log lines go to stdout; when they cannot be written (the disk holding the journal or the
 * log file is full, a closed pipe) they are dropped: an instance never stops serving doors
 * because its logs cannot be stored.
 */
function stdoutThatNeverThrows(): DestinationStream {
  process.stdout.on("error", () => undefined);
  return {
    write(line: string) {
      try {
        process.stdout.write(line);
      } catch {
        // Dropped, as above.
      }
    },
  };
}

export function createLogger(level: LogLevel, instanceId: string) {
  return createPinoLogger({
    stream: stdoutThatNeverThrows(),
    level,
    base: { instance: instanceId, pid: process.pid },
    redact: { paths: REDACT, censor: "[redacted]" },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
  });
}

export type Logger = ReturnType<typeof createLogger>;
