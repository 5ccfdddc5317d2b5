// A steady scan load through Nginx from several doors, one fault applied part-way, and
// what came of it: scans sent, acknowledged, failed by status, acknowledged admissions
// missing from MongoDB, people in twice, admissions over capacity, and the times from the
// fault to the first failure and from the dependency's return to the first success. The
// resilience benchmark prints these; the fault tests assert them.

import type { Db } from "mongodb";
import type { ParticipantDoc } from "../../src/participants/repo";
import type { SessionDoc } from "../../src/sessions/repo";

export interface FaultLoad {
  /** Nginx in front of the instances. */
  url: string;
  auth: Record<string, string>;
  db: Db;
  session: SessionDoc;
  people: ParticipantDoc[];
  rate: number;
  seconds: number;
  faultAtSeconds: number;
  doors: number;
  /** Applies the fault; resolves (with the moment it was lifted) once the dependency is back. */
  fault: () => Promise<{ back: number }>;
}

export interface FaultFigures {
  scenario: string;
  sent: number;
  acknowledged: number;
  failedByStatus: Record<string, number>;
  /** Words of the failures, by status: what the door read. */
  failureMessages: Record<string, string[]>;
  lostAcknowledged: number;
  duplicates: number;
  oversell: number;
  msFaultToFirstFailure: number | null;
  msBackToFirstSuccess: number | null;
}

type Shot = { at: number; status: number; outcome?: string; checkInId?: string; message?: string };

async function shoot(load: FaultLoad, name: string, i: number, started: number): Promise<Shot> {
  const person = load.people[i % load.people.length] as ParticipantDoc;
  const nonce = `${name.replace(/\W/g, "")}-${i}`;
  const at = performance.now() - started;
  try {
    const response = await fetch(`${load.url}/api/v1/scan`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": nonce, ...load.auth },
      body: JSON.stringify({
        qrCode: person.qrCode,
        sessionId: String(load.session._id),
        nonce,
        device: `door-${i % load.doors}`,
      }),
    });
    const body = (await response.json().catch(() => ({}))) as {
      message?: string;
      data?: { outcome?: string; checkIn?: { _id: string } };
    };
    return {
      at,
      status: response.status,
      outcome: body.data?.outcome,
      checkInId: body.data?.checkIn?._id,
      message: body.message,
    };
  } catch {
    return { at, status: 0 };
  }
}

/** Scans at `rate` for `seconds`, the fault applied at `faultAtSeconds`. */
export async function underLoad(name: string, load: FaultLoad): Promise<FaultFigures> {
  const shots: Promise<Shot>[] = [];
  const started = performance.now();
  let faultAt = 0;
  let backAt = 0;
  let lifted = false;
  const faulted = (async () => {
    await Bun.sleep(load.faultAtSeconds * 1000);
    faultAt = performance.now() - started;
    const { back } = await load.fault();
    backAt = back - started;
    lifted = true;
  })();
  // The planned scans, and on until a second after the fault is lifted (a slow restart of
  // the dependency must still be followed by scans that show the recovery).
  for (
    let i = 0;
    i < load.rate * load.seconds || !lifted || performance.now() - started < backAt + 1000;
    i++
  ) {
    const wait = started + (i * 1000) / load.rate - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    shots.push(shoot(load, name, i, started));
  }
  const [done] = await Promise.all([Promise.all(shots), faulted]);
  return figures(name, load, done, faultAt, backAt);
}

async function figures(
  name: string,
  load: FaultLoad,
  shots: Shot[],
  faultAt: number,
  backAt: number,
): Promise<FaultFigures> {
  const docs = await load.db.collection("checkins").find({ sessionId: load.session._id }).toArray();
  const stored = new Set(docs.map((d) => String(d._id)));
  const acknowledged = shots.filter((s) => s.status === 200 && s.outcome === "accept");
  const failedByStatus: Record<string, number> = {};
  const failureMessages: Record<string, string[]> = {};
  for (const s of shots.filter((x) => x.status !== 200)) {
    const status = String(s.status);
    failedByStatus[status] = (failedByStatus[status] ?? 0) + 1;
    const seen = failureMessages[status] ?? [];
    failureMessages[status] = seen;
    if (s.message && !seen.includes(s.message)) seen.push(s.message);
  }
  const firstFailure = shots
    .filter((s) => s.status !== 200 && s.at >= faultAt)
    .sort((a, b) => a.at - b.at)[0];
  const firstSuccessAfter = shots
    .filter((s) => s.status === 200 && s.at >= backAt)
    .sort((a, b) => a.at - b.at)[0];
  return {
    scenario: name,
    sent: shots.length,
    acknowledged: acknowledged.length,
    failedByStatus,
    failureMessages,
    lostAcknowledged: acknowledged.filter((s) => !stored.has(String(s.checkInId))).length,
    duplicates: docs.length - new Set(docs.map((d) => String(d.participantId))).size,
    oversell: Math.max(0, docs.length - load.session.capacity),
    msFaultToFirstFailure: firstFailure ? Math.round(firstFailure.at - faultAt) : null,
    msBackToFirstSuccess: firstSuccessAfter ? Math.round(firstSuccessAfter.at - backAt) : null,
  };
}
