// Doors open: the morning rush. Arrivals ramp up and down over many sessions with a
// realistic mix (see lib/mix.js), several doors per session, and dashboards watching.

import { Trend } from "k6/metrics";
import { setTimeout } from "k6/timers";
import { WebSocket } from "k6/websockets";
import { createFixture, removeFixture } from "./lib/api.js";
import { num, WS_PARAMS, WS_URL } from "./lib/config.js";
import { doorEvent } from "./lib/mix.js";
import { summarize } from "./lib/summary.js";

const RATE = num("RATE", 100);
const DURATION = num("DURATION", 60);
const SESSIONS = num("SESSIONS", 10);
// People per session; repeats beyond them count as "already checked in". Setup and
// teardown go through the public API, so very large fixtures take minutes.
const PEOPLE = num("PEOPLE", 200);
const DASHBOARDS = num("DASHBOARDS", 20);
const wsDelay = new Trend("ws_delivery_delay", true);

export const options = {
  setupTimeout: "5m",
  teardownTimeout: "5m",
  scenarios: {
    doors: {
      executor: "ramping-arrival-rate",
      exec: "doors",
      startRate: Math.max(1, Math.round(RATE / 10)),
      timeUnit: "1s",
      preAllocatedVUs: Math.max(10, Math.round(RATE / 2)),
      maxVUs: Math.max(50, RATE * 2),
      stages: [
        { target: RATE, duration: `${Math.round(DURATION * 0.2)}s` },
        { target: RATE, duration: `${Math.round(DURATION * 0.6)}s` },
        { target: Math.max(1, Math.round(RATE / 10)), duration: `${Math.round(DURATION * 0.2)}s` },
      ],
    },
    dashboards: {
      executor: "per-vu-iterations",
      exec: "dashboard",
      vus: DASHBOARDS,
      iterations: 1,
      maxDuration: `${DURATION + 30}s`,
    },
  },
  thresholds: {
    "http_req_duration{name:scan}": ["p(95)<200", "p(99)<500"],
    "http_req_failed{name:scan}": ["rate<0.01"],
    "checks{check:scan answered 200}": ["rate>0.99"],
    ws_delivery_delay: ["p(95)<1000"],
  },
};

export function setup() {
  return createFixture({ sessions: SESSIONS, perSession: PEOPLE, capacity: 0, registered: 0.85 });
}

export function doors(fixture) {
  doorEvent(fixture);
}

export function dashboard(fixture) {
  const session = fixture.sessions[(__VU - 1) % fixture.sessions.length];
  const socket = new WebSocket(`${WS_URL}?topics=session:${session.id}`, null, WS_PARAMS);
  socket.onmessage = (event) => {
    const at = /data-changed-at="(\d+)"/.exec(String(event.data));
    if (at) wsDelay.add(Date.now() - Number(at[1]));
  };
  socket.onopen = () => setTimeout(() => socket.close(), DURATION * 1000);
}

export function teardown(fixture) {
  removeFixture(fixture);
}

export const handleSummary = summarize("doors-open");
