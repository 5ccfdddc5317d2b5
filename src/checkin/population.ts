import { participantFor } from "../auth/plugin";
import { briefParticipant, briefSession } from "../door/present";
import type { Runtime } from "../runtime";
import { withPeopleAndSessions } from "../web/join";
import { type CheckInDoc, shownCheckIn } from "./repo";

// Check-ins as the lists show them: each with its person (as the reader may see them)
// and its session, brief or whole.

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
