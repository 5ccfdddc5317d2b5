import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import { checkinsOf } from "../checkin/repo";
import { KEYS } from "../infra/keys";
import { eachRoster, ofSessions, refreshRoster } from "../registrations/rosters";
import { sessionsOf } from "../sessions/repo";
import { entryOf, FIELD, registrationFields, seatRule } from "./codec";
import type { Scripts } from "./state-scripts";

// Building the door state (door.ts) from MongoDB: one session as it stands, or the whole
// conference at start-up from the sessions' packed registrations, one session in memory at a time.

/** Build scripts sent before the first of them is awaited (Redis runs them in order). */
const BUILDS_IN_FLIGHT = 8;

export function createDoorBuilder(redis: Redis, db: Db, scripts: Scripts) {
  const door = (s: ObjectId) => KEYS.door(s);
  const seats = (s: ObjectId) => KEYS.seats(s);

  /** One session as MongoDB holds it: its registrations and check-ins as hash fields. */
  async function snapshot(sessionId: ObjectId): Promise<string[]> {
    const [regs, ins] = await Promise.all([
      refreshRoster(db, sessionId),
      checkinsOf(db).find({ sessionId }).toArray(),
    ]);
    return [...registrationFields(regs), ...ins.flatMap((c) => [FIELD.entry(c.participantId), entryOf(c)])];
  }

  async function seatRules(sessionIds: ObjectId[]): Promise<Map<string, string>> {
    const docs = await sessionsOf(db)
      .find(
        { _id: { $in: sessionIds } },
        { projection: { capacity: 1, capacityEnforced: 1, capacityMode: 1 } },
      )
      .toArray();
    return new Map(docs.map((s) => [String(s._id), seatRule(s)]));
  }

  /** Builds the hashes of these sessions that are not built yet: a few queries in all. */
  async function warm(sessionIds: ObjectId[], everything = false): Promise<void> {
    if (sessionIds.length === 0) return;
    const states = (await redis
      .pipeline(sessionIds.map((id) => ["hmget", door(id), "v", "ready"]))
      .exec()) as [Error | null, [string | null, string | null]][];
    const cold = sessionIds.filter((_, i) => !states[i]?.[1]?.[1]);
    if (cold.length === 0) return;
    const versions = new Map(cold.map((id) => [String(id), states[sessionIds.indexOf(id)]?.[1]?.[0] ?? ""]));
    const byId = new Map(cold.map((id) => [String(id), id]));
    const filter = ofSessions(cold, everything && cold.length === sessionIds.length);
    const rules = await seatRules(cold);
    // Each session's script runs while the next session is read: a few at a time in flight.
    const inFlight: Promise<unknown>[] = [];
    const build = async (key: string, fields: string[]) => {
      const id = byId.get(key) as ObjectId;
      const sent = scripts.buildDoor(
        door(id),
        seats(id),
        KEYS.leases(id),
        versions.get(key) ?? "",
        rules.get(key) ?? "0",
        ...fields,
      );
      // Handled when awaited below; marked now so a failure waiting its turn is not "unhandled".
      sent.catch(() => undefined);
      inFlight.push(sent);
      if (inFlight.length >= BUILDS_IN_FLIGHT) await inFlight.shift();
    };

    // Check-ins are few when instances start; registrations are many, so each session is
    // built from its packed copy (registrations/rosters.ts) as soon as it is read.
    const checkIns = new Map<string, string[]>();
    for await (const c of checkinsOf(db).find(filter).batchSize(5000)) {
      const key = String(c.sessionId);
      if (!byId.has(key)) continue;
      const list = checkIns.get(key) ?? [];
      list.push(FIELD.entry(c.participantId), entryOf(c));
      checkIns.set(key, list);
    }
    await eachRoster(
      db,
      cold,
      (sessionId, ids) =>
        build(String(sessionId), [...registrationFields(ids), ...(checkIns.get(String(sessionId)) ?? [])]),
      everything && cold.length === sessionIds.length,
    );
    await Promise.all(inFlight);
  }

  return { snapshot, seatRules, warm };
}
