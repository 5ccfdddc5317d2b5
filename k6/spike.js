// Spike: a quiet door, then everyone at once, then quiet again. Errors must stay rare
// and latency must come back down.
import { num } from "./lib/config.js";
import { shapedRun } from "./lib/shape.js";
import { summarize } from "./lib/summary.js";

const BASE = num("RATE", 20);
const PEAK = num("PEAK", 400);
const run = shapedRun(
  [
    { target: BASE, duration: "20s" },
    { target: PEAK, duration: "10s" },
    { target: PEAK, duration: "30s" },
    { target: BASE, duration: "10s" },
    { target: BASE, duration: "20s" },
  ],
  { "http_req_duration{name:scan}": ["p(95)<1000"] },
);
export const options = run.options;
export const setup = run.setup;
export const doors = run.doors;
export const teardown = run.teardown;
export const handleSummary = summarize("spike");
