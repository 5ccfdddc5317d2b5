import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db, MongoClient } from "mongodb";
import { type Instance, spawnInstance, stopProcess } from "../../../deploy/local/cluster";
import { eventually, freePort, instanceEnv, TEST_LOGS } from "../../helpers/env";
import { openDb, participantDoc, postJson, sessionDoc, tokenHeaders } from "../../helpers/fixtures";

// Three instances share one scheduler leadership; sessions open and end exactly once,
// a manual close stays closed, the schedule survives the leader's death, and a
// settings change on one instance changes behaviour on another.

const env = instanceEnv("scheduler", { SESSION_CHECK_INTERVAL_MS: "1000" });
let instances: Instance[] = [];
let client: MongoClient;
let db: Db;
let auth: Record<string, string>;
const minutes = (m: number) => new Date(Date.now() + m * 60_000);
const due = Array.from({ length: 5 }, (_, i) =>
  sessionDoc({
    name: `Due ${i}`,
    status: "scheduled",
    isOpen: false,
    startTime: minutes(5),
    endTime: minutes(60),
  }),
);
const later = sessionDoc({
  name: "Later",
  status: "scheduled",
  isOpen: false,
  startTime: minutes(120),
  endTime: minutes(180),
});

beforeAll(async () => {
  ({ client, db } = await openDb(String(env.MONGODB_DB)));
  auth = await tokenHeaders(db);
  await db.collection("sessions").insertMany([...due, later]);
  instances = await Promise.all(
    [0, 1, 2].map(async () => spawnInstance({ port: await freePort(), logDir: TEST_LOGS, env })),
  );
});

afterAll(async () => {
  await Promise.all(instances.map((i) => stopProcess(i.proc)));
  await db.dropDatabase();
  await client.close();
});

const statusOf = async (id: unknown) =>
  (await db.collection("sessions").findOne({ _id: id as never }))?.status;

test("each due session opens exactly once across three instances; later ones wait", async () => {
  expect(
    await eventually(
      async () => (await db.collection("sessions").countDocuments({ status: "open" })) === 5,
      10_000,
    ),
  ).toBe(true);
  await Bun.sleep(2500);
  for (const session of due) {
    const events = await db.collection("session_events").find({ sessionId: session._id }).toArray();
    expect(events.map((e) => `${e.from}->${e.to}:${e.reason}`)).toEqual(["scheduled->open:auto_open"]);
  }
  expect(await statusOf(later._id)).toBe("scheduled");
});

test("a manual close inside the auto-open window stays closed", async () => {
  const target = due[0];
  const [a] = instances as [Instance];
  const response = await fetch(`${a.url}/api/v1/sessions/${target?._id}/toggle-open?isOpen=false`, {
    method: "PATCH",
    headers: auth,
  });
  expect(response.status).toBe(200);
  expect(await statusOf(target?._id)).toBe("scheduled");
  await Bun.sleep(3000);
  expect(await statusOf(target?._id)).toBe("scheduled");
  const events = await db.collection("session_events").find({ sessionId: target?._id }).toArray();
  expect(events.map((e) => e.reason)).toEqual(["auto_open", "manual"]);
});

test("killing the leader: another instance keeps the schedule", async () => {
  const leaderId = await waitLeader();
  const leader = instances.find((i) => i.id === leaderId);
  if (!leader) throw new Error(`leader ${leaderId} is not one of ours`);
  leader.proc.kill("SIGKILL");
  await leader.proc.exited;
  const fresh = sessionDoc({
    name: "After failover",
    status: "scheduled",
    isOpen: false,
    startTime: minutes(1),
    endTime: minutes(30),
  });
  await db.collection("sessions").insertOne(fresh);
  expect(await eventually(async () => (await statusOf(fresh._id)) === "open", 8000)).toBe(true);
  const event = await db.collection("session_events").findOne({ sessionId: fresh._id });
  expect(event?.instance).not.toBe(leaderId);
  instances = instances.filter((i) => i !== leader);
});

test("a session past its end plus grace ends, even if it never opened", async () => {
  const past = sessionDoc({
    name: "Past",
    status: "scheduled",
    isOpen: false,
    startTime: minutes(-90),
    endTime: minutes(-30),
  });
  await db.collection("sessions").insertOne(past);
  expect(await eventually(async () => (await statusOf(past._id)) === "ended", 8000)).toBe(true);
});

test("a settings change on one instance changes another's behaviour within a second", async () => {
  const [a, b] = instances as [Instance, Instance];
  const session = sessionDoc({ name: "Lateness", startTime: minutes(-20), endTime: minutes(40) });
  const [early, tardy] = [participantDoc(1), participantDoc(2)];
  await db.collection("sessions").insertOne(session);
  await db.collection("participants").insertMany([early, tardy]);
  const before = await postJson(
    `${b.url}/api/v1/scan`,
    {
      qrCode: early.qrCode,
      sessionId: String(session._id),
      acceptUnregistered: true,
    },
    auth,
  );
  expect(before.body.data.isLate).toBe(true);

  const put = await fetch(`${a.url}/api/v1/settings/timing`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify({ lateThresholdMinutes: 30 }),
  });
  const body = (await put.json()) as { lateThresholdMinutes: number; data: { lateThresholdMinutes: number } };
  expect(put.status).toBe(200);
  expect(body.lateThresholdMinutes).toBe(30);
  expect(body.data.lateThresholdMinutes).toBe(30);
  await Bun.sleep(1000);
  const after = await postJson(
    `${b.url}/api/v1/scan`,
    {
      qrCode: tardy.qrCode,
      sessionId: String(session._id),
      acceptUnregistered: true,
    },
    auth,
  );
  expect(after.body.data.outcome).toBe("accept");
  expect(after.body.data.isLate).toBe(false);
  const settings = await (await fetch(`${b.url}/api/v1/settings`, { headers: auth })).json();
  expect((settings as { timing: { lateThresholdMinutes: number } }).timing.lateThresholdMinutes).toBe(30);
  const bad = await fetch(`${a.url}/api/v1/settings/timing`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify({ lateThresholdMinutes: 5000 }),
  });
  expect(bad.status).toBe(400);
});

async function waitLeader(): Promise<string> {
  const { default: Redis } = await import("ioredis");
  const redis = new Redis(String(env.REDIS_URL), { keyPrefix: `checkin:${env.MONGODB_DB}:` });
  try {
    let leader: string | null = null;
    await eventually(async () => {
      leader = await redis.get("scheduler:leader");
      return leader !== null;
    }, 5000);
    if (!leader) throw new Error("no scheduler leader");
    return leader;
  } finally {
    redis.disconnect();
  }
}
