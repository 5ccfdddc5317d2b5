import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ObjectId } from "mongodb";
import { Webhook } from "standardwebhooks";
import { instanceEnv } from "../../helpers/env";
import { participantDoc, registrationDoc, sessionDoc } from "../../helpers/fixtures";
import { type InProcess, inProcess, inProcessOn } from "../../helpers/instance";

// Webhooks against a real receiver on loopback (allowed by WEBHOOK_ALLOW_PRIVATE): entries,
// exits, re-entries and undos arrive once each, in the session's order, signed as Standard
// Webhooks says; a receiver that is down gets everything once back; an instance killed
// mid-delivery loses nothing.

interface Received {
  id: string;
  type: string;
  sequence: number;
  data: Record<string, unknown>;
  valid: boolean;
}

let received: Received[] = [];
let mode: "ok" | "down" | "slow" = "ok";
let secret = "";
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const body = await request.text();
    if (mode === "down") return new Response("down", { status: 503 });
    if (mode === "slow") await Bun.sleep(3000);
    let valid = false;
    try {
      new Webhook(secret).verify(body, Object.fromEntries(request.headers));
      valid = true;
    } catch {
      valid = false;
    }
    const parsed = JSON.parse(body) as { type: string; data: Record<string, unknown> };
    received.push({
      id: request.headers.get("webhook-id") ?? "",
      type: parsed.type,
      sequence: Number(parsed.data.sequence),
      data: parsed.data,
      valid,
    });
    return new Response(null, { status: 204 });
  },
});

const env = instanceEnv("webhooks", { WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_BASE_MS: "100" });
const session = sessionDoc({ name: "Hooked room" });
const people = [1, 2, 3, 4, 5].map((i) => participantDoc(7100 + i, { name: `Hooked ${i}` }));
let inst: InProcess;

beforeAll(async () => {
  inst = await inProcessOn(env, "test-webhooks-a");
  await inst.db.collection("sessions").insertOne(session);
  await inst.db.collection("participants").insertMany(people as never[]);
  await inst.db
    .collection("registrations")
    .insertMany(people.map((p) => registrationDoc(p._id, session._id)));
  await inst.features.directory.reload();
});
afterAll(async () => {
  await inst.stop();
  receiver.stop(true);
});

const scan = (who: number, extra: Record<string, unknown> = {}) =>
  inst.call(
    "POST",
    "/api/v1/scan",
    { sessionId: String(session._id), qrCode: people[who]?.qrCode, ...extra },
    { role: "scanner" },
  );

/** Waits until the receiver holds `count` distinct deliveries. */
async function receivedAtLeast(count: number, timeoutMs = 20_000) {
  for (let waited = 0; waited < timeoutMs; waited += 100) {
    if (new Set(received.map((r) => r.id)).size >= count) return;
    await Bun.sleep(100);
  }
  throw new Error(`only ${new Set(received.map((r) => r.id)).size} of ${count} deliveries arrived`);
}

const distinct = () => [...new Map(received.map((r) => [r.id, r])).values()];

describe("webhooks", () => {
  test("an endpoint's secret is shown once, in the Standard Webhooks form; the list never shows it", async () => {
    const made = await inst.call("POST", "/api/v1/webhooks", {
      url: `http://127.0.0.1:${receiver.port}/hook`,
      events: ["checkin.admitted", "checkin.reentered", "checkin.exited", "checkin.undone"],
    });
    expect(made.status).toBe(201);
    secret = made.body.data.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    const list = await inst.call("GET", "/api/v1/webhooks");
    expect(list.body.data).toHaveLength(1);
    expect(JSON.stringify(list.body.data)).not.toContain(secret);
    // Nor does the admin log keep it.
    let logged: unknown[] = [];
    for (let waited = 0; logged.length === 0 && waited < 3000; waited += 100) {
      logged = await inst.db.collection("admin_log").find({ path: "/api/v1/webhooks" }).toArray();
      if (logged.length === 0) await Bun.sleep(100);
    }
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(logged)).not.toContain("whsec_");
    // Not for scanners.
    expect((await inst.call("GET", "/api/v1/webhooks", undefined, { role: "scanner" })).status).toBe(403);
    // Bad input is refused in words, nothing stored.
    const bad = await inst.call("POST", "/api/v1/webhooks", {
      url: "ftp://example.org/x",
      events: ["checkin.admitted"],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("https://");
    expect(
      (await inst.call("POST", "/api/v1/webhooks", { url: "https://x.org", events: ["checkin"] })).status,
    ).toBe(400);
    expect((await inst.call("GET", "/api/v1/webhooks")).body.data).toHaveLength(1);
  });

  test("entries, an exit, a re-entry and an undo arrive once each, in order, signed", async () => {
    const first = await scan(0);
    expect(first.body.data.outcome).toBe("accept");
    expect((await scan(1)).body.data.outcome).toBe("accept");
    expect((await scan(0, { direction: "exit" })).status).toBe(200);
    expect((await scan(0)).body.data.reason).toBe("reentry");
    const third = await scan(2);
    expect(third.body.data.checkIn._id).toBeString();
    const undone = await inst.call("DELETE", `/api/v1/checkin/${third.body.data.checkIn._id}`);
    expect(undone.status).toBe(200);
    await receivedAtLeast(6);
    const got = distinct();
    expect(got.every((r) => r.valid)).toBe(true);
    expect(got.map((r) => r.type)).toEqual([
      "checkin.admitted",
      "checkin.admitted",
      "checkin.exited",
      "checkin.reentered",
      "checkin.admitted",
      "checkin.undone",
    ]);
    const sequences = got.map((r) => r.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(sequences).size).toBe(sequences.length);
    expect(got[0]?.data).toMatchObject({ sessionId: String(session._id), name: "Hooked 1" });
    // No contact data unless the endpoint was allowed it.
    expect(JSON.stringify(got)).not.toContain("@");
  });

  test("a receiver down for a while gets everything afterwards, in order", async () => {
    received = [];
    mode = "down";
    expect((await scan(3)).body.data.outcome).toBe("accept");
    expect((await scan(1, { direction: "exit" })).status).toBe(200);
    await Bun.sleep(1500);
    expect(received).toHaveLength(0);
    const state = await inst.call("GET", "/api/v1/webhooks");
    expect(state.body.data[0]).toMatchObject({ pending: 2, lastError: "HTTP 503" });
    mode = "ok";
    await receivedAtLeast(2);
    expect(distinct().map((r) => r.type)).toEqual(["checkin.admitted", "checkin.exited"]);
    expect(distinct().every((r) => r.valid)).toBe(true);
  });

  test("registrations, one call or a bulk list, each arrive as registration.changed", async () => {
    const hook = await inst.call("POST", "/api/v1/webhooks", {
      url: `http://127.0.0.1:${receiver.port}/registrations`,
      events: ["registration.changed"],
    });
    expect(hook.status).toBe(201);
    const previous = secret;
    secret = hook.body.data.secret;
    received = [];
    const other = sessionDoc({ name: "Hooked registrations" });
    await inst.db.collection("sessions").insertOne(other);
    const one = await inst.call("POST", "/api/v1/registrations", {
      participantId: String(people[0]?._id),
      sessionId: String(other._id),
      status: "confirmed",
    });
    expect(one.status).toBe(201);
    const csv = `email,session,status\n${people[1]?.email},${other._id},pending\n${people[2]?.email},${other._id},confirmed\n`;
    const form = new FormData();
    form.set("file", new File([csv], "registrations.csv", { type: "text/csv" }));
    const imported = await inst.app.handle(
      new Request("http://test.local/api/v1/registrations/import", {
        method: "POST",
        headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
        body: form,
      }),
    );
    expect(imported.status).toBe(200);
    await receivedAtLeast(3);
    const got = distinct().filter((r) => r.type === "registration.changed");
    expect(got.map((r) => r.data.status)).toEqual(["confirmed", "pending", "confirmed"]);
    expect(got.every((r) => r.valid && r.data.sessionId === String(other._id))).toBe(true);
    expect((await inst.call("DELETE", `/api/v1/webhooks/${hook.body.data._id}`)).status).toBe(200);
    secret = previous;
    received = [];
  });

  test("an instance killed mid-delivery loses nothing: the next one sends it", async () => {
    received = [];
    mode = "slow";
    expect((await scan(4)).body.data.outcome).toBe("accept");
    // The delivery is on its way (the receiver holds it for 3 s) when the instance dies.
    await Bun.sleep(800);
    await inst.stop({ keepDatabase: true, crash: true });
    mode = "ok";
    // The dead instance's delivery lock would lapse by itself; the test does not wait for it.
    inst = await inProcessOn(env, "test-webhooks-b");
    await inst.rt.redis.cmd.del("lock:webhooks");
    await receivedAtLeast(1);
    expect(distinct().map((r) => r.data.participantId)).toEqual([String(people[4]?._id)]);
    expect((await inst.call("GET", "/api/v1/webhooks")).body.data[0].pending).toBe(0);
  });

  test("a dead endpoint's backlog does not hold up the deliveries of the others", async () => {
    const dead = await inst.call("POST", "/api/v1/webhooks", {
      url: "http://127.0.0.1:9/dead",
      events: ["checkin.admitted"],
    });
    expect(dead.status).toBe(201);
    const deadId = new ObjectId(String(dead.body.data._id ?? dead.body.data.id));
    // Thousands waiting for it (an endpoint gone for hours on a busy day).
    const now = Date.now();
    await inst.db.collection("webhook_deliveries").insertMany(
      Array.from({ length: 2100 }, (_, i) => ({
        _id: new ObjectId(),
        endpointId: deadId,
        msgId: `msg_backlog_${i}`,
        type: "checkin.admitted",
        stream: "backlog",
        seq: 0,
        body: "{}",
        at: new Date(now),
        status: "pending",
        attempts: 1,
        nextAt: new Date(now + 3_600_000),
      })),
    );
    received = [];
    expect((await scan(2, { direction: "exit" })).status).toBe(200);
    expect((await scan(2)).body.data.outcome).toBe("accept");
    await receivedAtLeast(1);
    expect((await inst.call("DELETE", `/api/v1/webhooks/${deadId}`)).status).toBe(200);
  });
});

test("targets on loopback or private addresses are refused unless the operator allows them", async () => {
  const strict = await inProcess("webhooks-strict");
  try {
    for (const url of [
      "http://127.0.0.1:9/x",
      "http://10.1.2.3/x",
      "http://[::1]/x",
      "http://169.254.169.254/latest",
    ]) {
      const answer = await strict.call("POST", "/api/v1/webhooks", { url, events: ["checkin.admitted"] });
      expect(answer.status).toBe(400);
      expect(answer.body.message).toContain("WEBHOOK_ALLOW_PRIVATE");
    }
    expect((await strict.call("GET", "/api/v1/webhooks")).body.data).toHaveLength(0);
  } finally {
    await strict.stop();
  }
});
