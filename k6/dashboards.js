// Dashboards: thousands of WebSocket clients subscribed while scans happen; measures
// the delay from a change to each client's receipt (data-changed-at in the message).
import { check } from "k6";
import exec from "k6/execution";
import { Counter, Trend } from "k6/metrics";
import { setTimeout } from "k6/timers";
import { WebSocket } from "k6/websockets";
import { createFixture, removeFixture, scan } from "./lib/api.js";
import { num, WS_PARAMS, WS_URL } from "./lib/config.js";
import { summarize } from "./lib/summary.js";

const CLIENTS = num("CLIENTS", 1000);
const SESSIONS = num("SESSIONS", 10);
const SCAN_RATE = num("SCAN_RATE", 20);
const DURATION = num("DURATION", 30);
const delay = new Trend("ws_delivery_delay", true);
const messages = new Counter("ws_updates_received");

export const options = {
  setupTimeout: "5m",
  teardownTimeout: "5m",
  scenarios: {
    watchers: {
      executor: "per-vu-iterations",
      exec: "watch",
      vus: CLIENTS,
      iterations: 1,
      maxDuration: `${DURATION + 60}s`,
    },
    scans: {
      executor: "constant-arrival-rate",
      exec: "scanOne",
      rate: SCAN_RATE,
      timeUnit: "1s",
      duration: `${DURATION}s`,
      startTime: "10s",
      preAllocatedVUs: 20,
      maxVUs: 100,
    },
  },
  thresholds: {
    ws_delivery_delay: ["p(95)<250", "p(99)<1000"],
    ws_updates_received: ["count>0"],
    "http_req_failed{name:scan}": ["rate<0.01"],
  },
};

export function setup() {
  return createFixture({
    sessions: SESSIONS,
    perSession: Math.ceil((SCAN_RATE * DURATION) / SESSIONS) + 5,
    capacity: 0,
    registered: 1,
  });
}

export function watch(fixture) {
  const session = fixture.sessions[(__VU - 1) % fixture.sessions.length];
  const socket = new WebSocket(`${WS_URL}?topics=session:${session.id}`, null, WS_PARAMS);
  let snapshot = false;
  socket.onmessage = (event) => {
    const text = String(event.data);
    if (!snapshot) {
      snapshot = true;
      return;
    }
    messages.add(1);
    const at = /data-changed-at="(\d+)"/.exec(text);
    if (at) delay.add(Date.now() - Number(at[1]));
  };
  socket.onopen = () => setTimeout(() => socket.close(), (DURATION + 15) * 1000);
  socket.onclose = () => check(snapshot, { "snapshot received": (s) => s });
}

export function scanOne(fixture) {
  const i = exec.scenario.iterationInTest;
  const session = fixture.sessions[i % fixture.sessions.length];
  const person = session.people[Math.floor(i / fixture.sessions.length) % session.people.length];
  scan(person.qrCode, session.id, { nonce: `${fixture.tag}-${i}` });
}

export function teardown(fixture) {
  removeFixture(fixture);
}

export const handleSummary = summarize("dashboards");
