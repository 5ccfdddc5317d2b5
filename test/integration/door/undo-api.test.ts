import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Db } from "mongodb";
import { createToken } from "../../../src/auth/store";
import { participantDoc, registrationDoc, seededInProcess, sessionDoc } from "../../helpers/fixtures";
import type { Served as Instance } from "../../helpers/instance";

// The mobile scanner's undo (DELETE /api/v1/checkin/:id) follows the door's rule: a scanner
// takes back their own scan within the undo window, never someone else's; an admin any.

const session = sessionDoc({ name: "Undo room", capacity: 10 });
const people = [1, 2, 3].map((i) => participantDoc(4100 + i));
let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
let db: Db;

beforeAll(async () => {
  cluster = await seededInProcess("undo_api", 1, {
    sessions: [session],
    participants: people,
    registrations: people.map((p) => registrationDoc(p._id, session._id)),
  });
  [a] = cluster.instances as [Instance];
  db = cluster.db;
});
afterAll(() => cluster.stop());

const bearer = async (name: string, role: "scanner" | "admin") => ({
  authorization: `Bearer ${(await createToken(db, name, role)).token}`,
});

async function admit(headers: Record<string, string>, person: number): Promise<string> {
  const response = await fetch(`${a.url}/api/v1/checkin/qr`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ sessionId: String(session._id), qrCode: people[person]?.qrCode }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { data: { _id: string } }).data._id;
}

const remove = (headers: Record<string, string>, id: string) =>
  fetch(`${a.url}/api/v1/checkin/${id}`, { method: "DELETE", headers });

test("a scanner undoes their own scan, not another's; an admin undoes any", async () => {
  const [door1, door2, admin] = [
    await bearer("door one", "scanner"),
    await bearer("door two", "scanner"),
    await bearer("organiser", "admin"),
  ];
  const mine = await admit(door1, 0);
  expect((await remove(door1, mine)).status).toBe(200);
  expect(await db.collection("checkins").countDocuments({ sessionId: session._id })).toBe(0);
  const theirs = await admit(door2, 1);
  const refused = await remove(door1, theirs);
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as { message: string }).message).toContain("Only the person who scanned");
  expect((await remove(admin, theirs)).status).toBe(200);
  expect(await db.collection("checkins").countDocuments({ sessionId: session._id })).toBe(0);
});
