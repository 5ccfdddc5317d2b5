import type { Reason } from "../src/door/decide";
import { DOOR } from "../src/door/paths";
import type { Text } from "../src/i18n/locale";
import type { ScanEntry } from "../src/live/bus";
import { LIVE } from "../src/live/paths";
import type { SessionDoc } from "../src/sessions/repo";
import { withQuery } from "../src/web/paths";
import { mayOpen, t, tAttr } from "../src/web/reader";
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
  timeline: [Date, number][];
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

/** Cumulative check-ins over time, as an inline SVG (no client-side charting). */
export function Chart(props: { state: LiveSession; oob?: boolean }) {
  const { timeline, session } = props.state;
  const width = 600;
  const height = 140;
  let total = 0;
  const points = timeline.map(([at, n]) => {
    total += n;
    return [at.getTime(), total] as const;
  });
  const first = points[0]?.[0] ?? Date.now();
  const last = Math.max(points.at(-1)?.[0] ?? first, first + 60_000);
  const top = Math.max(total, session.capacity, 1);
  const x = (t: number) => Math.round(((t - first) / (last - first)) * (width - 20)) + 10;
  const y = (n: number) => Math.round(height - 10 - (n / top) * (height - 20));
  const path = points.map(([t, n], i) => `${i === 0 ? "M" : "L"}${x(t)},${y(n)}`).join(" ");
  return (
    <figure id={`chart-${session._id}`} class="chart" hx-swap-oob={oob(Boolean(props.oob))}>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={tAttr("Check-ins over time: {total}", { total })}
      >
        {session.capacity > 0 ? (
          <line
            x1="10"
            x2={String(width - 10)}
            y1={String(y(session.capacity))}
            y2={String(y(session.capacity))}
            class="cap-line"
          />
        ) : (
          ""
        )}
        <path d={path || `M10,${height - 10}`} class="series" />
      </svg>
      <figcaption>{t("Check-ins over time ({total})", { total })}</figcaption>
    </figure>
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
