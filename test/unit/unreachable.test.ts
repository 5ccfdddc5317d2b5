import { expect, test } from "bun:test";
import { isDatabaseUnreachable } from "../../src/infra/mongo";

test("the database being away is told apart from a refused request", () => {
  const err = (name: string, message: string) => Object.assign(new Error(message), { name });
  expect(
    isDatabaseUnreachable(err("MongoServerSelectionError", "connect ECONNREFUSED 127.0.0.1:17017")),
  ).toBe(true);
  expect(isDatabaseUnreachable(err("MongoNetworkError", "connection closed"))).toBe(true);
  // FerretDB's answers while its PostgreSQL is stopped, restarting or refusing connections.
  for (const text of [
    "[collection.go:109 postgresql.(*collection).Query] FATAL: terminating connection due to administrator command (SQLSTATE 57P01)",
    "failed to connect to `user=postgres database=ferretdb`: dial tcp 127.0.0.1:15432: connect: connection refused",
    "FATAL: the database system is starting up (SQLSTATE 57P03)",
  ])
    expect(isDatabaseUnreachable(err("MongoServerError", text))).toBe(true);
  expect(isDatabaseUnreachable(err("MongoServerError", "E11000 duplicate key error"))).toBe(false);
  expect(
    isDatabaseUnreachable(err("MongoServerError", 'duplicate key value violates unique constraint "x"')),
  ).toBe(false);
});

test("a grouped insert's failure is told apart the same way (the bulk error wraps the network one)", () => {
  const network = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:17017"), {
    name: "MongoNetworkError",
  });
  const bulk = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:17017"), {
    name: "MongoBulkWriteError",
    writeErrors: [],
  });
  expect(isDatabaseUnreachable(bulk)).toBe(true);
  const wrapped = Object.assign(new Error("bulk write failed"), {
    name: "MongoBulkWriteError",
    cause: network,
  });
  expect(isDatabaseUnreachable(wrapped)).toBe(true);
  const duplicate = Object.assign(new Error("E11000 duplicate key error"), {
    name: "MongoBulkWriteError",
    code: 11000,
  });
  expect(isDatabaseUnreachable(duplicate)).toBe(false);
});

test("a grouped insert cut off mid-write (the connection closed under it) is the database away, not a 500", () => {
  // As the driver throws it: the network error sits in errorResponse, the message names the connection.
  const closed = Object.assign(new Error("connection 17 to 127.0.0.1:36915 closed"), {
    name: "MongoBulkWriteError",
    writeErrors: [],
    errorResponse: Object.assign(new Error("connection 17 to 127.0.0.1:36915 closed"), {
      name: "MongoNetworkError",
    }),
  });
  expect(isDatabaseUnreachable(closed)).toBe(true);
  const onlyInside = Object.assign(new Error("bulk write failed"), {
    name: "MongoBulkWriteError",
    errorResponse: { name: "MongoNetworkError", message: "socket hang up" },
  });
  expect(isDatabaseUnreachable(onlyInside)).toBe(true);
});
