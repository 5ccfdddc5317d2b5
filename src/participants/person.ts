import type { Db, Filter } from "mongodb";
import { type ParticipantDoc, participantsOf } from "./repo";

/** What a door needs of a person; the rest stays in MongoDB (20,000 whole documents cost too much memory). */
export type Person = Pick<
  ParticipantDoc,
  "_id" | "name" | "email" | "organization" | "doorNote" | "qrCode" | "isActive" | "status" | "updatedAt"
>;
export const PERSON_FIELDS = {
  _id: 1,
  name: 1,
  email: 1,
  organization: 1,
  doorNote: 1,
  qrCode: 1,
  isActive: 1,
  status: 1,
  updatedAt: 1,
};
export const slim = (p: Person): Person => ({
  _id: p._id,
  name: p.name,
  email: p.email,
  ...(p.organization ? { organization: p.organization } : {}),
  ...(p.doorNote ? { doorNote: p.doorNote } : {}),
  qrCode: p.qrCode,
  isActive: p.isActive,
  status: p.status,
  updatedAt: p.updatedAt,
});

/** The person a filter names, as the door needs them (null: none). */
export const personOf = (db: Db, filter: Filter<ParticipantDoc>) =>
  participantsOf(db).findOne<Person>(filter, { projection: PERSON_FIELDS });

/** Everyone, as the door needs them, read in large batches. */
export const everyPerson = (db: Db) =>
  participantsOf(db).find<Person>({}, { projection: PERSON_FIELDS }).batchSize(5000);
