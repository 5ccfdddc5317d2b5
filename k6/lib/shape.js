import { createFixture, removeFixture } from "./api.js";
import { num } from "./config.js";
import { doorEvent } from "./mix.js";

// Doors-open, soak, spike and stress share the door mix and the fixture; only the
// arrival shape, the thresholds and the people per session differ.
export function shapedRun(stages, thresholds, { startRate = stages[0]?.target ?? 1, people = 300 } = {}) {
  const peak = Math.max(...stages.map((s) => s.target));
  return {
    options: {
      setupTimeout: "5m",
      teardownTimeout: "5m",
      scenarios: {
        doors: {
          executor: "ramping-arrival-rate",
          exec: "doors",
          startRate,
          timeUnit: "1s",
          preAllocatedVUs: Math.max(10, Math.round(peak / 2)),
          maxVUs: Math.max(50, peak * 3),
          stages,
        },
      },
      thresholds: {
        "http_req_failed{name:scan}": ["rate<0.01"],
        ...thresholds,
      },
    },
    setup: () =>
      createFixture({
        sessions: num("SESSIONS", 10),
        perSession: num("PEOPLE", people),
        capacity: 0,
        registered: 0.85,
      }),
    doors: (fixture) => doorEvent(fixture),
    teardown: (fixture) => removeFixture(fixture),
  };
}
