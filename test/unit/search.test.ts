import { expect, test } from "bun:test";
import { ObjectId } from "mongodb";
import { type Person, searchPeople } from "../../src/participants/directory";

const person = (name: string, email: string, organization?: string) =>
  ({ _id: new ObjectId(), name, email, organization, qrCode: "x", isActive: true }) as unknown as Person;

const people = [
  person("Hélène Martin", "helene.martin@example.org", "ENIT"),
  person("Ali Ben", "ali@example.org"),
];

test("the door finds people by name or organisation, accents and case aside", () => {
  expect(searchPeople(people, "HELENE", 10).map((p) => p.name)).toEqual(["Hélène Martin"]);
  expect(searchPeople(people, "enit", 10).map((p) => p.name)).toEqual(["Hélène Martin"]);
});

test("an e-mail address finds its person only whole, so the door cannot spell addresses out", () => {
  expect(searchPeople(people, "helene.mar", 10)).toEqual([]);
  expect(searchPeople(people, "@example.org", 10)).toEqual([]);
  expect(searchPeople(people, "Ali@Example.org", 10).map((p) => p.name)).toEqual(["Ali Ben"]);
});
