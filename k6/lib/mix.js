import { check } from "k6";
import exec from "k6/execution";
import { post, scan } from "./api.js";

/**
 * One door event drawn from a realistic morning: mostly registered badges admitted,
 * some double taps (same nonce), repeats, unknown codes, walk-ins accepted anyway and
 * declines. `people` holds the session's fixture participants.
 */
export function doorEvent(fixture) {
  const sessions = fixture.sessions;
  const i = exec.scenario.iterationInTest;
  const session = sessions[i % sessions.length];
  const person = session.people[Math.floor(i / sessions.length) % session.people.length];
  const door = `door-${exec.vu.idInTest % 4}`;
  const nonce = `${fixture.tag}-${i}`;
  const roll = (i * 7919) % 100;
  if (roll < 3) {
    scan(`QR-UNKNOWN${i}`, session.id, { device: door });
    return;
  }
  const data = scan(person.qrCode, session.id, { device: door, nonce });
  if (!data) return;
  if (roll < 8) {
    // A double tap: the same nonce must replay the first answer.
    const again = scan(person.qrCode, session.id, { device: door, nonce });
    check(again, { "double tap replays": (d) => d?.replayed === true && d.outcome === data.outcome });
  } else if (data.outcome === "decide") {
    if (roll < 95) {
      const accepted = scan(person.qrCode, session.id, {
        device: door,
        nonce: `${nonce}-accept`,
        acceptUnregistered: true,
      });
      check(accepted, { "walk-in accepted anyway": (d) => d !== null });
    } else {
      post(
        "/checkin/decline",
        { participantId: person.id, sessionId: session.id, declinedBy: door, reason: "k6 decline" },
        { tags: { name: "decline" } },
      );
    }
  }
}
