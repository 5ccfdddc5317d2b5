import { type Db, ObjectId } from "mongodb";
import { type ScanLogDoc, scanlogOf } from "../checkin/repo";
import { badRequest, fieldError, notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import { participantsOf } from "../participants/repo";
import { creditRule, type SessionDoc, sessionsOf } from "../sessions/repo";
import { type Attendance, attendance, attended, type HistoryEvent } from "./minutes";

// A person's history comes from the scan log, the audit trail every entry, exit, undo and
// correction is appended to; nothing here is ever updated in place.

const HISTORY_ACTIONS: ScanLogDoc["action"][] = ["scan", "accept", "checkout", "move", "undo", "correct"];

/** The event a scan-log entry stands for in a person's history, if any. */
export function historyEventOf(doc: ScanLogDoc): HistoryEvent | null {
  const id = String(doc._id);
  const at = doc.scannedAt ?? doc.at;
  const checkInId = doc.checkInId ? String(doc.checkInId) : undefined;
  switch (doc.action) {
    case "scan":
    case "accept":
      return doc.outcome === "accept" ? { id, at, kind: "entry", ...(checkInId ? { checkInId } : {}) } : null;
    case "checkout":
    case "move":
      return { id, at, kind: "exit", ...(checkInId ? { checkInId } : {}) };
    case "undo":
      return { id, at, kind: "undo", ...(checkInId ? { checkInId } : {}) };
    case "correct": {
      const c = doc.correction;
      if (!c) return null;
      if (c.kind === "void") return c.voids ? { id, at, kind: "void", voids: String(c.voids) } : null;
      return { id, at: c.at ?? at, kind: c.kind };
    }
    default:
      return null;
  }
}

export interface SessionAttendance extends Attendance {
  sessionId: string;
  name: string;
  startTime: Date;
  endTime: Date;
}

/** Histories by session of the people asked (all when `participantIds` is absent), then by person. */
async function histories(db: Db, filter: { participantIds?: ObjectId[]; sessionIds?: ObjectId[] }) {
  const docs = await scanlogOf(db)
    .find({
      action: { $in: HISTORY_ACTIONS },
      ...(filter.participantIds ? { participantId: { $in: filter.participantIds } } : {}),
      ...(filter.sessionIds ? { sessionId: { $in: filter.sessionIds } } : {}),
    })
    // In the order recorded: moves at the same instant are taken in this order.
    .sort({ at: 1, _id: 1 })
    .toArray();
  const bySession = new Map<string, Map<string, HistoryEvent[]>>();
  for (const doc of docs) {
    const event = historyEventOf(doc);
    if (!event || !doc.sessionId || !doc.participantId) continue;
    const people = bySession.get(String(doc.sessionId)) ?? new Map<string, HistoryEvent[]>();
    bySession.set(String(doc.sessionId), people);
    const list = people.get(String(doc.participantId)) ?? [];
    list.push(event);
    people.set(String(doc.participantId), list);
  }
  return bySession;
}

const windowOf = (s: SessionDoc) => ({ start: s.startTime, end: s.endTime });

export interface PersonAttendance {
  sessions: SessionAttendance[];
  totalCredits: number;
}

/**
 * Every session each of these people attended, with minutes, share and credits, and their
 * totals, from one read of their histories; `withoutAttendance`: also the sessions whose
 * history stands at nothing (everything voided), so an admin can still see and correct them.
 */
export async function attendanceOfPeople(
  db: Db,
  participantIds: ObjectId[],
  now = new Date(),
  withoutAttendance = false,
): Promise<Map<string, PersonAttendance>> {
  const bySession = await histories(db, { participantIds });
  const sessions = await sessionsOf(db)
    .find({ _id: { $in: [...bySession.keys()].map((id) => new ObjectId(id)) } })
    .sort({ startTime: 1 })
    .toArray();
  const result = new Map<string, PersonAttendance>();
  for (const participantId of participantIds) {
    const rows: SessionAttendance[] = [];
    for (const session of sessions) {
      const history = bySession.get(String(session._id))?.get(String(participantId)) ?? [];
      if (history.length === 0 || (!attended(history) && !withoutAttendance)) continue;
      rows.push({
        sessionId: String(session._id),
        name: session.name,
        startTime: session.startTime,
        endTime: session.endTime,
        ...attendance(history, windowOf(session), creditRule(session), now),
      });
    }
    const totalCredits = Math.round(rows.reduce((sum, r) => sum + r.credits, 0) * 100) / 100;
    result.set(String(participantId), { sessions: rows, totalCredits });
  }
  return result;
}

/** One person's attendance (see attendanceOfPeople). */
export async function attendanceOf(
  db: Db,
  participantId: ObjectId,
  now = new Date(),
  withoutAttendance = false,
): Promise<PersonAttendance> {
  const all = await attendanceOfPeople(db, [participantId], now, withoutAttendance);
  return all.get(String(participantId)) ?? { sessions: [], totalCredits: 0 };
}

/** Minutes and credits of everyone in the given sessions: session id → person id → figures. */
export async function attendanceBySession(db: Db, sessions: SessionDoc[], now = new Date()) {
  const bySession = await histories(db, { sessionIds: sessions.map((s) => s._id) });
  const result = new Map<string, Map<string, Attendance>>();
  for (const session of sessions) {
    const people = new Map<string, Attendance>();
    for (const [person, history] of bySession.get(String(session._id)) ?? []) {
      if (attended(history))
        people.set(person, attendance(history, windowOf(session), creditRule(session), now));
    }
    result.set(String(session._id), people);
  }
  return result;
}

/** A person's history in one session as staff read it: each event with the id a correction names. */
export async function historyIn(db: Db, participantId: ObjectId, sessionId: ObjectId) {
  const docs = await scanlogOf(db)
    .find({ participantId, sessionId, action: { $in: HISTORY_ACTIONS } })
    .sort({ at: 1, _id: 1 })
    .toArray();
  return docs.flatMap((doc) => {
    const event = historyEventOf(doc);
    return event
      ? [{ ...event, by: doc.by ?? null, note: doc.correction?.note ?? null, offline: doc.offline === true }]
      : [];
  });
}

export interface Correction {
  sessionId: ObjectId;
  kind: "entry" | "exit" | "void";
  at?: Date;
  eventId?: ObjectId;
  note?: string;
}

/**
 * An admin's correction, appended to the history (never an overwrite): a forgotten entry or
 * exit at a given time, or one event voided. The attendance figures follow at once.
 */
export async function correct(
  db: Db,
  participantId: ObjectId,
  correction: Correction,
  who: { by?: string; byId?: string; instance: string },
): Promise<ObjectId> {
  const [person, session] = await Promise.all([
    participantsOf(db).findOne({ _id: participantId }, { projection: { _id: 1 } }),
    sessionsOf(db).findOne({ _id: correction.sessionId }),
  ]);
  if (!person) throw notFound(phrase("Participant with ID {id} not found", { id: String(participantId) }));
  if (!session)
    throw notFound(phrase("Session with ID {id} not found", { id: String(correction.sessionId) }));
  if (correction.kind === "void") {
    if (!correction.eventId)
      throw badRequest("Validation failed", [
        fieldError("eventId", "Name the event to void (its id in the history)"),
      ]);
    const target = await scanlogOf(db).findOne({
      _id: correction.eventId,
      participantId,
      sessionId: session._id,
    });
    const event = target ? historyEventOf(target) : null;
    if (!event || event.kind === "void")
      throw badRequest("Validation failed", [
        fieldError("eventId", "No entry, exit or correction of this person in this session has this id"),
      ]);
  } else if (!correction.at) {
    throw badRequest("Validation failed", [fieldError("at", "Say when the entry or exit happened")]);
  }
  const _id = new ObjectId();
  const { kind, at, eventId, note } = correction;
  await scanlogOf(db).insertOne({
    _id,
    at: new Date(),
    sessionId: session._id,
    participantId,
    action: "correct",
    outcome: "done",
    reason: kind === "void" ? "event voided" : `${kind} added`,
    instance: who.instance,
    ...(who.by ? { by: who.by } : {}),
    ...(who.byId ? { byId: who.byId } : {}),
    correction: {
      kind,
      ...(kind === "void" ? { voids: eventId } : { at }),
      ...(note ? { note } : {}),
    },
  });
  return _id;
}
