import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Db, MongoClient } from "mongodb";
import { type Cluster, DENO_COMMAND, startCluster } from "../../../deploy/local/cluster";
import { freePort, instanceEnv, TEST_LOGS } from "../../helpers/env";
import { participantDoc, seededRoom, sessionDoc } from "../../helpers/fixtures";

// One of two instances is killed (-9) while doors scan through Nginx: Nginx sends the
// scans caught on the dead instance to the other one (they are idempotent by nonce), so
// no door sees a failure; every admission acknowledged is in MongoDB, nobody twice.
// Twice: two Bun instances, then a mixed pair whose Deno instance is the one killed.

const PEOPLE = 400;
const DOORS = 8;

function killDrill(label: string, commandFor?: (index: number) => string[] | undefined) {
  const env = instanceEnv(`kill${label}`);
  const session = sessionDoc({ name: "Kill room", capacity: 1000 });
  const people = Array.from({ length: PEOPLE }, (_, i) => participantDoc(i));
  let cluster: Cluster;
  let client: MongoClient;
  let db: Db;
  let auth: Record<string, string>;

  beforeAll(async () => {
    ({ client, db, auth } = await seededRoom(env, session, people));
    cluster = await startCluster({
      ports: [await freePort(), await freePort()],
      nginxPort: await freePort(),
      dir: join(TEST_LOGS, `kill-cluster${label}`),
      env,
      ...(commandFor ? { commandFor } : {}),
    });
  });

  afterAll(async () => {
    await cluster.stop();
    await db.dropDatabase();
    await client.close();
  });

  return async () => {
    const answers: { status: number; outcome?: string; checkInId?: string }[] = [];
    let next = 0;
    const door = async (n: number) => {
      while (next < PEOPLE) {
        const person = people[next++];
        if (!person) return;
        const response = await fetch(`${cluster.url}/api/v1/scan`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": `kill-${person._id}`, ...auth },
          body: JSON.stringify({
            qrCode: person.qrCode,
            sessionId: String(session._id),
            nonce: `kill-${person._id}`,
            device: `door-${n}`,
          }),
        });
        const body = (await response.json().catch(() => ({}))) as {
          data?: { outcome?: string; checkIn?: { _id: string } };
        };
        answers.push({
          status: response.status,
          outcome: body.data?.outcome,
          checkInId: body.data?.checkIn?._id,
        });
        await Bun.sleep(5);
      }
    };
    // The instance to kill: the Deno one when there is one (its version says so), else the first.
    const versions = await Promise.all(
      cluster.instances.map((i) =>
        fetch(`${i.url}/api/v1/health`)
          .then((r) => r.json() as Promise<{ version: string }>)
          .then((h) => h.version),
      ),
    );
    const victim =
      cluster.instances[
        Math.max(
          0,
          versions.findIndex((v) => v.endsWith("+deno")),
        )
      ];
    if (!victim) throw new Error("no instance");
    if (commandFor) expect(versions.filter((v) => v.endsWith("+deno"))).toHaveLength(1);
    const killer = (async () => {
      while (answers.length < PEOPLE / 4) await Bun.sleep(5);
      victim.proc.kill("SIGKILL");
      await victim.proc.exited;
    })();
    await Promise.all([killer, ...Array.from({ length: DOORS }, (_, n) => door(n))]);

    expect(answers.length).toBe(PEOPLE);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const accepted = answers.filter((a) => a.outcome === "accept");
    expect(accepted.length).toBe(PEOPLE);
    const docs = await db.collection("checkins").find({ sessionId: session._id }).toArray();
    const stored = new Set(docs.map((d) => String(d._id)));
    for (const a of accepted) expect(stored.has(String(a.checkInId))).toBe(true);
    expect(new Set(docs.map((d) => String(d.participantId))).size).toBe(docs.length);
    expect(docs.length).toBe(PEOPLE);
  };
}

describe("two Bun instances", () => {
  test(
    "kill -9 of one instance mid-burst: zero failed scans, nothing acknowledged lost, nobody twice",
    killDrill(""),
    120_000,
  );
});

describe("a Bun and a Deno instance", () => {
  test(
    "kill -9 of the Deno instance mid-burst: zero failed scans, nothing acknowledged lost, nobody twice",
    killDrill("deno", (index) => (index === 0 ? DENO_COMMAND : undefined)),
    120_000,
  );
});
