import { afterAll, beforeAll, expect, test } from "bun:test";
import { type InProcess, inProcess } from "../helpers/instance";

// Bad input at the edge: a control character is refused with a 400 that names the
// field, and nothing is written (PostgreSQL under FerretDB cannot store NUL at all).

let inst: InProcess;
beforeAll(async () => {
  inst = await inProcess("input");
});
afterAll(async () => {
  await inst.stop();
});

test("a NUL in a participant's name answers 400 naming the field; nothing is stored", async () => {
  const answer = await inst.call("POST", "/api/v1/participants", {
    name: "Ada\u0000Lovelace",
    email: "ada@example.org",
  });
  expect(answer.status).toBe(400);
  expect(answer.body.errors).toEqual([expect.objectContaining({ field: "name" })]);
  expect(await inst.db.collection("participants").countDocuments({})).toBe(0);
  const fine = await inst.call("POST", "/api/v1/participants", {
    name: "Ada Lovelace",
    email: "ada@example.org",
  });
  expect(fine.status).toBe(201);
});

test("an escape sequence in a query is refused the same way", async () => {
  const answer = await inst.call("GET", "/api/v1/participants?search=%1B%5B31m");
  expect(answer.status).toBe(400);
  expect((answer.body.errors as { field: string }[])[0]?.field).toBe("search");
});
