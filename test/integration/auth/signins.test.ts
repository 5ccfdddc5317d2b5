import { afterAll, expect, test } from "bun:test";
import { MongoClient } from "mongodb";
import { relayTo } from "../../../deploy/local/tcp-proxy";
import { createSignIns } from "../../../src/auth/signins";
import { AppError } from "../../../src/http/errors";
import type { Bus, LiveEvent } from "../../../src/live/bus";
import { freePort, stackEnv } from "../../helpers/env";

// Signed-out sign-ins are read at start. When MongoDB cannot answer then, an instance must
// not take a signed-out cookie for a live one: it says so (503) and reads again until it can.

const dbName = `test_signins_${Date.now().toString(36)}`;
const clients: MongoClient[] = [];
afterAll(async () => {
  await clients[0]?.db(dbName).dropDatabase();
  for (const client of clients) await client.close();
});

/** The bus as the sign-ins use it: what is published is heard. */
function localBus(): Bus {
  const listeners: ((event: LiveEvent) => void)[] = [];
  return {
    publish: async (event) => {
      for (const listener of listeners) listener(event);
    },
    listen: async (handler) => {
      listeners.push(handler);
    },
  };
}

test("before the signed-out list is read, a cookie's sign-in is neither live nor ended: a 503 in words", async () => {
  const direct = new MongoClient(stackEnv().MONGODB_URI);
  clients.push(direct);
  const signedOut = createSignIns(direct.db(dbName), localBus());
  await signedOut.end("signed-out-one", "user-1", Date.now() + 3600_000);

  const proxy = relayTo(stackEnv().MONGODB_URI, await freePort());
  proxy.stop();
  const late = new MongoClient(`mongodb://127.0.0.1:${proxy.port}/${dbName}`, {
    serverSelectionTimeoutMS: 500,
  });
  clients.push(late);
  const starting = createSignIns(late.db(dbName), localBus());
  void starting.load();
  let refused: unknown = null;
  try {
    starting.isEnded("signed-out-one");
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(AppError);
  expect((refused as AppError).status).toBe(503);
  // MongoDB answers again: the read is tried again by itself, and the sign-in is known as ended.
  proxy.start();
  let known: boolean | null = null;
  for (let i = 0; i < 100 && known === null; i++) {
    try {
      known = starting.isEnded("signed-out-one");
    } catch {
      await Bun.sleep(100);
    }
  }
  expect(known).toBe(true);
  expect(starting.isEnded("another-one")).toBe(false);
  proxy.stop();
}, 30_000);
