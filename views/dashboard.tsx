import type { Reason } from "../src/door/decide";
import { DOOR } from "../src/door/paths";
import type { Text } from "../src/i18n/locale";
import type { ScanEntry } from "../src/live/bus";
import type { Forecast } from "../src/live/figures";
import { LIVE } from "../src/live/paths";
import type { SessionDoc } from "../src/sessions/repo";
import { withQuery } from "../src/web/paths";
import { mayOpen, t, tAttr } from "../src/web/reader";
import { TimeChart } from "./charts";
import { fmtTime, statusWord, zoneName } from "./components";
import { Layout } from "./layout";

export interface LiveSession {
  session: SessionDoc;
  count: number;
  inside: number;
  late: number;
  registered: number;
  /** Seats leased to door devices for offline work (door/leases.ts), and the doors holding them. */
  held: number;
  holders: number;
  scansPerMinute: number;
  recent: ScanEntry[];
  /** First admissions per 5 minutes, and people inside over time (live/figures.ts). */
  arrivals: [Date, number][];
  insideOverTime: [Date, number][];
  forecast: Forecast;
  quietDoors: { door: string; silentMinutes: number }[];
  /** Doors holding seats that have not renewed their lease lately: offline, perhaps with scans queued. */
  silent?: { doors: number; seats: number; forMs: number };
}

const TONE: Record<string, string> = {
  accept: "green",
  decide: "amber",
  already: "grey",
  refuse: "red",
  declined: "red",
};

function fill(state: Pick<LiveSession, "session" | "count">) {
  const { session, count } = state;
  if (session.capacity <= 0) return { pct: 0, label: `${count}`, level: "" };
  const pct = Math.min(100, Math.round((count / session.capacity) * 100));
  return {
    pct,
    label: `${count} / ${session.capacity}`,
    level: pct >= 100 ? "full" : pct >= 80 ? "near" : "",
  };
}

const oob = (on: boolean) => (on ? "true" : undefined);

/** What a scan in the feed came to, in a word or two. */
const REASON_WORDS: Record<string, Text> = {
  ok: "admitted",
  reentry: "re-entry",
  already_checked_in: "already in",
  not_registered: "not registered",
  registration_cancelled: "registration cancelled",
  invite_only: "invite only",
  session_full: "full",
  session_not_open: "not open",
  session_ended: "ended",
  unknown_code: "unknown badge",
  inactive_participant: "badge deactivated",
  superseded: "older than their last move",
  turned_away_offline: "turned away offline",
  offline_share_used_up: "offline share used up",
  declined: "declined",
  left: "left",
  undone: "undone",
} satisfies Partial<Record<Reason | "offline_share_used_up" | "declined" | "left" | "undone", Text>>;
/** A known reason in the reader's language; anything else is what staff typed when declining. */
const reasonWord = (reason: string): string => {
  const word = REASON_WORDS[reason];
  return word ? tAttr(word) : `${tAttr("declined")}: ${reason}`;
};

export function OverviewRow(props: { state: LiveSession; oob?: boolean }) {
  const { session, inside, late, registered, scansPerMinute, count } = props.state;
  const f = fill(props.state);
  return (
    <tr
      id={`row-${session._id}`}
      class={`status-${session.status} ${f.level}`}
      hx-swap-oob={oob(Boolean(props.oob))}
    >
      <td>
        <a href={LIVE.session({ sessionId: String(session._id) })} safe>
          {session.name}
        </a>
        <div class="meta" safe>
          {`${session.location ?? ""} · ${fmtTime(session.startTime)}–${fmtTime(session.endTime)}`}
        </div>
        {/* What needs attention, under the session's name: a column more does not fit a phone. */}
        <ForecastLine forecast={props.state.forecast} short />
        {props.state.quietDoors.length > 0 || (props.state.silent?.doors ?? 0) > 0 ? (
          <div
            class="quiet-flag"
            data-quiet-doors={String(props.state.quietDoors.length + (props.state.silent?.doors ?? 0))}
          >
            {t("{n} quiet {n|door|doors}", {
              n: props.state.quietDoors.length + (props.state.silent?.doors ?? 0),
            })}
          </div>
        ) : (
          ""
        )}
      </td>
      <td class="status" safe>
        {statusWord(session.status)}
      </td>
      <td>
        <div class="cap" safe>
          {f.label}
        </div>
        {session.capacity > 0 ? (
          <div class={`bar ${f.level}`}>
            <div style={`width:${f.pct}%`}></div>
          </div>
        ) : (
          ""
        )}
      </td>
      <td class="num" safe>
        {String(inside)}
      </td>
      <td class="num" safe>
        {String(late)}
      </td>
      <td class="num" safe>{`${registered} / ${count}`}</td>
      <td class="num" safe>
        {String(scansPerMinute)}
      </td>
    </tr>
  );
}

export function OverviewPage(props: { rows: LiveSession[] }) {
  return (
    <Layout title={tAttr("Event overview")} scripts={["/assets/hx-ws.js"]}>
      <h1>{t("Event overview")}</h1>
      <div hx-ws:connect={withQuery(LIVE.socket(), { topics: "overview" })}>
        <table class="overview" tabindex="0">
          <thead>
            <tr>
              <th>{t("Session")}</th>
              <th>{t("Status")}</th>
              <th>{t("Checked in")}</th>
              <th>{t("Inside")}</th>
              <th>{t("Late")}</th>
              <th>{t("Registered / attended")}</th>
              <th>{t("Scans/min")}</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((state) => (
              <OverviewRow state={state} />
            ))}
          </tbody>
        </table>
      </div>
    </Layout>
  );
}

/** People inside over time against the capacity, and arrivals per 5 minutes, on the event's clock. */
export function Chart(props: { state: LiveSession; oob?: boolean }) {
  const { session, insideOverTime, arrivals } = props.state;
  const now = Date.now();
  const firstMove = Math.min(...[...insideOverTime, ...arrivals].map(([at]) => at.getTime()));
  const start = new Date(Math.min(session.startTime.getTime(), firstMove));
  // The session's span, or up to now while it runs, at least half an hour.
  const end = new Date(
    Math.max(start.getTime() + 30 * 60_000, Math.min(session.endTime.getTime(), Math.max(now, firstMove))),
  );
  const id = String(session._id);
  return (
    <section id={`chart-${id}`} class="charts" hx-swap-oob={oob(Boolean(props.oob))}>
      <TimeChart
        id={`inside-${id}`}
        title={tAttr("People inside over time")}
        start={start}
        end={end}
        series={[{ kind: "step", points: insideOverTime, label: "Inside", class: "inside" }]}
        {...(session.capacity > 0 ? { capacity: session.capacity } : {})}
      />
      <TimeChart
        id={`arrivals-${id}`}
        title={tAttr("Arrivals per 5 minutes")}
        start={start}
        end={end}
        bucketMinutes={5}
        series={[{ kind: "bars", points: arrivals, label: "Arrivals", class: "arrivals" }]}
      />
    </section>
  );
}

/** What needs someone's attention: the room filling at the current pace, doors gone quiet. */
export function Alerts(props: { state: LiveSession; oob?: boolean }) {
  const { session, forecast, quietDoors, silent } = props.state;
  const offline = silent && silent.doors > 0 ? silent : null;
  return (
    <section
      id={`alerts-${session._id}`}
      class="alerts"
      aria-live="polite"
      hx-swap-oob={oob(Boolean(props.oob))}
      data-forecast-minutes={
        forecast && !forecast.full ? String(forecast.minutes) : forecast?.full ? "0" : undefined
      }
      data-quiet-doors={String(quietDoors.length + (offline?.doors ?? 0))}
    >
      <ForecastLine forecast={forecast} />
      {quietDoors.length > 0 || offline ? (
        <ul class="quiet-doors">
          {quietDoors.map((d) => (
            <li class="quiet-door" data-door={d.door}>
              {t("Door “{door}” was scanning and has sent nothing for {n} min", {
                door: d.door,
                n: d.silentMinutes,
              })}
            </li>
          ))}
          {offline ? (
            <li>
              {t(
                "{doors} {doors|door|doors} holding {seats} {seats|seat|seats} not heard from for {n} min: offline, maybe with scans queued",
                {
                  doors: offline.doors,
                  seats: offline.seats,
                  n: Math.floor(offline.forMs / 60_000),
                },
              )}
            </li>
          ) : (
            ""
          )}
        </ul>
      ) : (
        ""
      )}
    </section>
  );
}

/** The forecast in a sentence (the session's dashboard) or in a few words (an overview cell). */
function ForecastLine(props: { forecast: Forecast; short?: boolean }) {
  const { forecast } = props;
  if (!forecast) return "";
  if (forecast.full) return <p class="forecast soon">{t("Full")}</p>;
  return (
    <p class={`forecast${forecast.minutes <= 10 ? " soon" : ""}`}>
      {props.short
        ? t("Full in ~{n} min", { n: forecast.minutes })
        : t("Full in about {n} min at the current pace", { n: forecast.minutes })}
    </p>
  );
}

export function Counters(props: { state: LiveSession; oob?: boolean; changedAt?: number }) {
  const { session, inside, late, registered, scansPerMinute } = props.state;
  const f = fill(props.state);
  return (
    <section
      id={`live-${session._id}`}
      class={`counters ${f.level}`}
      hx-swap-oob={oob(Boolean(props.oob))}
      data-changed-at={props.changedAt === undefined ? undefined : String(props.changedAt)}
    >
      <div class="big">
        <strong safe>{f.label}</strong>
        <span safe>{`${tAttr("checked in")} · ${statusWord(session.status)}`}</span>
      </div>
      {session.capacity > 0 ? (
        <div class={`bar ${f.level}`}>
          <div style={`width:${f.pct}%`}></div>
        </div>
      ) : (
        ""
      )}
      <dl>
        <dt>{t("Inside now")}</dt>
        <dd safe>{String(inside)}</dd>
        <dt>{t("Late")}</dt>
        <dd safe>{String(late)}</dd>
        <dt>{t("Registered")}</dt>
        <dd safe>{String(registered)}</dd>
        <dt>{t("Scans/min")}</dt>
        <dd safe>{String(scansPerMinute)}</dd>
        {props.state.held > 0 ? (
          <>
            <dt>{t("Held for {doors} offline doors", { doors: props.state.holders })}</dt>
            <dd class="held" data-held={String(props.state.held)} safe>
              {String(props.state.held)}
            </dd>
          </>
        ) : (
          ""
        )}
      </dl>
    </section>
  );
}

export function Feed(props: { state: LiveSession; oob?: boolean }) {
  const { session, recent } = props.state;
  return (
    <ol id={`feed-${session._id}`} class="feed" hx-swap-oob={oob(Boolean(props.oob))}>
      {recent.map((entry) => (
        <li class={`${TONE[entry.outcome] ?? "grey"}${entry.conflict ? " conflict" : ""}`}>
          <span class="time" safe>
            {fmtTime(new Date(entry.at))}
          </span>
          <span class="who" safe>
            {entry.name}
          </span>
          <span class="what" safe>
            {`${reasonWord(entry.reason)}${entry.late ? ` · ${tAttr("late")}` : ""}`}
          </span>
          {entry.conflict ? (
            <span class="conflict-note" safe>
              {tAttr("Conflict: an offline door said {verdict}", { verdict: reasonWord(entry.conflict) })}
            </span>
          ) : (
            ""
          )}
          <span class="door" safe>
            {[entry.by, entry.door].filter(Boolean).join(" · ")}
          </span>
        </li>
      ))}
    </ol>
  );
}

/** The live parts of a session dashboard; as a WebSocket message every part swaps by id. */
export function SessionLive(props: { state: LiveSession; oob?: boolean; changedAt?: number }) {
  return (
    <>
      <Counters {...props} />
      <Alerts state={props.state} oob={props.oob} />
      <Chart state={props.state} oob={props.oob} />
      <Feed state={props.state} oob={props.oob} />
    </>
  );
}

export function SessionDashboard(props: { state: LiveSession }) {
  const { session } = props.state;
  return (
    <Layout title={tAttr("Live · {session}", { session: session.name })} scripts={["/assets/hx-ws.js"]}>
      <h1 safe>{session.name}</h1>
      <p class="meta" safe>
        {`${session.location ?? ""} · ${fmtTime(session.startTime)}–${fmtTime(session.endTime)} ${zoneName()}`}
      </p>
      <div hx-ws:connect={withQuery(LIVE.socket(), { topics: `session:${session._id}` })} class="dashboard">
        <SessionLive state={props.state} />
      </div>
      <p>
        {mayOpen(DOOR.page({ sessionId: String(session._id) })) ? (
          <>
            <a href={DOOR.page({ sessionId: String(session._id) })}>{t("Open the door scanner")}</a> ·{" "}
          </>
        ) : (
          ""
        )}
        <a href={LIVE.overview()}>{t("Event overview")}</a>
      </p>
    </Layout>
  );
}
