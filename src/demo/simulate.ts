import type { Db } from "mongodb";
import { createToken } from "../auth/store";
import { participantsOf } from "../participants/repo";
import { registrationsOf } from "../registrations/repo";
import { sessionsOf } from "../sessions/repo";

// Simulated doors for the demo (SIMULATE_DOORS=rate): scans keep arriving through the
// public URL, as real doors' would, so a newcomer watches the dashboards move. Mostly
// registrants, some repeats, some exits and re-entries, now and then a stranger. It
// works through the API with a scanner token of its own, like any door.

const DOORS = 3;
const REFRESH_MS = 30_000;

interface Room {
  id: string;
  codes: string[];
}

async function openRooms(db: Db): Promise<Room[]> {
  const sessions = await sessionsOf(db)
    .find({ status: "open" }, { projection: { _id: 1 } })
    .toArray();
  return Promise.all(
    sessions.map(async (s) => {
      const regs = await registrationsOf(db)
        .find({ sessionId: s._id }, { projection: { participantId: 1, _id: 0 } })
        .limit(500)
        .toArray();
      const people = await participantsOf(db)
        .find({ _id: { $in: regs.map((r) => r.participantId) } }, { projection: { qrCode: 1 } })
        .toArray();
      return { id: String(s._id), codes: people.map((p) => p.qrCode) };
    }),
  );
}

/** Runs until `signal` aborts: `rate` scans per second spread over the open sessions. */
export async function simulateDoors(
  db: Db,
  baseUrl: string,
  rate: number,
  signal: AbortSignal,
): Promise<void> {
  const { token } = await createToken(db, "Simulated doors (demo)", "scanner");
  const strangers = (
    await participantsOf(db)
      .find({}, { projection: { qrCode: 1 } })
      .limit(200)
      .toArray()
  ).map((p) => p.qrCode);
  let rooms = await openRooms(db);
  let refreshed = Date.now();
  let sent = 0;
  const pick = <T>(list: T[]): T | undefined => list[Math.floor(Math.random() * list.length)];
  while (!signal.aborted) {
    if (Date.now() - refreshed > REFRESH_MS) {
      rooms = await openRooms(db).catch(() => rooms);
      refreshed = Date.now();
    }
    const room = pick(rooms);
    if (room) {
      const roll = Math.random();
      const qrCode = (roll < 0.05 ? pick(strangers) : pick(room.codes)) ?? pick(strangers);
      if (qrCode) {
        await fetch(`${baseUrl}/api/v1/scan`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({
            qrCode,
            sessionId: room.id,
            direction: roll > 0.85 ? "exit" : "entry",
            device: `Simulated door ${1 + (sent % DOORS)}`,
          }),
          signal: AbortSignal.timeout(5000),
        }).catch(() => undefined);
        sent++;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
  }
}
