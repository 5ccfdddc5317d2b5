// The core under Deno: the same modules as the Bun server (decision logic, data access,
// HTTP handling through app.handle(Request)) against the real MongoDB and Redis. Prints
// one JSON line of what it saw; test/integration/ops/deno.test.ts runs it and checks.
import { assemble } from "../../src/assemble.ts";
import { createToken } from "../../src/auth/store.ts";
import { loadConfig } from "../../src/config.ts";
import { participantRecord, participantsOf } from "../../src/participants/repo.ts";
import { sessionRecord, sessionsOf } from "../../src/sessions/repo.ts";

declare const Deno: {
  env: { toObject(): Record<string, string> };
  version: { deno: string };
  exit(code: number): never;
};

const config = loadConfig(Deno.env.toObject(), "deno-smoke");
const { rt, app, scheduler, start } = assemble(config);
await start();
const db = rt.mongo.db;
const now = Date.now();
const session = sessionRecord({
  name: "Deno room",
  startTime: new Date(now - 60_000),
  endTime: new Date(now + 3_600_000),
  status: "open",
  capacity: 1,
});
const people = [
  participantRecord({ name: "Dee No", email: "dee@example.org" }),
  participantRecord({ name: "Second", email: "second@example.org" }),
];
await sessionsOf(db).insertOne(session);
await participantsOf(db).insertMany(people);
const { token } = await createToken(db, "deno smoke", "scanner");

const call = async (method: string, path: string, body?: unknown) => {
  const response = await app.handle(
    new Request(`http://deno.local${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const scan = (i: number) =>
  call("POST", "/api/v1/checkin/qr", { qrCode: people[i]?.qrCode, sessionId: String(session._id) });

const ready = await call("GET", "/api/v1/health/ready");
const first = await scan(0);
const again = await scan(0);
const full = await scan(1);
const anonymous = await app.handle(new Request("http://deno.local/api/v1/sessions"));
console.log(
  JSON.stringify({
    runtime: `deno ${Deno.version.deno}`,
    ready: ready.status,
    first: first.status,
    again: again.status,
    full: [full.status, (full.body.errors as { field: string }[] | undefined)?.[0]?.field],
    anonymous: anonymous.status,
  }),
);
await scheduler.stop();
await Promise.allSettled([rt.redis.close(), rt.mongo.close()]);
Deno.exit(0);
