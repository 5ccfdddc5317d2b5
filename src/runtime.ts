import type { Config } from "./config";
import type { Logger } from "./infra/log";
import type { Metrics } from "./infra/metrics";
import type { Mongo } from "./infra/mongo";
import type { RedisConnections } from "./infra/redis";

/** Everything a request handler may need, built once per process at start-up. */
export interface Runtime {
  config: Config;
  log: Logger;
  metrics: Metrics;
  mongo: Mongo;
  redis: RedisConnections;
  state: { draining: boolean; startedAt: number; warm: boolean };
}
