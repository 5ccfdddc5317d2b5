import { afterAll, beforeAll, expect, test } from "bun:test";
import { type InProcess, inProcess } from "../../helpers/instance";

// Re-imports change only what the file says: a participants file without organization
// or phone columns leaves them as they are; a registrations file without a status
// column does not bring cancelled registrations back.

let inst: InProcess;
beforeAll(async () => {
  inst = await inProcess("reimport");
});
afterAll(async () => {
  await inst.stop();
});

async function upload(path: string, csv: string) {
  const form = new FormData();
  form.append("file", new File([csv], "import.csv", { type: "text/csv" }));
  const response = await inst.app.handle(
    new Request(`http://test.local${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${await inst.tokenFor("admin")}` },
      body: form,
    }),
  );
  expect(response.status).toBe(200);
  return response.json();
}

test("a re-import without organization and phone columns keeps them; a blank cell clears one", async () => {
  await upload(
    "/api/v1/participants/import",
    "name,email,organization,phone\nAda,ada@example.org,Engines Ltd,+44 1\n",
  );
  await upload("/api/v1/participants/import", "name,email\nAda Lovelace,ada@example.org\n");
  const kept = await inst.db.collection("participants").findOne({ email: "ada@example.org" });
  expect(kept).toMatchObject({ name: "Ada Lovelace", organization: "Engines Ltd", phone: "+44 1" });
  await upload("/api/v1/participants/import", "name,email,phone\nAda Lovelace,ada@example.org,\n");
  const cleared = await inst.db.collection("participants").findOne({ email: "ada@example.org" });
  expect(cleared).toMatchObject({ organization: "Engines Ltd", phone: "" });
});

test("a registrations re-import without a status column leaves a cancelled registration cancelled", async () => {
  const now = Date.now();
  const session = await inst.call("POST", "/api/v1/sessions", {
    name: "Reimport room",
    startTime: new Date(now).toISOString(),
    endTime: new Date(now + 3_600_000).toISOString(),
  });
  expect(session.status).toBe(201);
  await upload("/api/v1/participants/import", "name,email\nBob,bob@example.org\nCy,cy@example.org\n");
  await upload(
    "/api/v1/registrations/import",
    "email,session,status\nbob@example.org,Reimport room,cancelled\n",
  );
  await upload(
    "/api/v1/registrations/import",
    "email,session\nbob@example.org,Reimport room\ncy@example.org,Reimport room\n",
  );
  const regs = await inst.db.collection("registrations").find({}).toArray();
  const statusOf = async (email: string) => {
    const person = await inst.db.collection("participants").findOne({ email });
    return regs.find((r) => String(r.participantId) === String(person?._id))?.status;
  };
  expect(await statusOf("bob@example.org")).toBe("cancelled");
  expect(await statusOf("cy@example.org")).toBe("confirmed");
});
