import { fmtDateTime, zoneName } from "../../views/components";
import { Layout } from "../../views/layout";
import type { Phrase, Text } from "../i18n/locale";
import { PARTICIPANT_PAGES } from "../participants/paths";
import { wallClock } from "../time/zone";
import { sayHere, t, tAttr } from "../web/reader";
import type { SessionAttendance } from "./history";
import type { HistoryEvent } from "./minutes";
import { ATTENDANCE_PAGE, CERTIFICATE_PAGES } from "./paths";

export interface SessionHistory extends SessionAttendance {
  events: (HistoryEvent & { by: string | null; note: string | null; offline: boolean })[];
}

const KIND_WORDS: Record<HistoryEvent["kind"], Text> = {
  entry: "entry",
  exit: "exit",
  undo: "check-in undone",
  void: "voided an event",
};

/** One session's history: each event, with a button to void it; and the form to add one. */
function History(props: { id: string; session: SessionHistory }) {
  const { id, session } = props;
  const voided = new Set(session.events.filter((e) => e.kind === "void").map((e) => e.voids));
  return (
    <section class="attendance-session" data-session={session.sessionId}>
      <h2 safe>{session.name}</h2>
      <p class="figures" safe>
        {`${tAttr("{n} min inside · {percent} % of the session", { n: session.minutes, percent: session.percent })} · ${
          session.credited
            ? tAttr("credited: {n} {n|credit|credits}", { n: session.credits })
            : tAttr("not credited")
        }`}
      </p>
      <table class="overview">
        <thead>
          <tr>
            <th scope="col">{t("When ({zone})", { zone: zoneName() })}</th>
            <th scope="col">{t("What")}</th>
            <th scope="col">{t("By, note")}</th>
            <th scope="col"></th>
          </tr>
        </thead>
        <tbody>
          {session.events.map((e) => (
            <tr class={voided.has(e.id) ? "voided" : ""}>
              <td safe>{fmtDateTime(e.at)}</td>
              <td
                safe
              >{`${tAttr(KIND_WORDS[e.kind])}${e.offline ? ` · ${tAttr("offline")}` : ""}${voided.has(e.id) ? ` · ${tAttr("voided")}` : ""}`}</td>
              <td safe>{[e.by, e.note].filter(Boolean).join(" · ")}</td>
              <td>
                {e.kind !== "void" && e.kind !== "undo" && !voided.has(e.id) ? (
                  <form hx-post={ATTENDANCE_PAGE({ id })} hx-target="#attendance" hx-swap="outerHTML">
                    <input type="hidden" name="sessionId" value={session.sessionId} />
                    <input type="hidden" name="kind" value="void" />
                    <input type="hidden" name="eventId" value={e.id} />
                    <button type="submit" class="secondary">
                      {t("Void")}
                    </button>
                  </form>
                ) : (
                  ""
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form hx-post={ATTENDANCE_PAGE({ id })} hx-target="#attendance" hx-swap="outerHTML" class="filters">
        <input type="hidden" name="sessionId" value={session.sessionId} />
        <label>
          {t("Add a forgotten")}
          <select name="kind">
            <option value="exit">{t("exit")}</option>
            <option value="entry">{t("entry")}</option>
          </select>
        </label>
        <label>
          {t("at ({zone})", { zone: zoneName() })}
          <input type="datetime-local" name="at" required value={wallClock(session.endTime).slice(0, 16)} />
        </label>
        <label>
          {t("Note")}
          <input name="note" maxlength="500" />
        </label>
        <button type="submit">{t("Add")}</button>
      </form>
    </section>
  );
}

interface AttendanceProps {
  id: string;
  name: string;
  sessions: SessionHistory[];
  totalCredits: number;
  error?: Phrase;
}

/** What a correction re-renders: the figures, the histories and their forms. */
export function AttendanceBody(props: AttendanceProps) {
  return (
    <div id="attendance">
      <p>
        {t("{n} {n|credit|credits} in all.", { n: props.totalCredits })}{" "}
        <a href={CERTIFICATE_PAGES.one({ id: props.id })}>{t("Certificate")}</a> ·{" "}
        <a href={PARTICIPANT_PAGES.checkIns({ id: props.id })}>{t("Check-ins")}</a>
      </p>
      {props.error ? (
        <p class="error" role="alert" safe>
          {sayHere(props.error)}
        </p>
      ) : (
        ""
      )}
      <p class="meta">
        {t("Corrections are added to the history, never written over it, and recorded in the admin log.")}
      </p>
      {props.sessions.length === 0 ? <p>{t("No attendance yet.")}</p> : ""}
      <div class="attendance-sessions">
        {props.sessions.map((session) => (
          <History id={props.id} session={session} />
        ))}
      </div>
    </div>
  );
}

export function AttendancePage(props: AttendanceProps) {
  return (
    <Layout title={tAttr("Attendance · {name}", { name: props.name })}>
      <h1 safe>{props.name}</h1>
      <AttendanceBody {...props} />
    </Layout>
  );
}
