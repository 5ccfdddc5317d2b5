import type { ScanResult } from "../src/checkin/scan";
import type { Person } from "../src/participants/directory";
import type { ParticipantDoc } from "../src/participants/repo";
import type { SessionDoc } from "../src/sessions/repo";
import { fmtTime } from "./components";
import { Layout } from "./layout";

export interface SessionSummary {
  session: SessionDoc;
  count: number;
}

const TONE: Record<string, string> = { accept: "green", decide: "amber", already: "grey", refuse: "red" };

export function CountBadge(props: SessionSummary & { oob?: boolean }) {
  const { session, count } = props;
  const limited = session.capacity > 0;
  const pct = limited ? Math.min(100, Math.round((count / session.capacity) * 100)) : 0;
  return (
    <div id="count" class="count" hx-swap-oob={props.oob ? "true" : undefined}>
      <strong safe>{String(count)}</strong>
      {limited ? <span safe>/ {String(session.capacity)}</span> : <span>checked in</span>}
      {limited ? (
        <div class={`bar ${pct >= 100 ? "full" : pct >= 80 ? "near" : ""}`}>
          <div style={`width:${pct}%`}></div>
        </div>
      ) : (
        ""
      )}
    </div>
  );
}

export function SessionPicker(props: { sessions: SessionSummary[] }) {
  return (
    <Layout title="Choose a session">
      <h1>Choose the session at your door</h1>
      <ul class="sessions">
        {props.sessions.map(({ session, count }) => (
          <li class={`status-${session.status}`}>
            <a href={`/scan/${session._id}`}>
              <span class="name" safe>
                {session.name}
              </span>
              <span class="meta" safe>
                {`${session.location ?? ""} · day ${session.day} · ${fmtTime(session.startTime)}–${fmtTime(session.endTime)} · ${session.status}`}
              </span>
              <span class="meta" safe>
                {session.capacity > 0 ? `${count} / ${session.capacity}` : `${count} in`}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </Layout>
  );
}

export function ScannerPage(props: SessionSummary) {
  const { session } = props;
  const id = String(session._id);
  return (
    <Layout title={`Scan · ${session.name}`} scripts={["/assets/jsQR.js", "/assets/scanner.js"]}>
      <section class="scanner" data-session={id}>
        <div class="scanner-head">
          <div>
            <h1 safe>{session.name}</h1>
            <p class="meta" safe>
              {`${session.location ?? ""} · ${fmtTime(session.startTime)}–${fmtTime(session.endTime)} UTC · ${session.status}`}
            </p>
          </div>
          <CountBadge {...props} />
        </div>
        <form
          id="scan-form"
          class="scan-form"
          hx-post={`/scan/${id}`}
          hx-target="#verdict"
          hx-swap="innerHTML"
        >
          <label for="code">Badge code</label>
          <input
            id="code"
            name="code"
            autocomplete="off"
            autocapitalize="characters"
            spellcheck="false"
            autofocus
            required
            maxlength="64"
            placeholder="Scan or type a badge code, then Enter"
          />
          <button type="submit">Check</button>
          <button type="button" id="camera-toggle" class="secondary">
            Camera
          </button>
        </form>
        <video id="camera" muted hidden></video>
        <div id="verdict" class="verdict-slot" aria-live="assertive"></div>
        <details class="search">
          <summary>Find by name or email</summary>
          <input
            type="search"
            name="q"
            placeholder="Name or email"
            hx-get={`/scan/${id}/search`}
            hx-trigger="input changed delay:250ms, search"
            hx-target="#search-results"
            maxlength="100"
          />
          <div id="search-results"></div>
        </details>
      </section>
    </Layout>
  );
}

const HEADLINE: Record<string, string> = {
  accept: "Welcome",
  decide: "Needs a decision",
  already: "Already checked in",
  refuse: "Not admitted",
};

/** The verdict that fills the screen, plus the live count swapped out of band. */
export function Verdict(props: { result: ScanResult; message: string; code: string }) {
  const { verdict, participant, session, checkIn } = props.result;
  const tone = TONE[verdict.outcome] ?? "red";
  const id = String(session._id);
  return (
    <>
      <div class={`verdict ${tone}`} data-outcome={verdict.outcome} data-reason={verdict.reason}>
        <p class="headline" safe>
          {HEADLINE[verdict.outcome] ?? ""}
        </p>
        {participant ? (
          <>
            <p class="person" safe>
              {participant.name}
            </p>
            <p class="org" safe>
              {participant.organization ?? ""}
            </p>
          </>
        ) : (
          <p class="person" safe>
            {props.code}
          </p>
        )}
        <p class="reason" safe>
          {props.message}
        </p>
        {verdict.outcome === "accept" && verdict.isLate ? <p class="late">Late arrival</p> : ""}
        {verdict.outcome === "already" && checkIn ? (
          <p class="meta" safe>{`In since ${fmtTime(checkIn.checkInTime)} UTC`}</p>
        ) : (
          ""
        )}
        {verdict.outcome === "decide" && participant ? (
          <div class="actions">
            <form hx-post={`/scan/${id}`} hx-target="#verdict">
              <input type="hidden" name="participantId" value={String(participant._id)} />
              <input type="hidden" name="acceptUnregistered" value="1" />
              <button type="submit" class="accept">
                Accept anyway
              </button>
            </form>
            <form hx-post={`/scan/${id}/decline`} hx-target="#verdict" class="decline-form">
              <input type="hidden" name="participantId" value={String(participant._id)} />
              <input name="reason" maxlength="500" placeholder="Reason (optional)" />
              <button type="submit" class="decline">
                Decline
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
    <div class="verdict red" data-outcome="declined">
      <p class="headline">Declined</p>
      <p class="person" safe>
        {props.participant.name}
      </p>
      <p class="reason" safe>
        {props.reason}
      </p>
    </div>
  );
}

export function SearchResults(props: { sessionId: string; people: ParticipantDoc[]; query: string }) {
  if (props.query.length < 2) return <p class="meta">Type at least two characters.</p>;
  if (props.people.length === 0) return <p class="meta">Nobody matches.</p>;
  return (
    <ul class="results">
      {props.people.map((p) => (
        <li>
          <span safe>{`${p.name}${p.organization ? ` · ${p.organization}` : ""}`}</span>
          <form hx-post={`/scan/${props.sessionId}`} hx-target="#verdict">
            <input type="hidden" name="participantId" value={String(p._id)} />
            <input type="hidden" name="method" value="search" />
            <button type="submit">Check in</button>
          </form>
        </li>
      ))}
    </ul>
  );
}
