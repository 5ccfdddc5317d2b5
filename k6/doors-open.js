// Doors open: the morning rush. Arrivals ramp up and down over many sessions with a
// realistic mix (see lib/mix.js), several doors per session, and dashboards watching.

import { Trend } from "k6/metrics";
import { setTimeout } from "k6/timers";
import { WebSocket } from "k6/websockets";
import { num, WS_PARAMS, WS_URL } from "./lib/config.js";
import { shapedRun } from "./lib/shape.js";
import { summarize } from "./lib/summary.js";

const RATE = num("RATE", 100);
const DURATION = num("DURATION", 60);
const DASHBOARDS = num("DASHBOARDS", 20);
const wsDelay = new Trend("ws_delivery_delay", true);

const quiet = Math.max(1, Math.round(RATE / 10));
const run = shapedRun(
  [
    { target: RATE, duration: `${Math.round(DURATION * 0.2)}s` },
    { target: RATE, duration: `${Math.round(DURATION * 0.6)}s` },
    { target: quiet, duration: `${Math.round(DURATION * 0.2)}s` },
  ],
  {
    "http_req_duration{name:scan}": ["p(95)<200", "p(99)<500"],
    "checks{check:scan answered 200}": ["rate>0.99"],
    ws_delivery_delay: ["p(95)<1000"],
  },
  { startRate: quiet, people: 200 },
);
run.options.scenarios.dashboards = {
  executor: "per-vu-iterations",
  exec: "dashboard",
  vus: DASHBOARDS,
  iterations: 1,
  maxDuration: `${DURATION + 30}s`,
};
export const options = run.options;
export const setup = run.setup;
export const doors = run.doors;
export const teardown = run.teardown;

export function dashboard(fixture) {
  const session = fixture.sessions[(__VU - 1) % fixture.sessions.length];
  const socket = new WebSocket(`${WS_URL}?topics=session:${session.id}`, null, WS_PARAMS);
  socket.onmessage = (event) => {
    const at = /data-changed-at="(\d+)"/.exec(String(event.data));
    if (at) wsDelay.add(Date.now() - Number(at[1]));
  };
  socket.onopen = () => setTimeout(() => socket.close(), DURATION * 1000);
}

export const handleSummary = summarize("doors-open");
