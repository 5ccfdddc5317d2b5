import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db } from "mongodb";
import { createToken } from "../../../src/auth/store";
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

// Queued offline scans replayed at the server, where the door's own verdict and the record
// could part: a replay the door did not count on its lease must not spend the lease's seats,
// a scan from a session's opening margin stays valid after the session ends, and "already
// in" (the door let them walk in) is never recorded as turned away.

const people = Array.from({ length: 8 }, (_, i) => participantDoc(1900 + i));
const now = Date.now();
const leased = sessionDoc({ name: "Replay lease room", capacity: 4, capacityEnforced: true });
const ended = sessionDoc({
  name: "Replay ended room",
  startTime: new Date(now - 30 * 60_000),
  endTime: new Date(now - 5 * 60_000),
  status: "ended",
  autoOpenMinutesBefore: 10,
});
const occupancy = sessionDoc({
  name: "Replay occupancy room",
  capacity: 10,
  capacityEnforced: true,
  capacityMode: "occupancy",
});
const handed = sessionDoc({ name: "Replay handed room", capacity: 4, capacityEnforced: true });
const sessions = [leased, ended, occupancy, handed];
const seed: Seed = {
  sessions,
  participants: people,
  registrations: sessions.flatMap((s) => people.map((p) => registrationDoc(p._id, s._id))),
};

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
let db: Db;
let auth: Record<string, string>;
let admin: Record<string, string>;

beforeAll(async () => {
  cluster = await seededInProcess("offline_replay", 1, seed);
  [a] = cluster.instances as [Instance];
  db = cluster.db;
  auth = await tokenHeaders(db, "scanner");
  admin = await tokenHeaders(db, "admin");
});
afterAll(() => cluster.stop());

async function scan(session: SessionDoc, person: number, extra: Record<string, unknown> = {}) {
  const response = await fetch(`${a.url}/api/v1/scan`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ sessionId: String(session._id), qrCode: people[person]?.qrCode, ...extra }),
  });
  const body = (await response.json()) as { data?: { outcome?: string; reason?: string } };
  return { status: response.status, outcome: body.data?.outcome, reason: body.data?.reason };
}

const queued = (nonce: string, provisional: string, at: Date, lease = "replay-device") => ({
  lease,
  nonce,
  provisional,
  scannedAt: at.toISOString(),
});
const logOf = (nonce: string) => db.collection("scanlog").findOne({ nonce });

test("a replay its door did not count on the lease leaves the lease's seats to the admissions queued after it", async () => {
  const lease = await fetch(`${a.url}/scan/${leased._id}/snapshot?lease=replay-device`, { headers: auth });
  expect(((await lease.json()) as { lease?: { seats: number } }).lease?.seats).toBe(2);
  // The pool (the other 2 seats) fills online.
  expect((await scan(leased, 0)).reason).toBe("ok");
  expect((await scan(leased, 1)).reason).toBe("ok");
  const at = new Date(Date.now() - 60_000);
  // The device did not know this badge: it promised nothing and counted no seat for it.
  const unknown = await scan(leased, 2, queued("replay-unknown-1", "unknown", at));
  expect(unknown).toMatchObject({ outcome: "refuse", reason: "session_full" });
  // The two the door admitted against its lease are admitted: their seats were waiting.
  expect((await scan(leased, 3, queued("replay-ok-0001", "ok", at))).outcome).toBe("accept");
  expect((await scan(leased, 4, queued("replay-ok-0002", "ok", at))).outcome).toBe("accept");
  expect(await db.collection("checkins").countDocuments({ sessionId: leased._id })).toBe(4);
  expect((await logOf("replay-ok-0002"))?.conflict).toBeUndefined();
});

test("a scan from the opening margin of a session that has since ended is admitted when it syncs", async () => {
  const inMargin = await scan(ended, 5, queued("replay-margin-1", "ok", new Date(now - 35 * 60_000)));
  expect(inMargin).toMatchObject({ outcome: "accept", reason: "ok" });
  const during = await scan(ended, 6, queued("replay-during-1", "ok", new Date(now - 20 * 60_000)));
  expect(during.outcome).toBe("accept");
  // Before the margin the door hours had not begun: refused in words, nothing written.
  const early = await scan(ended, 7, queued("replay-early-1", "ok", new Date(now - 45 * 60_000)));
  expect(early.status).toBe(400);
  expect(await db.collection("checkins").countDocuments({ sessionId: ended._id })).toBe(2);
});

test("'already in' offline for someone who had left at another door is a re-entry, never turned away", async () => {
  expect((await scan(occupancy, 0)).reason).toBe("ok");
  expect((await scan(occupancy, 0, { direction: "exit" })).outcome).toBe("left");
  // The other door had not heard of the exit: it showed "already in" and they walked in.
  const back = await scan(occupancy, 0, queued("replay-already-1", "already_checked_in", new Date()));
  expect(back).toMatchObject({ outcome: "accept", reason: "reentry" });
  const doc = await db
    .collection("checkins")
    .findOne({ sessionId: occupancy._id, participantId: people[0]?._id });
  expect(doc?.checkedOutAt ?? null).toBeNull();
  expect((await logOf("replay-already-1"))?.conflict).toBeUndefined();
  // Still inside when the replay comes: the server agrees, nothing differs.
  expect((await scan(occupancy, 1)).reason).toBe("ok");
  const inside = await scan(occupancy, 1, queued("replay-already-2", "already_checked_in", new Date()));
  expect(inside.outcome).toBe("already");
  expect((await logOf("replay-already-2"))?.conflict).toBeUndefined();
});

test("entries handed to an admin carry the device's lease: replayed, they take the seats it held for them", async () => {
  const lease = await fetch(`${a.url}/scan/${handed._id}/snapshot?lease=handing-device`, { headers: auth });
  expect(((await lease.json()) as { lease?: { seats: number } }).lease?.seats).toBe(2);
  expect((await scan(handed, 0)).reason).toBe("ok");
  expect((await scan(handed, 1)).reason).toBe("ok");
  const token = await db.collection("api_tokens").findOne({ name: "test scanner" });
  const at = new Date(Date.now() - 60_000).toISOString();
  const post = await fetch(`${a.url}/scan/handover`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({
      queuedBy: { account: `token:${token?._id}`, name: "Shift A" },
      scans: [2, 3].map((i) => ({
        sessionId: String(handed._id),
        code: people[i]?.qrCode,
        direction: "entry",
        scannedAt: at,
        nonce: `replay-handed-${i}`,
        provisional: "ok",
        lease: "handing-device",
      })),
    }),
  });
  expect(post.status).toBe(201);
  const { id } = (await post.json()) as { id: string };
  const replay = await fetch(`${a.url}/admin/handovers/${id}/replay`, { method: "POST", headers: admin });
  expect(replay.status).toBe(200);
  const doc = await db
    .collection("handovers")
    .findOne({ nonce: { $exists: false }, "scans.nonce": "replay-handed-2" });
  expect(doc?.results?.map((r: { outcome: string }) => r.outcome)).toEqual(["ok", "ok"]);
  expect(await db.collection("checkins").countDocuments({ sessionId: handed._id })).toBe(4);
});

test("a hand-over holds only scans of sessions the sender may work, and a flood of them is refused in words", async () => {
  const { token, doc } = await createToken(db, "limited door", "scanner", [leased._id]);
  const limited = { authorization: `Bearer ${token}` };
  const handOver = (sessionId: unknown, nonce: string) =>
    fetch(`${a.url}/scan/handover`, {
      method: "POST",
      headers: { ...limited, "content-type": "application/json" },
      body: JSON.stringify({
        // Whatever account the device names, the sender's own limits decide.
        queuedBy: { account: `token:${doc._id}`, name: "Claimed" },
        scans: [
          {
            sessionId: String(sessionId),
            code: people[7]?.qrCode,
            direction: "entry",
            scannedAt: new Date().toISOString(),
            nonce,
            provisional: "ok",
          },
        ],
      }),
    });
  const elsewhere = await handOver(handed._id, "handover-elsewhere-1");
  expect(elsewhere.status).toBe(403);
  expect(await db.collection("handovers").countDocuments({ "scans.nonce": "handover-elsewhere-1" })).toBe(0);
  const statuses: number[] = [];
  for (let i = 0; i < 21; i++) statuses.push((await handOver(leased._id, `handover-flood-${i}`)).status);
  expect(statuses.slice(0, 20).every((s) => s === 201)).toBe(true);
  const flood = await handOver(leased._id, "handover-flood-last");
  expect(flood.status).toBe(429);
  expect(await flood.text()).toContain("already wait for an admin");
});
