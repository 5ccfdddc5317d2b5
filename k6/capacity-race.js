// Capacity race: many doors on one small session, every badge scanned at two doors.
// The run fails (thresholds and teardown) if accepted differs from capacity or anyone
// is checked in twice.
import { check, fail } from "k6";
import exec from "k6/execution";
import { createFixture, get, removeFixture, scan } from "./lib/api.js";
import { num } from "./lib/config.js";
import { summarize } from "./lib/summary.js";

const CAPACITY = num("CAPACITY", 20);
const BADGES = num("BADGES", CAPACITY * 4);
const DOORS = num("DOORS", 10);
// Only for checking that a broken promise fails the run: expect a different count.
const EXPECTED = num("EXPECT_ACCEPTED", CAPACITY);

export const options = {
  scenarios: {
    doors: { executor: "shared-iterations", vus: DOORS, iterations: BADGES * 2, maxDuration: "2m" },
  },
  thresholds: {
    verdict_accepted: [`count<=${EXPECTED}`, `count>=${EXPECTED}`],
    "checks{check:scan answered 200}": ["rate==1"],
    "http_req_duration{name:scan}": ["p(95)<500"],
  },
};

export function setup() {
  return createFixture({ sessions: 1, perSession: BADGES, capacity: CAPACITY, registered: 1 });
}

export default function (fixture) {
  const session = fixture.sessions[0];
  // Iterations 2k and 2k+1 scan the same badge: two doors, nearly at once.
  const badge = session.people[Math.floor(exec.scenario.iterationInTest / 2) % BADGES];
  scan(badge.qrCode, session.id, { device: `door-${__VU}` });
}

export function teardown(fixture) {
  const session = fixture.sessions[0];
  const checkins = get(`/sessions/${session.id}/checkins`).json("data");
  const people = new Set(checkins.map((c) => c.participantId?._id ?? c.participantId));
  const okCount = check(checkins, { "accepted equals capacity": (c) => c.length === CAPACITY });
  const okOnce = check(people, { "nobody checked in twice": (p) => p.size === checkins.length });
  removeFixture(fixture);
  if (!okCount || !okOnce)
    fail(`capacity broken: ${checkins.length} check-ins for capacity ${CAPACITY}, ${people.size} people`);
}

export const handleSummary = summarize("capacity-race");
