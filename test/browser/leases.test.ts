import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db } from "mongodb";
import type { Browser, Page } from "playwright-core";
import { launchChromium, openReadyDoor, queueDrained } from "../helpers/browser";
import {
  createUser,
  participantDoc,
  registrationDoc,
  seededInProcess,
  sessionDoc,
} from "../helpers/fixtures";
import type { Served as Instance } from "../helpers/instance";

// Two door devices (two browser contexts) on a room of 4 with 8 people registered: each
// holds a lease of the free seats while online (half of them, shared: 1 each); both go offline and each scans 4 badges;
// after both sync, the server holds exactly the admissions the doors showed, never more
// than 4, and neither sync report has a conflict.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
let b: Instance;
let browser: Browser;
let db: Db;
let staff: { email: string; password: string };
const room = sessionDoc({ name: "Leased room", capacity: 4, capacityEnforced: true });
const people = Array.from({ length: 8 }, (_, i) => participantDoc(700 + i, { name: `Leased guest ${i}` }));

beforeAll(async () => {
  cluster = await seededInProcess("browser-leases", 2, {
    sessions: [room],
    participants: people,
    registrations: people.map((p) => registrationDoc(p._id, room._id)),
  });
  ({ db } = cluster);
  [a, b] = cluster.instances as [Instance, Instance];
  staff = await createUser(db, "scanner");
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await cluster.stop();
});

const openDoor = (on: Instance) => openReadyDoor(browser, on.url, staff, String(room._id));

const leaseLeft = (page: Page) => page.getAttribute("#door-status", "data-lease-left");

/** Scans a badge offline and reads the verdict the door showed. */
async function scanOffline(page: Page, code: string, name: string) {
  await page.fill("#code", code);
  await page.press("#code", "Enter");
  await page.waitForFunction(
    (who) => document.querySelector("#verdict .verdict")?.textContent?.includes(who),
    name,
  );
  return page.evaluate(() => {
    const el = document.querySelector<HTMLElement>("#verdict .verdict");
    return { outcome: el?.dataset.outcome, reason: el?.dataset.reason, queued: el?.dataset.queued };
  });
}

test("two offline doors on a room of 4: each admits only its lease, and the server holds exactly what they showed", async () => {
  const one = await openDoor(a);
  const two = await openDoor(b);
  // The second door's arrival makes the first renew: an equal share each, shown on both doors.
  for (const door of [one, two])
    await door.page.waitForFunction(
      () => document.querySelector("#door-status")?.getAttribute("data-lease-left") === "1",
      null,
      { timeout: 30_000 },
    );
  expect(await one.page.textContent("#door-status .lease")).toContain("offline, this door may admit 1 more");

  await one.context.setOffline(true);
  await two.context.setOffline(true);
  const shown: { door: number; person: number; outcome?: string; reason?: string; queued?: string }[] = [];
  for (let i = 0; i < 4; i++) {
    for (const [door, page] of [one.page, two.page].entries()) {
      const person = door * 4 + i;
      const p = people[person] as (typeof people)[number];
      shown.push({ door, person, ...(await scanOffline(page, p.qrCode, p.name)) });
    }
  }
  for (const door of [0, 1]) {
    const mine = shown.filter((s) => s.door === door);
    expect(mine.filter((s) => s.outcome === "accept" && s.queued === "true")).toHaveLength(1);
    const usedUp = mine.filter((s) => s.outcome === "refuse" && s.reason === "offline_share_used_up");
    expect(usedUp).toHaveLength(3);
  }
  expect(await leaseLeft(one.page)).toBe("0");
  expect(await one.page.textContent("#verdict")).toContain("This door's offline share is used up");

  await one.context.setOffline(false);
  await two.context.setOffline(false);
  await queueDrained(one.page);
  await queueDrained(two.page);
  const admitted = await db.collection("checkins").find({ sessionId: room._id }).toArray();
  const showedIn = shown.filter((s) => s.outcome === "accept").map((s) => String(people[s.person]?._id));
  expect(admitted.map((d) => String(d.participantId)).sort()).toEqual(showedIn.sort());
  expect(admitted.length).toBeLessThanOrEqual(4);
  for (const page of [one.page, two.page]) {
    expect(await page.textContent("#sync-report .synced")).toBe("4");
    expect(await page.textContent("#sync-report .conflicts")).toBe("0");
  }
  expect(await db.collection("scanlog").countDocuments({ sessionId: room._id, conflict: true })).toBe(0);
  await one.context.close();
  await two.context.close();
});
