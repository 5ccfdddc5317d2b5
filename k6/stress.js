// Stress: step the arrival rate up until the promise breaks, to find the knee. The run
// aborts once p95 passes a second; the last stage reached is the answer.
import { num } from "./lib/config.js";
import { shapedRun } from "./lib/shape.js";
import { summarize } from "./lib/summary.js";

const STEP = num("STEP", 100);
const STEPS = num("STEPS", 8);
const stages = [];
for (let i = 1; i <= STEPS; i++)
  stages.push({ target: STEP * i, duration: "10s" }, { target: STEP * i, duration: "20s" });
const run = shapedRun(stages, {
  "http_req_duration{name:scan}": [{ threshold: "p(95)<1000", abortOnFail: true, delayAbortEval: "10s" }],
});
export const options = run.options;
export const setup = run.setup;
export const doors = run.doors;
export const teardown = run.teardown;
export const handleSummary = summarize("stress");
