import { shownCheckIn } from "../checkin/repo";
import { ok } from "../http/envelope";
import { AppError, notFound } from "../http/errors";
import { type Locale, phrase, say, type Text, translate } from "../i18n/locale";
import { localeOf } from "../web/reader";
import { capacityInfo } from "./present";
import { REASONS, reasonText } from "./reasons";
import type { ScanResult } from "./scan";

// How the door's JSON routes (api.ts) answer: an admission with the envelope the
// contract's clients read, anything else with the status and words they expect.

/** The JSON routes answer anything but an admission with the status and words the clients expect. */
function requireAdmitted(result: ScanResult) {
  const { verdict, session, participant } = result;
  if (verdict.outcome === "accept" && result.checkIn) return result.checkIn;
  const { status } = REASONS[verdict.reason];
  if (verdict.reason === "unknown_code") throw notFound("Participant with this QR code not found");
  if (verdict.reason === "already_checked_in")
    throw new AppError(
      status,
      phrase("Participant {name} is already checked in to this session", { name: participant?.name ?? "" }),
    );
  throw new AppError(status, "Validation failed", [
    { field: verdict.reason, message: reasonText(verdict, session) },
  ]);
}

export function admittedResponse(request: Request, result: ScanResult, message: Text) {
  const checkIn = shownCheckIn(requireAdmitted(result));
  const locale = localeOf(request);
  const repeated = (l: Locale) => phrase("{message} (repeated request)", { message: translate(l, message) });
  return ok(request, checkIn, result.replayed ? repeated("en") : message, {
    ...(result.replayed && locale !== "en" ? { localizedMessage: say(locale, repeated(locale)) } : {}),
    capacityInfo: capacityInfo(result.session, result.count),
    wasRegistered: result.verdict.wasRegistered,
  });
}
