import type Redis from "ioredis";
import type { Db, ObjectId } from "mongodb";
import { KEYS } from "../infra/keys";
import { registrationsOf } from "../registrations/repo";
import { sessionsOf } from "../sessions/repo";
import { entryOf, type Scripts, seatRule } from "./door";
import { checkinsOf } from "./repo";

// Building the door state (door.ts) from MongoDB: one session as it stands, or the whole
// conference at start-up in two queries, one session in memory at a time.

/** Build scripts sent before the first of them is awaited (Redis runs them in order). */
const BUILDS_IN_FLIGHT = 8;

export function createDoorBuilder(redis: Redis, db: Db, scripts: Scripts) {
  const door = (s: ObjectId) => KEYS.door(s);
  const seats = (s: ObjectId) => KEYS.seats(s);

  /** One session as MongoDB holds it: its registrations and check-ins as hash fields. */
  async function snapshot(sessionId: ObjectId): Promise<string[]> {
    const [regs, ins] = await Promise.all([
      registrationsOf(db)
        .find({ sessionId }, { projection: { participantId: 1, status: 1, _id: 0 } })
        .toArray(),
      checkinsOf(db).find({ sessionId }).toArray(),
    ]);
    return [
      ...regs.flatMap((r) => [`r:${r.participantId}`, r.status]),
      ...ins.flatMap((c) => [`i:${c.participantId}`, entryOf(c)]),
    ];
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

  /** Builds the hashes of these sessions that are not built yet: two queries in all. */
  async function warm(sessionIds: ObjectId[], everything = false): Promise<void> {
    if (sessionIds.length === 0) return;
    const states = (await redis
      .pipeline(sessionIds.map((id) => ["hmget", door(id), "v", "ready"]))
      .exec()) as [Error | null, [string | null, string | null]][];
    const cold = sessionIds.filter((_, i) => !states[i]?.[1]?.[1]);
    if (cold.length === 0) return;
    const versions = new Map(cold.map((id) => [String(id), states[sessionIds.indexOf(id)]?.[1]?.[0] ?? ""]));
    const byId = new Map(cold.map((id) => [String(id), id]));
    const filter = everything && cold.length === sessionIds.length ? {} : { sessionId: { $in: cold } };
    const rules = await seatRules(cold);
    // Each session's script runs while the next session is read: a few at a time in flight.
    const inFlight: Promise<unknown>[] = [];
    const build = async (key: string, fields: string[]) => {
      const id = byId.get(key) as ObjectId;
      const sent = scripts.buildDoor(
        door(id),
        seats(id),
        versions.get(key) ?? "",
        rules.get(key) ?? "0",
        ...fields,
      );
      // Handled when awaited below; marked now so a failure waiting its turn is not "unhandled".
      sent.catch(() => undefined);
      inFlight.push(sent);
      if (inFlight.length >= BUILDS_IN_FLIGHT) await inFlight.shift();
    };

    // Check-ins are few when instances start; registrations are many, so they come sorted by
    // session and each session is built as soon as its last one is read: memory holds one
    // session at a time, not the whole conference.
    const checkIns = new Map<string, string[]>();
    for await (const c of checkinsOf(db).find(filter).batchSize(5000)) {
      const key = String(c.sessionId);
      if (!byId.has(key)) continue;
      const list = checkIns.get(key) ?? [];
      list.push(`i:${c.participantId}`, entryOf(c));
      checkIns.set(key, list);
    }
    const done = new Set<string>();
    let current: string | null = null;
    let fields: string[] = [];
    const regs = registrationsOf(db)
      .find(filter, { projection: { participantId: 1, sessionId: 1, status: 1, _id: 0 } })
      .sort({ sessionId: 1 })
      .batchSize(5000);
    for await (const r of regs) {
      const key = String(r.sessionId);
      if (!byId.has(key)) continue;
      if (current !== null && key !== current) {
        await build(current, [...fields, ...(checkIns.get(current) ?? [])]);
        done.add(current);
        fields = [];
      }
      current = key;
      fields.push(`r:${r.participantId}`, r.status);
    }
    if (current !== null) {
      await build(current, [...fields, ...(checkIns.get(current) ?? [])]);
      done.add(current);
    }
    for (const key of byId.keys()) if (!done.has(key)) await build(key, checkIns.get(key) ?? []);
    await Promise.all(inFlight);
  }

  return { snapshot, seatRules, warm };
}
