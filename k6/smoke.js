// Smoke: every page and API route once, health, one WebSocket subscription. Seconds.
import { check } from "k6";
import http from "k6/http";
import { setTimeout } from "k6/timers";
import { WebSocket } from "k6/websockets";
import { createFixture, get, post, removeFixture, scan } from "./lib/api.js";
import { BASE_URL, JSON_HEADERS, WS_PARAMS, WS_URL } from "./lib/config.js";
import { summarize } from "./lib/summary.js";

export const options = {
  vus: 1,
  iterations: 1,
  thresholds: {
    checks: ["rate==1"],
    "http_req_failed{phase:run}": ["rate==0"],
  },
};

export function setup() {
  return createFixture({ sessions: 1, perSession: 3, capacity: 10, registered: 2 / 3 });
}

export default function (fixture) {
  const session = fixture.sessions[0];
  const [registered, , walkIn] = session.people;
  const tags = { tags: { phase: "run" } };
  const ok200 = (r) => r.status === 200;

  for (const path of ["/health/live", "/health/ready", "/health"]) {
    check(get(path, tags), { [`GET ${path} 200`]: ok200 });
  }
  // Through Nginx metrics are not public (Prometheus scrapes the instances directly).
  const metrics = http.get(`${BASE_URL}/metrics`, { ...tags, responseCallback: http.expectedStatuses(404) });
  check(metrics, { "GET /metrics not public (404)": (r) => r.status === 404 });
  for (const page of ["/scan", `/scan/${session.id}`, "/live", `/live/${session.id}`, "/settings"]) {
    check(http.get(`${BASE_URL}${page}`, { headers: JSON_HEADERS, ...tags }), {
      [`page ${page} 200`]: ok200,
    });
  }
  for (const path of [
    "/sessions",
    "/sessions/stats",
    "/sessions/upcoming",
    `/sessions/${session.id}`,
    `/sessions/${session.id}/participants`,
    `/sessions/${session.id}/checkins`,
    "/participants?limit=5",
    "/participants/stats",
    `/participants/${registered.id}`,
    `/participants/qr/${registered.qrCode}`,
    "/registrations?limit=5",
    "/registrations/stats/overview",
    "/checkin?limit=5",
    "/checkin/stats",
    "/checkin/recent?limit=5",
    "/checkin/attempts?limit=5",
    "/checkin/attempts/stats",
    `/checkin/verify/${registered.id}/${session.id}`,
    "/settings",
    "/settings/timing",
  ]) {
    check(get(path, tags), { [`GET ${path} 200`]: ok200 });
  }
  const verify = post("/checkin/verify-qr", { qrCode: registered.qrCode, sessionId: session.id }, tags);
  check(verify, {
    "verify-qr says REGISTERED": (r) =>
      r.status === 200 && r.json("data.verification.badge") === "REGISTERED",
  });

  // One dashboard socket; the scan below must reach it.
  const seen = { snapshot: false, update: false };
  const socket = new WebSocket(`${WS_URL}?topics=session:${session.id}`, null, WS_PARAMS);
  socket.onmessage = (event) => {
    const text = String(event.data);
    if (text.includes(`live-${session.id}`)) {
      const count = Number(/<strong>(\d+) \/ 10<\/strong>/.exec(text)?.[1] ?? 0);
      if (seen.snapshot && count >= 1) seen.update = true;
      seen.snapshot = true;
    }
  };
  socket.onopen = () => {
    const data = scan(registered.qrCode, session.id, { nonce: `${fixture.tag}-smoke-1` });
    check(data, { "registered badge accepted": (d) => d?.outcome === "accept" });
    const again = scan(registered.qrCode, session.id, { nonce: `${fixture.tag}-smoke-1` });
    check(again, { "retry replays the answer": (d) => d?.replayed === true && d.outcome === "accept" });
    const walk = scan(walkIn.qrCode, session.id);
    check(walk, { "walk-in needs a decision": (d) => d?.outcome === "decide" });
    const accepted = post(
      "/checkin/accept",
      { participantId: walkIn.id, sessionId: session.id, acceptedBy: "k6" },
      tags,
    );
    check(accepted, { "accept anyway 201": (r) => r.status === 201 });
    setTimeout(() => socket.close(), 1500);
  };
  socket.onclose = () => {
    check(seen, {
      "dashboard got a snapshot": (s) => s.snapshot,
      "dashboard got the update": (s) => s.update,
    });
  };
  const headers = JSON_HEADERS;
  check(
    http.post(
      `${BASE_URL}/api/v1/checkin/decline`,
      JSON.stringify({ participantId: session.people[1].id, sessionId: session.id, reason: "k6" }),
      { headers, tags: { phase: "run" } },
    ),
    {
      "decline 200": ok200,
    },
  );
}

export function teardown(fixture) {
  removeFixture(fixture);
}

export const handleSummary = summarize("smoke");
