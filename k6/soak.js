// Soak: a steady load for SOAK_MINUTES, watching error rate, latency drift and the
// instances' memory (process_resident_memory_bytes from each instance's /metrics: Nginx
// does not serve it, so METRICS_URLS lists the instances, default the local cluster's two).
import http from "k6/http";
import { Trend } from "k6/metrics";
import { num } from "./lib/config.js";
import { shapedRun } from "./lib/shape.js";
import { summarize } from "./lib/summary.js";

const RATE = num("RATE", 100);
const METRICS_URLS = (__ENV.METRICS_URLS ?? "http://127.0.0.1:3001,http://127.0.0.1:3002").split(",");
const MINUTES = num("SOAK_MINUTES", 10);
const rss = new Trend("server_rss_mb");
const run = shapedRun([{ target: RATE, duration: `${MINUTES}m` }], {
  "http_req_duration{name:scan}": ["p(95)<200", "p(99)<500"],
  server_rss_mb: ["max<300"],
});

run.options.scenarios.memory = {
  executor: "constant-arrival-rate",
  exec: "memory",
  rate: 2,
  timeUnit: "1m",
  duration: `${MINUTES}m`,
  preAllocatedVUs: 1,
};
export const options = run.options;
export const setup = run.setup;
export const doors = run.doors;
export const teardown = run.teardown;

export function memory() {
  for (const url of METRICS_URLS) {
    const text = http.get(`${url}/metrics`, { tags: { name: "metrics" } }).body;
    const match = /^process_resident_memory_bytes\{[^}]*\} (\d+)/m.exec(String(text));
    if (match) rss.add(Number(match[1]) / 1024 / 1024);
  }
}

export const handleSummary = summarize("soak");
