import { afterAll, beforeAll, expect, test } from "bun:test";
import { seedDemo } from "../../../src/demo/seed";
import { simulateDoors } from "../../../src/demo/simulate";
import { seededInProcess } from "../../helpers/fixtures";
import type { Served as Instance } from "../../helpers/instance";

// What a newcomer sees after `npm start`: a demo with a morning of history, and doors
// that keep scanning when SIMULATE_DOORS asks for them.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let instance: Instance;
beforeAll(async () => {
  cluster = await seededInProcess("demo", 1);
  [instance] = cluster.instances as [Instance];
});
afterAll(() => cluster.stop());

test("the demo has history, and simulated doors keep scans arriving through the API", async () => {
  const summary = await seedDemo(cluster.db, new Date(), { participants: 300 });
  expect(summary.created).toBe(true);
  expect(await cluster.db.collection("checkins").countDocuments({})).toBeGreaterThan(20);
  expect(await cluster.db.collection("scanlog").countDocuments({ action: "decline" })).toBeGreaterThan(0);
  const stop = new AbortController();
  const running = simulateDoors(cluster.db, instance.url, 20, stop.signal);
  await Bun.sleep(2000);
  stop.abort();
  await running;
  const simulated = await cluster.db.collection("scanlog").countDocuments({ device: /^Simulated door/ });
  expect(simulated).toBeGreaterThan(5);
});
