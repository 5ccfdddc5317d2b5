import { fmtTime, personStatusWord } from "../../../views/components";
import type { Phrase, Text } from "../../i18n/locale";
import type { Person } from "../../participants/directory";
import type { SessionDoc } from "../../sessions/repo";
import { sayHere, t, tAttr } from "../../web/reader";
import type { ExitOutcome } from "../decide";
import type { OverflowChoice } from "../overflow";
import { DOOR } from "../paths";
import { EXIT_TEXT } from "../reasons";
import type { ScanResult } from "../scan";
import { CountBadge } from "./page";

// What the door shows after a scan: the verdict that fills the screen, and the answers to
// the staff's own actions there (exit, undo, decline, a walk-in's badge).

const TONE: Record<string, string> = { accept: "green", decide: "amber", already: "grey", refuse: "red" };

const HEADLINE: Record<string, Text> = {
  accept: "Welcome",
  reentry: "Welcome back",
  decide: "Needs a decision",
  already: "Already checked in",
  refuse: "Not admitted",
};

const ICON: Record<string, string> = { accept: "✓", decide: "?", already: "=", refuse: "✕" };

/** Who the verdict is about: name, organization, status and the note for the door. */
function PersonLines(props: { participant: Person }) {
  const { participant } = props;
  return (
    <>
      <p class="person" safe>
        {participant.name}
      </p>
      <p class="org" safe>
        {[
          participant.organization,
          participant.status !== "regular" ? personStatusWord(participant.status) : "",
        ]
          .filter(Boolean)
          .join(" · ")}
      </p>
      {participant.doorNote ? (
        <p class="door-note" safe>
          {tAttr("Note: {note}", { note: participant.doorNote })}
        </p>
      ) : (
        ""
      )}
    </>
  );
}

/** Other rooms of the same time slot with space, for someone a full room refuses. */
function Overflow(props: { choices: OverflowChoice<SessionDoc>[] }) {
  return (
    <div class="overflow">
      <p>{t("Room in the same time slot:")}</p>
      <ul>
        {props.choices.map(({ session, free }) => (
          <li safe>
            {[
              session.name,
              session.location ?? "",
              free === null ? tAttr("no limit") : tAttr("{count} seats left", { count: free }),
            ]
              .filter(Boolean)
              .join(" · ")}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** An Undo button for the admission just made, shown for the undo window. */
function UndoButton(props: { sessionId: string; checkInId: string; seconds: number }) {
  return (
    <form
      hx-post={DOOR.undo({ sessionId: props.sessionId })}
      hx-target="#verdict"
      class="undo-form"
      data-expires-in={String(props.seconds)}
    >
      <input type="hidden" name="checkInId" value={props.checkInId} />
      <button type="submit" class="secondary">
        {t("Undo")}
      </button>
    </form>
  );
}

/** The verdict that fills the screen, plus the live count swapped out of band. */
export function Verdict(props: {
  result: ScanResult;
  message: Phrase;
  code: string;
  undoSeconds: number;
  overflow?: OverflowChoice<SessionDoc>[];
}) {
  const { verdict, participant, session, checkIn } = props.result;
  const tone = TONE[verdict.outcome] ?? "red";
  const id = String(session._id);
  const headline = verdict.reason === "reentry" ? HEADLINE.reentry : HEADLINE[verdict.outcome];
  return (
    <>
      <div
        class={`verdict ${tone}`}
        data-outcome={verdict.outcome}
        data-reason={verdict.reason}
        data-lease-left={props.result.leaseLeft}
      >
        <p class="headline">
          <span class="icon" aria-hidden="true" safe>
            {ICON[verdict.outcome] ?? ""}
          </span>{" "}
          <span>{headline ? t(headline) : ""}</span>
        </p>
        {participant ? (
          <PersonLines participant={participant} />
        ) : (
          <p class="person" safe>
            {props.code}
          </p>
        )}
        <p class="reason" safe>
          {sayHere(props.message)}
        </p>
        <p class="for-session" data-session={id} safe>
          {tAttr("For {session}", { session: session.name })}
        </p>
        {verdict.outcome === "accept" && verdict.isLate ? <p class="late">{t("Late arrival")}</p> : ""}
        {props.overflow && props.overflow.length > 0 ? <Overflow choices={props.overflow} /> : ""}
        {verdict.outcome === "accept" && checkIn && !props.result.replayed ? (
          <UndoButton sessionId={id} checkInId={String(checkIn._id)} seconds={props.undoSeconds} />
        ) : (
          ""
        )}
        {verdict.outcome === "already" && checkIn ? (
          <p class="meta">{t("In since {time}", { time: fmtTime(checkIn.checkInTime) })}</p>
        ) : (
          ""
        )}
        {verdict.outcome === "decide" && participant ? (
          <div class="actions">
            <form hx-post={DOOR.page({ sessionId: id })} hx-target="#verdict">
              <input type="hidden" name="participantId" value={String(participant._id)} />
              <input type="hidden" name="acceptUnregistered" value="1" />
              <button type="submit" class="accept">
                {t("Accept anyway")}
              </button>
            </form>
            <form hx-post={DOOR.decline({ sessionId: id })} hx-target="#verdict" class="decline-form">
              <input type="hidden" name="participantId" value={String(participant._id)} />
              <input
                name="reason"
                maxlength="500"
                placeholder={tAttr("Reason (optional)")}
                aria-label={tAttr("Reason (optional)")}
              />
              <button type="submit" class="decline">
                {t("Decline")}
              </button>
            </form>
          </div>
        ) : (
          ""
        )}
      </div>
      <CountBadge session={session} count={props.result.count} oob />
    </>
  );
}

export function Declined(props: { participant: Person; reason: string }) {
  return (
    <div class="verdict red" data-outcome="declined" data-reason="declined">
      <p class="headline">{t("Declined")}</p>
      <p class="person" safe>
        {props.participant.name}
      </p>
      <p class="reason" safe>
        {props.reason}
      </p>
    </div>
  );
}

/** A walk-in's new badge, to photograph or print at once. */
export function WalkInBadge(props: { qrSvg: string }) {
  return (
    <div class="walk-in-badge">
      {/* The SVG comes from the QR library, drawn from a generated code: no user text in it. */}
      <div class="qr">{props.qrSvg as "safe"}</div>
      <p>{t("New badge: photograph or print this code.")}</p>
    </div>
  );
}

/** What an exit scan found. */
export function ExitVerdict(props: { outcome: ExitOutcome; participant: Person | null; code: string }) {
  const tone = props.outcome === "left" ? "blue" : props.outcome === "unknown" ? "red" : "grey";
  return (
    <div class={`verdict ${tone}`} data-outcome={`exit-${props.outcome}`} data-reason={props.outcome}>
      <p class="headline">
        <span class="icon" aria-hidden="true">
          ←
        </span>{" "}
        {props.outcome === "left" ? t("Goodbye") : t("Exit")}
      </p>
      {props.participant ? (
        <PersonLines participant={props.participant} />
      ) : (
        <p class="person" safe>
          {props.code}
        </p>
      )}
      <p class="reason">{t(EXIT_TEXT[props.outcome])}</p>
    </div>
  );
}

export function Undone(props: { participant: Person | null; undid: "admission" | "reentry" }) {
  return (
    <div class="verdict grey" data-outcome="undone" data-reason={`${props.undid}_undone`}>
      <p class="headline">
        <span class="icon" aria-hidden="true">
          ↶
        </span>{" "}
        {t("Undone")}
      </p>
      <p class="person" safe>
        {props.participant?.name ?? ""}
      </p>
      <p class="reason">
        {props.undid === "reentry"
          ? t("The re-entry was taken back: the person counts as outside.")
          : t("The check-in was taken back: the seat and the count are free again.")}
      </p>
    </div>
  );
}
