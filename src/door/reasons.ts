import { type Phrase, phrase, type Text } from "../i18n/locale";
import type { DecisionSession, ExitOutcome, Reason, Verdict } from "./decide";

// The words for the door's decisions (decide.ts): what staff read, and the HTTP status
// the JSON check-in routes answer each reason with. Nothing else spells these out.

/**
 * Every reason a scan can end with: the words staff read, and the HTTP status the JSON
 * check-in routes answer it with. Nothing else spells these out.
 */
export const REASONS: Record<Reason, { text: Text; status: number }> = {
  ok: { text: "Checked in", status: 201 },
  reentry: { text: "Welcome back: re-entry recorded", status: 201 },
  already_checked_in: { text: "Participant is already checked in to this session", status: 409 },
  not_registered: { text: "Participant is not registered for this session", status: 400 },
  registration_cancelled: {
    text: "Participant's registration for this session was cancelled",
    status: 400,
  },
  invite_only: {
    text: "Participant is not registered for this session, which requires registration",
    status: 400,
  },
  session_full: { text: "Session is at full capacity", status: 400 },
  session_not_open: { text: "Session is not open for check-ins", status: 400 },
  session_ended: { text: "Session has ended and is not open for check-ins", status: 400 },
  unknown_code: { text: "Badge code not found", status: 404 },
  inactive_participant: { text: "Participant's badge is deactivated", status: 400 },
  superseded: {
    text: "Scanned before this person's latest entry or exit: nothing was recorded",
    status: 409,
  },
  turned_away_offline: {
    text: "The door turned this person away while offline: not admitted now",
    status: 409,
  },
};

/** What an exit scan found, in the words the door shows. */
export const EXIT_TEXT: Record<ExitOutcome, Text> = {
  left: "Exit recorded",
  already_out: "Already left: this exit was recorded before",
  not_in: "Not checked in to this session: nothing to record",
  superseded: "They came back in after this exit was scanned: nothing to record",
  unknown: "Badge code not found",
};

/** The sentence for a verdict, with the facts it names (the capacity, the invite-only rule). */
export function reasonText(
  verdict: Pick<Verdict, "reason">,
  session: Pick<DecisionSession, "capacity" | "requiresRegistration">,
): Phrase {
  if (verdict.reason === "session_full")
    return phrase("Session is at full capacity ({capacity} participants)", { capacity: session.capacity });
  if (verdict.reason === "registration_cancelled" && session.requiresRegistration)
    return phrase('Registration status is "cancelled"; this session requires registration');
  return phrase(REASONS[verdict.reason].text);
}
