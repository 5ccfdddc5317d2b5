import { ObjectId } from "mongodb";
import type { CheckInDoc, ScanLogDoc } from "../checkin/repo";
import type { ParticipantDoc } from "../participants/repo";
import type { RegistrationDoc } from "../registrations/repo";
import type { SessionDoc } from "../sessions/repo";

// A morning of history for the demo, so the dashboards and the attendance report show
// real charts on first start: sessions that have started got most of their registrants,
// spread from ten minutes before the start to now (or the end), some late, a few
// walk-ins, some who left again, and a few declined at the door. Deterministic: the
// same conference always gets the same history.

const LATE_AFTER_MINUTES = 10;

function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** One admission of the morning, with its scan and, for some, the exit later on. */
function admission(
  session: SessionDoc,
  person: { p: ParticipantDoc; walkIn: boolean; at: number },
  seat: number,
  context: { until: number; limit: number; random: () => number },
  out: { checkIns: CheckInDoc[]; scanlog: ScanLogDoc[] },
): void {
  const { p, walkIn, at } = person;
  const { until, limit, random } = context;
  const { checkIns, scanlog } = out;
  const checkInTime = new Date(at);
  const left = random() < 0.12 ? new Date(at + random() * (until - at)) : null;
  const isLate = at > session.startTime.getTime() + LATE_AFTER_MINUTES * 60_000;
  const doc: CheckInDoc = {
    _id: new ObjectId(),
    participantId: p._id,
    sessionId: session._id,
    checkInTime,
    method: random() < 0.9 ? "qr" : "search",
    checkedInBy: "Demo door",
    device: `Door ${1 + Math.floor(random() * 3)}`,
    isLate,
    badge: walkIn ? "accepted_unregistered" : "accepted",
    wasRegistered: !walkIn,
    seat: Number.isFinite(limit) && !(session.capacityMode === "occupancy" && left) ? seat : `free:${p._id}`,
    instance: "demo",
    checkedOutAt: left,
    createdAt: checkInTime,
    updatedAt: left ?? checkInTime,
    __v: 0,
  };
  checkIns.push(doc);
  scanlog.push({
    _id: new ObjectId(),
    at: checkInTime,
    sessionId: session._id,
    participantId: p._id,
    qrCode: p.qrCode,
    action: walkIn ? "accept" : "scan",
    outcome: "accept",
    reason: "ok",
    method: doc.method,
    by: doc.checkedInBy,
    device: doc.device,
    instance: "demo",
    checkInId: doc._id,
  });
  if (left)
    scanlog.push({
      _id: new ObjectId(),
      at: left,
      sessionId: session._id,
      participantId: p._id,
      action: "checkout",
      outcome: "done",
      reason: "left the session",
      by: doc.checkedInBy,
      instance: "demo",
      checkInId: doc._id,
    });
}

export function buildHistory(
  demo: { sessions: SessionDoc[]; participants: ParticipantDoc[]; registrations: RegistrationDoc[] },
  now: Date,
): { checkIns: CheckInDoc[]; scanlog: ScanLogDoc[] } {
  const random = seeded(42);
  const checkIns: CheckInDoc[] = [];
  const scanlog: ScanLogDoc[] = [];
  const active = demo.participants.filter((p) => p.isActive);
  const byId = new Map(demo.participants.map((p) => [String(p._id), p]));
  for (const session of demo.sessions) {
    const started = session.startTime.getTime() <= now.getTime();
    if (!started || session.day !== 1) continue;
    const from = session.startTime.getTime() - 10 * 60_000;
    const until = Math.min(now.getTime(), session.endTime.getTime());
    const registered = demo.registrations
      .filter((r) => String(r.sessionId) === String(session._id) && r.status === "confirmed")
      .map((r) => byId.get(String(r.participantId)))
      .filter((p): p is ParticipantDoc => p?.isActive === true);
    const limit =
      session.capacityEnforced && session.capacity > 0 ? session.capacity : Number.POSITIVE_INFINITY;
    const comers = registered.filter(() => random() < 0.75);
    // Walk-ins: people without a registration, let in at the door.
    const others = active.filter((p) => !registered.includes(p));
    const first = Math.floor(random() * Math.max(1, others.length - 5));
    const walkIns = session.requiresRegistration
      ? []
      : others.slice(first, first + 1 + Math.floor(random() * 4));
    const admitted = [
      ...comers.map((p) => ({ p, walkIn: false })),
      ...walkIns.map((p) => ({ p, walkIn: true })),
    ]
      .slice(0, limit)
      // Most arrive around the start; the rest trickle in.
      .map(({ p, walkIn }) => ({ p, walkIn, at: from + Math.min(random(), random()) * (until - from) }))
      .sort((a, b) => a.at - b.at);
    for (const [seat, person] of admitted.entries())
      admission(session, person, seat, { until, limit, random }, { checkIns, scanlog });
    // A few turned away at the door.
    const turnedAway = Math.floor(random() * Math.max(1, others.length - 5));
    for (const p of others.slice(turnedAway, turnedAway + Math.floor(random() * 4))) {
      scanlog.push({
        _id: new ObjectId(),
        at: new Date(from + random() * (until - from)),
        sessionId: session._id,
        participantId: p._id,
        action: "decline",
        outcome: "declined",
        reason: "Not registered; the room was reserved",
        by: "Demo door",
        instance: "demo",
        response: { wasRegistered: false },
      });
    }
  }
  return { checkIns, scanlog };
}
