import { type Db, ObjectId } from "mongodb";
import { checkinsOf, scanlogOf } from "../checkin/repo";
import { forgetCopies } from "../copies";
import type { ParticipantDoc } from "../participants/repo";
import { participantRecord, participantsOf } from "../participants/repo";
import type { RegistrationDoc } from "../registrations/repo";
import { registrationsOf } from "../registrations/repo";
import { eachRoster, writingRegistrations } from "../registrations/rosters";
import type { SessionDoc } from "../sessions/repo";
import { sessionRecord, sessionsOf } from "../sessions/repo";
import { startOfEventDay } from "../time/zone";
import { buildHistory } from "./history";

const ROOMS = ["Main Hall", "Room A", "Room B", "Room C", "Workshop 1", "Workshop 2"];
const TOPICS = [
  "Opening keynote",
  "Scaling event platforms",
  "Accessible design",
  "Edge computing in practice",
  "Data privacy by default",
  "Observability for humans",
  "Open source sustainability",
  "Mobile offline-first",
  "Security at the door",
  "Community lightning talks",
];
const ORGS = [
  "Acme Labs",
  "Université de Dakar",
  "Globex",
  "Initech",
  "Stark Industries",
  "Hooli",
  "Umbrella",
  "",
];
const FIRST = [
  "Awa",
  "Moussa",
  "Fatou",
  "Jean",
  "Marie",
  "Amadou",
  "Chloé",
  "Omar",
  "Léa",
  "Ibrahima",
  "Sofia",
  "Yann",
];
const LAST = [
  "Diop",
  "Ndiaye",
  "Martin",
  "Fall",
  "Bernard",
  "Sow",
  "Dubois",
  "Ba",
  "Thomas",
  "Gueye",
  "Petit",
  "Kane",
];

export interface DemoSummary {
  created: boolean;
  sessions: number;
  participants: number;
  registrations: number;
  /** A session open right now, and badge codes to try on it. */
  openSession: { id: string; name: string } | null;
  tryCodes: { registered: string[]; unregistered: string[] };
}

/**
 * The demo conference: 3 days × 10 sessions around `now`, 2,000 participants, ~8,000
 * registrations. `tracks` runs that many sessions side by side in each slot and
 * `participants` scales the audience (the benchmark's 10× conference: 10 and 20,000).
 */
export function buildDemo(now: Date, size: { participants?: number; tracks?: number } = {}) {
  const participantsCount = size.participants ?? 2000;
  // Later days start at 08:00 on the event's own clock.
  const day0 = startOfEventDay(now);
  const sessions: SessionDoc[] = [];
  for (let day = 0; day < 3; day++) {
    for (let slot = 0; slot < 10; slot++)
      for (let track = 0; track < (size.tracks ?? 1); track++) {
        // Day one is arranged around the current time so some rooms are open now.
        const start =
          day === 0
            ? new Date(now.getTime() + (slot - 3) * 45 * 60_000 - 15 * 60_000)
            : new Date(day0.getTime() + day * 86_400_000 + (8 + slot) * 3_600_000);
        const end = new Date(start.getTime() + 60 * 60_000);
        const running = start.getTime() - 10 * 60_000 <= now.getTime() && now.getTime() <= end.getTime();
        const over = end.getTime() < now.getTime();
        const capacity = [0, 30, 50, 80, 120, 200, 40, 60, 300, 25][slot] ?? 50;
        sessions.push(
          sessionRecord(
            {
              name: `${TOPICS[slot]}${track > 0 ? ` (track ${track + 1})` : ""}${day > 0 ? ` (day ${day + 1})` : ""}`,
              description: "Demo session",
              location: ROOMS[slot % ROOMS.length] as string,
              day: day + 1,
              startTime: start,
              endTime: end,
              capacity,
              capacityEnforced: slot !== 6,
              requiresRegistration: slot === 9,
              status: running ? "open" : over ? "ended" : "scheduled",
              isOpen: running,
              // Continuing-education credits, as a professional congress awards them.
              credits: slot % 3 === 0 ? 1.5 : 1,
            },
            now,
          ),
        );
      }
  }
  const participants: ParticipantDoc[] = Array.from({ length: participantsCount }, (_, i) => {
    const first = FIRST[i % FIRST.length] as string;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length] as string;
    const organization = ORGS[i % ORGS.length] as string;
    return participantRecord(
      {
        name: `${first} ${last}`,
        email: `${first}.${last}.${i}@demo.example`,
        ...(organization ? { organization } : {}),
        isActive: i % 97 !== 0,
        status: i % 50 === 0 ? "ambassador" : "regular",
      },
      now,
    );
  });
  // Each participant registers for four sessions; a few registrations are pending or cancelled.
  const registrations: RegistrationDoc[] = [];
  participants.forEach((p, i) => {
    for (let k = 0; k < 4; k++) {
      const session = sessions[(i * 7 + k * 11) % sessions.length] as SessionDoc;
      const status = (i + k) % 29 === 0 ? "cancelled" : (i + k) % 17 === 0 ? "pending" : "confirmed";
      registrations.push({
        _id: new ObjectId(),
        participantId: p._id,
        sessionId: session._id,
        registrationDate: now,
        status,
        createdAt: now,
        updatedAt: now,
        __v: 0,
      });
    }
  });
  const unique = new Map(registrations.map((r) => [`${r.participantId}:${r.sessionId}`, r]));
  return { sessions, participants, registrations: [...unique.values()] };
}

/** `history`: a morning of check-ins, exits and declines (the benchmark starts without one). */
export async function seedDemo(
  db: Db,
  now = new Date(),
  size: { participants?: number; tracks?: number; history?: boolean } = {},
): Promise<DemoSummary> {
  const existing = await sessionsOf(db).countDocuments({});
  const created = existing === 0;
  if (created) {
    const demo = buildDemo(now, size);
    const sessionIds = demo.sessions.map((s) => s._id);
    await sessionsOf(db).insertMany(demo.sessions);
    await participantsOf(db).insertMany(demo.participants);
    await writingRegistrations(db, sessionIds, async () => {
      for (let i = 0; i < demo.registrations.length; i += 1000) {
        await registrationsOf(db).insertMany(demo.registrations.slice(i, i + 1000));
      }
    });
    // Packed once now, so the first start reads a few hundred documents, not every registration.
    await eachRoster(db, sessionIds, async () => undefined, true);
    await db
      .collection<{ _id: string; eventName?: string }>("settings")
      .updateOne({ _id: "timing" }, { $set: { eventName: "Demo Congress 2026" } }, { upsert: true });
    if (size.history !== false) {
      const history = buildHistory(demo, now);
      if (history.checkIns.length > 0) await checkinsOf(db).insertMany(history.checkIns);
      // Written without stamps: no copy may claim these sessions (the leader packs them whole).
      await forgetCopies(db);
      if (history.scanlog.length > 0) await scanlogOf(db).insertMany(history.scanlog);
    }
  }
  const open = await sessionsOf(db).findOne(
    { status: "open", capacity: { $gt: 0 }, requiresRegistration: false },
    { sort: { capacity: -1 } },
  );
  const tryCodes = { registered: [] as string[], unregistered: [] as string[] };
  if (open) {
    const regs = await registrationsOf(db)
      .find({ sessionId: open._id, status: "confirmed" })
      .limit(3)
      .toArray();
    const registered = await participantsOf(db)
      .find({ _id: { $in: regs.map((r) => r.participantId) }, isActive: true })
      .toArray();
    tryCodes.registered = registered.map((p) => p.qrCode);
    const allRegistered = (await registrationsOf(db).find({ sessionId: open._id }).toArray()).map(
      (r) => r.participantId,
    );
    const others = await participantsOf(db)
      .find({ _id: { $nin: allRegistered }, isActive: true })
      .limit(2)
      .toArray();
    tryCodes.unregistered = others.map((p) => p.qrCode);
  }
  return {
    created,
    sessions: await sessionsOf(db).countDocuments({}),
    participants: await participantsOf(db).countDocuments({}),
    registrations: await registrationsOf(db).countDocuments({}),
    openSession: open ? { id: String(open._id), name: open.name } : null,
    tryCodes,
  };
}
