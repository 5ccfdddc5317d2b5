import { check, fail } from "k6";
import http from "k6/http";
import { Counter, Trend } from "k6/metrics";
import { API, JSON_HEADERS, RUN_ID } from "./config.js";

// Verdicts as the product decides them, one counter per kind.
export const verdicts = {
  accept: new Counter("verdict_accepted"),
  already: new Counter("verdict_already"),
  decide: new Counter("verdict_needs_decision"),
  refuse: new Counter("verdict_refused"),
};
export const scanDuration = new Trend("scan_duration", true);

export function post(path, body, params = {}) {
  return http.post(`${API}${path}`, JSON.stringify(body), { headers: JSON_HEADERS, ...params });
}

export function get(path, params = {}) {
  return http.get(`${API}${path}`, { headers: JSON_HEADERS, ...params });
}

function del(path) {
  return http.del(`${API}${path}`, null, { headers: JSON_HEADERS, tags: { phase: "teardown" } });
}

/** One scan through the one-call route; records the verdict. */
export function scan(qrCode, sessionId, extra = {}) {
  // The nonce as a header too: Nginx re-sends only scans that carry one when an instance dies.
  const headers = extra.nonce ? { ...JSON_HEADERS, "Idempotency-Key": extra.nonce } : JSON_HEADERS;
  const response = post("/scan", { qrCode, sessionId, ...extra }, { headers, tags: { name: "scan" } });
  scanDuration.add(response.timings.duration);
  const ok = check(response, { "scan answered 200": (r) => r.status === 200 });
  if (!ok) return null;
  const data = response.json("data");
  verdicts[data.outcome]?.add(1);
  return data;
}

function mustCreate(response, what) {
  if (response.status !== 201) fail(`creating ${what} failed: ${response.status} ${response.body}`);
  return response.json("data");
}

/**
 * Test data through the public API, every name tagged with the run id so teardown
 * removes exactly it. Sessions are open now; `registered` of each session's people
 * hold a confirmed registration.
 */
export function createFixture({ sessions = 1, perSession = 50, capacity = 0, registered = 1 }) {
  const now = Date.now();
  const out = { tag: RUN_ID, sessions: [] };
  for (let s = 0; s < sessions; s++) {
    const session = mustCreate(
      post(
        "/sessions",
        {
          name: `${RUN_ID} session ${s}`,
          startTime: new Date(now - 5 * 60_000).toISOString(),
          endTime: new Date(now + 3 * 3600_000).toISOString(),
          isOpen: true,
          capacity,
          location: "k6",
        },
        { tags: { phase: "setup" } },
      ),
      "session",
    );
    const people = [];
    for (let i = 0; i < perSession; i += 50) {
      const batch = [];
      for (let k = i; k < Math.min(perSession, i + 50); k++) {
        batch.push([
          "POST",
          `${API}/participants`,
          JSON.stringify({ name: `${RUN_ID} ${s}-${k}`, email: `${RUN_ID}-${s}-${k}@k6.example` }),
          { headers: JSON_HEADERS, tags: { phase: "setup" } },
        ]);
      }
      for (const response of http.batch(batch)) people.push(mustCreate(response, "participant"));
    }
    const regs = people
      .slice(0, Math.round(perSession * registered))
      .map((p) => [
        "POST",
        `${API}/registrations`,
        JSON.stringify({ participantId: p._id, sessionId: session._id, status: "confirmed" }),
        { headers: JSON_HEADERS, tags: { phase: "setup" } },
      ]);
    for (let i = 0; i < regs.length; i += 50)
      for (const r of http.batch(regs.slice(i, i + 50))) mustCreate(r, "registration");
    out.sessions.push({
      id: session._id,
      capacity,
      people: people.map((p, i) => ({ id: p._id, qrCode: p.qrCode, registered: i < regs.length })),
    });
  }
  return out;
}

/** Removes what createFixture made: sessions (with their check-ins and registrations), then participants. */
export function removeFixture(fixture) {
  for (const session of fixture.sessions) {
    del(`/sessions/${session.id}`);
    for (const p of session.people) del(`/participants/${p.id}`);
  }
}
