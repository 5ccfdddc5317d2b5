import { EXIT_TEXT, type ExitOutcome } from "../src/checkin/decide";
import type { ScanResult } from "../src/checkin/scan";
import type { Person } from "../src/participants/directory";
import { DOOR } from "../src/scanner/paths";
import type { SessionDoc } from "../src/sessions/repo";
import { fmtTime, zoneName } from "./components";
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
            <a href={DOOR.page({ sessionId: String(session._id) })}>
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

/** Registering a walk-in at the door (where the session allows it). */
function WalkInForm(props: { sessionId: string }) {
  return (
    <details class="walk-in">
      <summary>Register a walk-in</summary>
      <form hx-post={DOOR.walkIn({ sessionId: props.sessionId })} hx-target="#verdict" class="settings">
        <label>
          Name <input name="name" required maxlength="200" autocomplete="off" />
        </label>
        <label>
          E-mail <input name="email" type="email" required maxlength="254" autocomplete="off" />
        </label>
        <label>
          Organization <input name="organization" maxlength="200" autocomplete="off" />
        </label>
        <button type="submit">Register and check in</button>
      </form>
    </details>
  );
}

/** Finding someone by name or e-mail, accents and case aside. */
function DoorSearch(props: { sessionId: string }) {
  return (
    <details class="search">
      <summary>Find by name or email</summary>
      <input
        type="search"
        name="q"
        placeholder="Name or email"
        aria-label="Find by name or email"
        hx-get={DOOR.search({ sessionId: props.sessionId })}
        hx-trigger="input changed delay:250ms, search"
        hx-target="#search-results"
        maxlength="100"
      />
      <div id="search-results"></div>
    </details>
  );
}

export interface DoorSettings {
  /** Who works the door (shown, and recorded with queued scans). */
  staff: string;
  undoSeconds: number;
}

export function ScannerPage(props: SessionSummary & { door: DoorSettings }) {
  const { session, door } = props;
  const id = String(session._id);
  return (
    <Layout
      title={`Scan · ${session.name}`}
      scripts={["/assets/idb.js", "/assets/jsQR.js", "/assets/scanner.js"]}
      manifest
    >
      <section
        class="scanner"
        data-session={id}
        data-staff={door.staff}
        data-undo-seconds={String(door.undoSeconds)}
      >
        <div id="door-status" class="door-status online" role="status" aria-live="polite">
          <span class="state">Online</span> · <span class="waiting">0 waiting</span>
        </div>
        <div class="scanner-head">
          <div>
            <h1 safe>{session.name}</h1>
            <p class="meta" safe>
              {`${session.location ?? ""} · ${fmtTime(session.startTime)}–${fmtTime(session.endTime)} ${zoneName()} · ${session.status}`}
            </p>
            <p class="meta">
              <span safe>{door.staff}</span> · device <strong id="device-label">not named</strong>{" "}
              <button type="button" id="device-rename" class="link">
                name this device
              </button>
            </p>
          </div>
          <CountBadge {...props} />
        </div>
        <form id="scan-form" class="scan-form" action={DOOR.page({ sessionId: id })} method="post">
          <fieldset class="direction">
            <legend>Door</legend>
            <label>
              <input type="radio" name="direction" value="entry" checked /> Entry
            </label>
            <label>
              <input type="radio" name="direction" value="exit" /> Exit
            </label>
          </fieldset>
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
        <div id="verdict" class="verdict-slot" aria-live="assertive" aria-atomic="true"></div>
        <details id="sync-report" class="sync-report" hidden>
          <summary>
            Sync report: <span class="synced">0</span> synced, <span class="conflicts">0</span> differ
          </summary>
          <ul></ul>
        </details>
        {session.walkIns ? <WalkInForm sessionId={id} /> : ""}
        <DoorSearch sessionId={id} />
      </section>
    </Layout>
  );
}

const HEADLINE: Record<string, string> = {
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
          participant.status !== "regular" ? participant.status.replace("_", " ") : "",
        ]
          .filter(Boolean)
          .join(" · ")}
      </p>
      {participant.doorNote ? (
        <p class="door-note" safe>
          {`Note: ${participant.doorNote}`}
        </p>
      ) : (
        ""
      )}
    </>
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
        Undo
      </button>
    </form>
  );
}

/** The verdict that fills the screen, plus the live count swapped out of band. */
export function Verdict(props: { result: ScanResult; message: string; code: string; undoSeconds: number }) {
  const { verdict, participant, session, checkIn } = props.result;
  const tone = TONE[verdict.outcome] ?? "red";
  const id = String(session._id);
  const headline = verdict.reason === "reentry" ? HEADLINE.reentry : HEADLINE[verdict.outcome];
  return (
    <>
      <div class={`verdict ${tone}`} data-outcome={verdict.outcome} data-reason={verdict.reason}>
        <p class="headline">
          <span class="icon" aria-hidden="true" safe>
            {ICON[verdict.outcome] ?? ""}
          </span>{" "}
          <span safe>{headline ?? ""}</span>
        </p>
        {participant ? (
          <PersonLines participant={participant} />
        ) : (
          <p class="person" safe>
            {props.code}
          </p>
        )}
        <p class="reason" safe>
          {props.message}
        </p>
        {verdict.outcome === "accept" && verdict.isLate ? <p class="late">Late arrival</p> : ""}
        {verdict.outcome === "accept" && checkIn && !props.result.replayed ? (
          <UndoButton sessionId={id} checkInId={String(checkIn._id)} seconds={props.undoSeconds} />
        ) : (
          ""
        )}
        {verdict.outcome === "already" && checkIn ? (
          <p class="meta" safe>{`In since ${fmtTime(checkIn.checkInTime)}`}</p>
        ) : (
          ""
        )}
        {verdict.outcome === "decide" && participant ? (
          <div class="actions">
            <form hx-post={DOOR.page({ sessionId: id })} hx-target="#verdict">
              <input type="hidden" name="participantId" value={String(participant._id)} />
              <input type="hidden" name="acceptUnregistered" value="1" />
              <button type="submit" class="accept">
                Accept anyway
              </button>
            </form>
            <form hx-post={DOOR.decline({ sessionId: id })} hx-target="#verdict" class="decline-form">
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

/** A walk-in's new badge, to photograph or print at once. */
export function WalkInBadge(props: { qrSvg: string }) {
  return (
    <div class="walk-in-badge">
      {/* The SVG comes from the QR library, drawn from a generated code: no user text in it. */}
      <div class="qr">{props.qrSvg as "safe"}</div>
      <p>New badge: photograph or print this code.</p>
    </div>
  );
}

/** What an exit scan found. */
export function ExitVerdict(props: { outcome: ExitOutcome; participant: Person | null; code: string }) {
  const tone = props.outcome === "left" ? "blue" : props.outcome === "unknown" ? "red" : "grey";
  return (
    <div class={`verdict ${tone}`} data-outcome={`exit-${props.outcome}`}>
      <p class="headline">
        <span class="icon" aria-hidden="true">
          ←
        </span>{" "}
        {props.outcome === "left" ? "Goodbye" : "Exit"}
      </p>
      {props.participant ? (
        <PersonLines participant={props.participant} />
      ) : (
        <p class="person" safe>
          {props.code}
        </p>
      )}
      <p class="reason">{EXIT_TEXT[props.outcome]}</p>
    </div>
  );
}

export function Undone(props: { participant: Person | null; undid: "admission" | "reentry" }) {
  return (
    <div class="verdict grey" data-outcome="undone">
      <p class="headline">
        <span class="icon" aria-hidden="true">
          ↶
        </span>{" "}
        Undone
      </p>
      <p class="person" safe>
        {props.participant?.name ?? ""}
      </p>
      <p class="reason">
        {props.undid === "reentry"
          ? "The re-entry was taken back: the person counts as outside."
          : "The check-in was taken back: the seat and the count are free again."}
      </p>
    </div>
  );
}

export interface Found {
  person: Person;
  /** The person's registration for this session, if any. */
  registration: string | null;
}

export function SearchResults(props: { sessionId: string; people: Found[]; query: string }) {
  if (props.query.length < 2) return <p class="meta">Type at least two characters.</p>;
  if (props.people.length === 0) return <p class="meta">Nobody matches.</p>;
  return (
    <ul class="results">
      {props.people.map(({ person: p, registration }) => (
        <li>
          <span safe>{`${p.name}${p.organization ? ` · ${p.organization}` : ""}`}</span>
          <span class={`reg reg-${registration ?? "none"}`}>
            {registration ? `registered: ${registration}` : "not registered"}
          </span>
          <form hx-post={DOOR.page({ sessionId: props.sessionId })} hx-target="#verdict">
            <input type="hidden" name="participantId" value={String(p._id)} />
            <input type="hidden" name="method" value="search" />
            <button type="submit">Check in</button>
          </form>
        </li>
      ))}
    </ul>
  );
}
