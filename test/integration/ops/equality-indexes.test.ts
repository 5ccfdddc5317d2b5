import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Db, MongoClient, ObjectId } from "mongodb";
import { ensureIndexes } from "../../../src/infra/mongo";
import { REGISTRATION_INDEXES } from "../../../src/registrations/repo";
import { stackEnv, testDbName } from "../../helpers/env";

// The product's lookups (a registration by _id, by session and person) must be answered from
// an index, not by reading the whole collection: on MongoDB they always are; on the local
// stack's FerretDB only because the stack gives PostgreSQL indexes its queries can use
// (deploy/local/sql/ferretdb-equality-indexes.sql). Without them a status change at 100,000
// registrations took a second.

let client: MongoClient;
let db: Db;
beforeAll(async () => {
  client = await MongoClient.connect(stackEnv().MONGODB_URI);
  db = client.db(testDbName("equality"));
  await ensureIndexes(db, REGISTRATION_INDEXES);
});
afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

/** Whether the server's plan for this filter reads an index rather than the whole collection. */
async function usesIndex(filter: Record<string, unknown>): Promise<{ indexed: boolean; plan: string }> {
  const explained = await db.command({
    explain: { find: "registrations", filter },
    verbosity: "queryPlanner",
  });
  const plan = JSON.stringify(explained.queryPlanner ?? explained);
  const indexed = explained.serverInfo?.ferretdbVersion
    ? /Index Scan/.test(plan) && !/Seq Scan/.test(plan)
    : /IXSCAN|IDHACK|EXPRESS_IXSCAN|CLUSTERED_IXSCAN/.test(plan);
  return { indexed, plan };
}

test("lookups by _id, by session, and by person and session are answered from an index", async () => {
  const sessions = Array.from({ length: 4 }, () => new ObjectId());
  const docs = Array.from({ length: 4000 }, (_, i) => ({
    _id: new ObjectId(),
    participantId: new ObjectId(),
    sessionId: sessions[i % 4],
    status: "confirmed",
  }));
  await db.collection("registrations").insertMany(docs);
  await db.command({ analyze: "registrations" }).catch(() => undefined);
  const one = docs[1234] as (typeof docs)[number];
  for (const filter of [
    { _id: one._id },
    { participantId: one.participantId, sessionId: one.sessionId },
    { sessionId: one.sessionId },
  ]) {
    const { indexed, plan } = await usesIndex(filter);
    expect({ filter: Object.keys(filter), indexed, plan: indexed ? "" : plan }).toEqual({
      filter: Object.keys(filter),
      indexed: true,
      plan: "",
    });
  }
  // And they find the right documents.
  expect(await db.collection("registrations").findOne({ _id: one._id })).toMatchObject({
    sessionId: one.sessionId,
  });
  expect(await db.collection("registrations").countDocuments({ sessionId: one.sessionId })).toBe(1000);
});
