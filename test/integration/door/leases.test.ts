import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import type { Db } from "mongodb";
import { LEASE_MS } from "../../../src/door/leases";
import type { SessionDoc } from "../../../src/sessions/repo";
import {
  participantDoc,
  registrationDoc,
  type Seed,
  seededInProcess,
  sessionDoc,
  tokenHeaders,
} from "../../helpers/fixtures";
import type { Served as Instance } from "../../helpers/instance";

// Seat leases (src/door/leases.ts) across two instances on one Redis and one database:
// leases never add up to more than the free seats, pool scans never take a leased seat,
// what a door admitted offline against its lease is admitted when it syncs, a door whose
// pool is empty takes from its own lease, and a lease that is never renewed lapses.

const people = Array.from({ length: 12 }, (_, i) => participantDoc(900 + i));
const room = sessionDoc({ name: "Lease room", capacity: 4, capacityEnforced: true });
const occupancy = sessionDoc({
  name: "Lease occupancy room",
  capacity: 2,
  capacityEnforced: true,
  capacityMode: "occupancy",
});
const open = sessionDoc({ name: "Lease open room", capacity: 0, capacityEnforced: false });
const seed: Seed = {
  sessions: [room, occupancy, open],
  participants: people,
  registrations: [room, occupancy, open].flatMap((s) => people.map((p) => registrationDoc(p._id, s._id))),
};

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
let b: Instance;
let db: Db;
let auth: Record<string, string>;

beforeAll(async () => {
  cluster = await seededInProcess("leases", 2, seed);
  [a, b] = cluster.instances as [Instance, Instance];
  db = cluster.db;
  auth = await tokenHeaders(db, "scanner");
});
afterAll(() => cluster.stop());

async function snapshot(on: Instance, session: SessionDoc, lease?: string) {
  const query = lease ? `?lease=${lease}` : "";
  const response = await fetch(`${on.url}/scan/${session._id}/snapshot${query}`, { headers: auth });
  expect(response.status).toBe(200);
  return (await response.json()) as { lease?: { seats: number; held: number; holders: number } };
}

async function scan(on: Instance, session: SessionDoc, person: number, extra: Record<string, unknown> = {}) {
  const response = await fetch(`${on.url}/api/v1/scan`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ sessionId: String(session._id), qrCode: people[person]?.qrCode, ...extra }),
  });
  const body = (await response.json()) as { data?: { outcome?: string; reason?: string } };
  return { status: response.status, outcome: body.data?.outcome, reason: body.data?.reason };
}

const offline = (lease: string, nonce: string, secondsAgo = 60) => ({
  lease,
  nonce,
  scannedAt: new Date(Date.now() - secondsAgo * 1000).toISOString(),
  provisional: "ok",
});
const admitted = (session: SessionDoc) =>
  db.collection("checkins").countDocuments({ sessionId: session._id });

test("leases from two instances never hold more than the free seats, and pool scans leave them alone", async () => {
  const [one, two] = ["lease-device-one", "lease-device-two"];
  // Leases take at most half the free seats, in equal shares. Device one alone: 2 of 4.
  expect((await snapshot(a, room, one)).lease).toMatchObject({ seats: 2, held: 2, holders: 1 });
  // Device two: nothing yet (device one holds the whole half); each renewal then settles on 1 each.
  expect((await snapshot(b, room, two)).lease).toMatchObject({ seats: 0, held: 2, holders: 2 });
  expect((await snapshot(b, room, one)).lease).toMatchObject({ seats: 1, held: 1, holders: 2 });
  expect((await snapshot(a, room, two)).lease).toMatchObject({ seats: 1, held: 2, holders: 2 });

  // The session's dashboard shows the seats held back for doors offline.
  const live = await fetch(`${b.url}/live/${room._id}`, { headers: auth });
  expect(live.status).toBe(200);
  const page = await live.text();
  expect(page).toContain("Held for 2 offline doors");
  expect(page).toContain('data-held="2"');
  // Scans from neither door take the pool's 2 seats, then find the rest leased.
  expect((await scan(a, room, 0)).outcome).toBe("accept");
  expect((await scan(b, room, 1)).outcome).toBe("accept");
  expect((await scan(a, room, 7)).reason).toBe("session_full");
  // Both doors went offline and admitted against their leases: admitted on sync, on either instance.
  const replays = await Promise.all([
    scan(b, room, 2, offline(one, "lease-replay-1")),
    scan(a, room, 3, offline(two, "lease-replay-2")),
  ]);
  expect(replays.map((r) => r.outcome)).toEqual(["accept", "accept"]);
  expect(await admitted(room)).toBe(4);
  // A door past its lease (a device that did not follow the rule) finds no seat: refused and flagged.
  const over = await scan(b, room, 6, offline(two, "lease-replay-5"));
  expect(over.reason).toBe("session_full");
  expect(await admitted(room)).toBe(4);
  const flagged = await db.collection("scanlog").findOne({ nonce: "lease-replay-5" });
  expect(flagged?.conflict).toBe(true);
});

test("a door whose pool is empty takes its own lease online; whom a door turned away offline stays out", async () => {
  const session = sessionDoc({ name: "Lease own room", capacity: 2, capacityEnforced: true });
  await db.collection("sessions").insertOne(session);
  await db.collection("registrations").insertMany(people.map((p) => registrationDoc(p._id, session._id)));
  expect((await snapshot(a, session, "lease-own-door")).lease?.seats).toBe(1);
  // Online: the pool's seat first, then (the pool empty) its own lease's, then none.
  // Through the door page: the verdict tells the device what its lease has left once it used it.
  const pageScan = (on: Instance, person: number) =>
    fetch(`${on.url}/scan/${session._id}`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ code: people[person]?.qrCode ?? "", lease: "lease-own-door" }),
    }).then((r) => r.text());
  const fromPool = await pageScan(b, 0);
  expect(fromPool).toContain('data-outcome="accept"');
  expect(fromPool).not.toContain("data-lease-left");
  const fromLease = await pageScan(a, 1);
  expect(fromLease).toContain('data-outcome="accept"');
  expect(fromLease).toContain('data-lease-left="0"');
  expect((await scan(a, session, 2, { lease: "lease-own-door" })).reason).toBe("session_full");
  // Someone the door refused offline is not admitted when it syncs, even where there is room.
  for (const provisional of ["offline_share_used_up", "not_registered", "session_full"]) {
    const turned = await scan(b, open, 3, {
      ...offline("lease-own-door", `lease-turned-${provisional}`),
      provisional,
    });
    expect(turned).toMatchObject({ outcome: "refuse", reason: "turned_away_offline" });
  }
  expect(await admitted(open)).toBe(0);
  const logged = await db.collection("scanlog").findOne({ nonce: "lease-turned-session_full" });
  expect(logged).toMatchObject({ offline: true, reason: "turned_away_offline" });
  expect(logged?.conflict).toBeUndefined();
});

test("an occupancy room's lease covers re-entries; a room without enforced capacity grants none", async () => {
  expect((await snapshot(a, open, "lease-open-door")).lease).toBeUndefined();
  expect((await snapshot(a, occupancy, "lease-occ-door")).lease?.seats).toBe(1);
  expect((await scan(a, occupancy, 0, offline("lease-occ-door", "lease-occ-1", 180))).outcome).toBe("accept");
  const exit = await fetch(`${b.url}/api/v1/scan`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({
      sessionId: String(occupancy._id),
      qrCode: people[0]?.qrCode,
      direction: "exit",
      scannedAt: new Date(Date.now() - 120_000).toISOString(),
    }),
  });
  expect(exit.status).toBe(200);
  // Back online, the door renews its lease (the room is empty again: half of 2).
  expect((await snapshot(a, occupancy, "lease-occ-door")).lease?.seats).toBe(1);
  // The pool's seat goes to a scan from another door; then the room is full for it.
  expect((await scan(b, occupancy, 1)).outcome).toBe("accept");
  expect((await scan(b, occupancy, 2)).reason).toBe("session_full");
  // Back in, queued offline: against the lease.
  const back = await scan(b, occupancy, 0, {
    ...offline("lease-occ-door", "lease-occ-2"),
    provisional: "reentry",
  });
  expect(back).toMatchObject({ outcome: "accept", reason: "reentry" });
  expect(
    await db.collection("checkins").countDocuments({ sessionId: occupancy._id, checkedOutAt: null }),
  ).toBe(2);
});

test("a lease never renewed lapses after its bound and its seats go back to the pool", async () => {
  const session = sessionDoc({ name: "Lease lapse room", capacity: 2, capacityEnforced: true });
  await db.collection("sessions").insertOne(session);
  await db.collection("registrations").insertMany(people.map((p) => registrationDoc(p._id, session._id)));
  expect((await snapshot(a, session, "lease-gone-door")).lease?.seats).toBe(1);
  expect((await scan(b, session, 0)).outcome).toBe("accept");
  expect((await scan(b, session, 1)).reason).toBe("session_full");
  // The device never comes back: the lease's lapse time is brought to now (as LEASE_MS later would).
  const client = new Redis(String(cluster.env.REDIS_URL), {
    keyPrefix: `checkin:${cluster.env.MONGODB_DB}:`,
  });
  const key = `door:${session._id}:leases`;
  const lapses = Number(await client.hget(key, "lease-gone-door@t"));
  expect(lapses - Date.now()).toBeGreaterThan(LEASE_MS - 60_000);
  await client.hset(key, "lease-gone-door@t", Date.now() - 1);
  await client.quit();
  // The room looked full; asked again, the lapsed lease is swept and its seats are the pool's.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  expect((await scan(a, session, 1)).outcome).toBe("accept");
  expect((await snapshot(b, session)).lease).toBeUndefined();
});

test("ten devices asking at once on two instances: the leases add up to at most the free seats", async () => {
  const session = sessionDoc({ name: "Lease rush room", capacity: 7, capacityEnforced: true });
  await db.collection("sessions").insertOne(session);
  const devices = Array.from({ length: 10 }, (_, i) => `lease-rush-${i}`);
  for (let round = 0; round < 3; round++) {
    const leases = await Promise.all(devices.map((id, i) => snapshot(i % 2 ? a : b, session, id)));
    const seats = leases.map((s) => s.lease?.seats ?? 0);
    expect(seats.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(7);
    expect(Math.max(...leases.map((s) => s.lease?.held ?? 0))).toBeLessThanOrEqual(7);
  }
  // After the rush every device is counted: half of 7 seats shared by 10 doors is 0 each.
  const settled = await snapshot(a, session, "lease-rush-0");
  expect(settled.lease).toMatchObject({ seats: 0, holders: 10 });
});

test("lease ids asked for and never renewed hold at most half the free seats: the pool keeps the rest", async () => {
  const session = sessionDoc({ name: "Lease grab room", capacity: 40, capacityEnforced: true });
  await db.collection("sessions").insertOne(session);
  await db.collection("registrations").insertMany(people.map((p) => registrationDoc(p._id, session._id)));
  const grabbed: number[] = [];
  for (let i = 0; i < 8; i++) grabbed.push((await snapshot(a, session, `lease-grab-${i}`)).lease?.seats ?? 0);
  expect(grabbed.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(20);
  // The other half is the pool's: the twelve people registered all get in online.
  const online = await Promise.all(people.map((_, i) => scan(i % 2 ? a : b, session, i)));
  expect(online.filter((r) => r.outcome === "accept")).toHaveLength(12);
});

test("a door leaving the session gives its lease back at once", async () => {
  const session = sessionDoc({ name: "Lease leave room", capacity: 2, capacityEnforced: true });
  await db.collection("sessions").insertOne(session);
  await db.collection("registrations").insertMany(people.map((p) => registrationDoc(p._id, session._id)));
  expect((await snapshot(a, session, "lease-leaving-door")).lease?.seats).toBe(1);
  expect((await scan(b, session, 0)).outcome).toBe("accept");
  expect((await scan(b, session, 1)).reason).toBe("session_full");
  const back = await fetch(`${b.url}/scan/${session._id}/lease?lease=lease-leaving-door`, {
    method: "DELETE",
    headers: auth,
  });
  expect(back.status).toBe(200);
  expect(await back.json()).toEqual({ seats: 1 });
  expect((await scan(a, session, 1)).outcome).toBe("accept");
  // A made-up lease id is refused in words; nothing changes.
  const bad = await fetch(`${b.url}/scan/${session._id}/lease?lease=x`, { method: "DELETE", headers: auth });
  expect(bad.status).toBe(400);
});

test("a snapshot link followed from another site holds no seats back", async () => {
  const session = sessionDoc({ name: "Lease cross-site room", capacity: 10, capacityEnforced: true });
  await db.collection("sessions").insertOne(session);
  const response = await fetch(`${a.url}/scan/${session._id}/snapshot?lease=lease-cross-site`, {
    headers: { ...auth, "sec-fetch-site": "cross-site" },
  });
  expect(response.status).toBe(200);
  expect(((await response.json()) as { lease?: unknown }).lease).toBeUndefined();
  expect((await snapshot(a, session, "lease-same-site")).lease).toMatchObject({ seats: 5, held: 5 });
});
