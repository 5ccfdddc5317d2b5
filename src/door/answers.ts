import { participantFor, principalOf } from "../auth/plugin";
import { type CheckInDoc, type Method, shownCheckIn } from "../checkin/repo";
import { ok, parseId } from "../http/envelope";
import { AppError, notFound } from "../http/errors";
import { phrase, type Text, translate } from "../i18n/locale";
import type { Runtime } from "../runtime";
import { withPeopleAndSessions } from "../web/join";
import { localeOf } from "../web/reader";
import { briefParticipant, briefSession, capacityInfo } from "./present";
import { REASONS, reasonText } from "./reasons";
import type { ScanResult } from "./scan";
import type { CheckinService } from "./service";

// How the JSON check-in routes (routes.ts) answer: an admission with the envelope the
// contract's clients read, anything else with the status and words they expect.

export type ByIdBody = {
  participantId: string;
  sessionId: string;
  checkedInBy?: string;
  acceptedBy?: string;
  notes?: string;
  nonce?: string;
};

/** The account or token behind a request, as check-ins record it (for undo at the door). */
export function callerId(request: Request): string | undefined {
  const principal = principalOf(request);
  return principal ? `${principal.kind}:${principal.id}` : undefined;
}

/**
 * Who did it, as a check-in and the scan log record it: always the signed-in account (or
 * token), its id kept whatever the client says; a label the client sends (`by`,
 * `checkedInBy`, `acceptedBy`: a door or a colleague's name) is added after the
 * account's own name, never in its place.
 */
export function signedBy(request: Request, label?: string): { by?: string; byId?: string } {
  const principal = principalOf(request);
  if (!principal) return label ? { by: label } : {};
  const extra = label?.trim();
  return {
    by: extra && extra !== principal.name ? `${principal.name} · ${extra}` : principal.name,
    byId: `${principal.kind}:${principal.id}`,
  };
}

export function nonceOf(
  body: { nonce?: string },
  headers: Record<string, string | undefined>,
): string | undefined {
  return body.nonce ?? headers["idempotency-key"] ?? undefined;
}

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

export async function withPopulation(
  rt: Runtime,
  request: Request,
  docs: CheckInDoc[],
  mode: "brief" | "full",
) {
  return (await withPeopleAndSessions(rt.mongo.db, docs)).map(({ doc, participant, session }) => {
    return {
      ...shownCheckIn(doc),
      participantId: participant
        ? participantFor(request, mode === "brief" ? briefParticipant(participant) : participant)
        : null,
      sessionId: session ? (mode === "brief" ? briefSession(session) : session) : null,
    };
  });
}

export function admittedResponse(request: Request, result: ScanResult, message: Text) {
  const checkIn = shownCheckIn(requireAdmitted(result));
  return ok(
    request,
    checkIn,
    result.replayed
      ? phrase("{message} (repeated request)", { message: translate(localeOf(request), message) })
      : message,
    {
      capacityInfo: capacityInfo(result.session, result.count),
      wasRegistered: result.verdict.wasRegistered,
    },
  );
}

/** Manual check-in and "accept anyway" by participant id: rule for rule the same path. */
export async function checkInById(
  svc: CheckinService,
  body: ByIdBody,
  method: Method,
  headers: Record<string, string | undefined>,
  request: Request,
  set: { status?: number | string },
  message: Text,
) {
  const result = await svc.scan({
    sessionId: parseId(body.sessionId),
    participant: { participantId: parseId(body.participantId) },
    method,
    acceptUnregistered: true,
    ...signedBy(request, body.checkedInBy ?? body.acceptedBy),
    notes: body.notes,
    nonce: nonceOf(body, headers),
  });
  if (result.verdict.reason === "unknown_code")
    throw notFound(phrase("Participant with ID {id} not found", { id: body.participantId }));
  const response = admittedResponse(request, result, message);
  set.status = 201;
  return response;
}
