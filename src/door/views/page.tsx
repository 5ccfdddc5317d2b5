import { fmtTime, registrationWord, statusWord, zoneName } from "../../../views/components";
import { Layout } from "../../../views/layout";
import type { Person } from "../../participants/directory";
import type { RegistrationStatus } from "../../registrations/statuses";
import type { SessionDoc } from "../../sessions/repo";
import { t, tAttr } from "../../web/reader";
import { DOOR } from "../paths";
import type { PickerGroups } from "../picker";
import { DOOR_WORDS } from "../words";

export interface SessionSummary {
  session: SessionDoc;
  count: number;
}

export function CountBadge(props: SessionSummary & { oob?: boolean }) {
  const { session, count } = props;
  const limited = session.capacity > 0;
  const pct = limited ? Math.min(100, Math.round((count / session.capacity) * 100)) : 0;
  return (
    <div id="count" class="count" hx-swap-oob={props.oob ? "true" : undefined}>
      <strong safe>{String(count)}</strong>
      {limited ? <span safe>/ {String(session.capacity)}</span> : <span>{t("checked in")}</span>}
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

function SessionItem({ session, count }: SessionSummary) {
  return (
    <li class={`status-${session.status}`}>
      <a href={DOOR.page({ sessionId: String(session._id) })}>
        <span class="name" safe>
          {session.name}
        </span>
        <span class="meta" safe>
          {`${session.location ?? ""} · ${tAttr("day {day}", { day: session.day })} · ${fmtTime(session.startTime)}–${fmtTime(session.endTime)} · ${statusWord(session.status)}`}
        </span>
        <span class="meta">
          {session.capacity > 0
            ? t("{count} / {capacity}", { count, capacity: session.capacity })
            : t("{count} in", { count })}
        </span>
      </a>
    </li>
  );
}

/** Open now and next first, then every session by day; a room filter for doors that stay put. */
export function SessionPicker(props: { groups: PickerGroups<SessionSummary>; room?: string }) {
  const { groups, room } = props;
  const list = (items: SessionSummary[]) => (
    <ul class="sessions">
      {items.map((item) => (
        <SessionItem {...item} />
      ))}
    </ul>
  );
  return (
    <Layout title={tAttr("Choose a session")}>
      <h1>{t("Choose the session at your door")}</h1>
      <form method="get" action={DOOR.picker()} class="settings room-filter">
        <label>
          {t("Room")}{" "}
          <select name="room">
            <option value="">{t("All rooms")}</option>
            {groups.rooms.map((name) => (
              <option value={name} selected={name === room} safe>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t("Show")}</button>
        {room ? <a href={DOOR.room({ room })}>{t("Set this device to this room")}</a> : ""}
      </form>
      {groups.days.length === 0 ? <p class="empty">{t("No session to show.")}</p> : ""}
      {groups.open.length > 0 ? (
        <section class="picker-open">
          <h2>{t("Open now")}</h2>
          {list(groups.open)}
        </section>
      ) : (
        ""
      )}
      {groups.next.length > 0 ? (
        <section class="picker-next">
          <h2>{t("Next")}</h2>
          {list(groups.next)}
        </section>
      ) : (
        ""
      )}
      <div class="picker-days">
        {groups.days.map(({ day, sessions }) => (
          <details class="picker-day" open={groups.open.length + groups.next.length === 0}>
            <summary>{t("Day {day} · {count} sessions", { day, count: sessions.length })}</summary>
            {list(sessions)}
          </details>
        ))}
      </div>
    </Layout>
  );
}

/** Registering a walk-in at the door (where the session allows it). */
function WalkInForm(props: { sessionId: string }) {
  return (
    <details class="walk-in">
      <summary>{t("Register a walk-in")}</summary>
      <form hx-post={DOOR.walkIn({ sessionId: props.sessionId })} hx-target="#verdict" class="settings">
        <label>
          {t("Name")} <input name="name" required maxlength="200" autocomplete="off" />
        </label>
        <label>
          {t("Email")} <input name="email" type="email" required maxlength="254" autocomplete="off" />
        </label>
        <label>
          {t("Organization")} <input name="organization" maxlength="200" autocomplete="off" />
        </label>
        <button type="submit">{t("Register and check in")}</button>
      </form>
    </details>
  );
}

/** Finding someone by name, organisation or whole e-mail, accents and case aside. */
function DoorSearch(props: { sessionId: string }) {
  return (
    <details class="search">
      <summary>{t("Find by name or email")}</summary>
      <input
        type="search"
        name="q"
        placeholder={tAttr("Name or email")}
        aria-label={tAttr("Find by name or email")}
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
  /** Their account ("user:<id>" or "token:<id>"): queued scans are sent only under it. */
  account: string;
  undoSeconds: number;
  /** Set to a room: the page follows that room's sessions by itself. */
  room?: string;
}

export function ScannerPage(props: SessionSummary & { door: DoorSettings }) {
  const { session, door } = props;
  const id = String(session._id);
  return (
    <Layout
      title={tAttr("Scan · {session}", { session: session.name })}
      scripts={["/assets/jsQR.js", "/assets/scanner.js"]}
      words={DOOR_WORDS}
      manifest
    >
      <section
        class="scanner"
        data-session={id}
        data-staff={door.staff}
        data-account={door.account}
        data-undo-seconds={String(door.undoSeconds)}
        data-zone={zoneName()}
        data-room={door.room}
      >
        <div id="door-status" class="door-status online" role="status" aria-live="polite">
          <span class="state">{t("Online")}</span> · <span class="waiting">{t("{n} waiting", { n: 0 })}</span>
          <span class="lease" hidden></span>
        </div>
        <div id="foreign-queue" class="foreign-queue" role="status" hidden>
          <p class="words"></p>
          <button type="button" id="hand-over" class="secondary">
            {t("Hand these scans to an admin")}
          </button>
          <p class="result"></p>
        </div>
        <div class="scanner-head">
          <div>
            {door.room ? (
              <p class="room-bound" safe>
                {tAttr("Following room {room}: the next session opens here by itself", { room: door.room })}
              </p>
            ) : (
              ""
            )}
            <h1 safe>{session.name}</h1>
            <p class="meta" safe>
              {`${session.location ?? ""} · ${fmtTime(session.startTime)}–${fmtTime(session.endTime)} ${zoneName()} · ${statusWord(session.status)}`}
            </p>
            <p class="meta">
              <span safe>{door.staff}</span> · {t("device")}{" "}
              <strong id="device-label">{t("not named")}</strong>{" "}
              <button type="button" id="device-rename" class="link">
                {t("name this device")}
              </button>
            </p>
          </div>
          <CountBadge {...props} />
        </div>
        <form id="scan-form" class="scan-form" action={DOOR.page({ sessionId: id })} method="post">
          <fieldset class="direction">
            <legend>{t("Door")}</legend>
            <label>
              <input type="radio" name="direction" value="entry" checked /> {t("Entry")}
            </label>
            <label>
              <input type="radio" name="direction" value="exit" /> {t("Exit")}
            </label>
          </fieldset>
          <label for="code">{t("Badge code")}</label>
          <input
            id="code"
            name="code"
            autocomplete="off"
            autocapitalize="characters"
            spellcheck="false"
            autofocus
            required
            maxlength="64"
            placeholder={tAttr("Scan or type a badge code, then Enter")}
          />
          <button type="submit">{t("Check")}</button>
          <button type="button" id="camera-toggle" class="secondary">
            {t("Camera")}
          </button>
        </form>
        <video id="camera" muted hidden></video>
        <div id="verdict" class="verdict-slot" aria-live="assertive" aria-atomic="true"></div>
        <details id="sync-report" class="sync-report" hidden>
          <summary>
            {t("Sync report:")} <span class="synced">0</span> {t("synced,")} <span class="conflicts">0</span>{" "}
            {t("differ")}
          </summary>
          <ul></ul>
        </details>
        {session.walkIns ? <WalkInForm sessionId={id} /> : ""}
        <DoorSearch sessionId={id} />
      </section>
    </Layout>
  );
}

export interface Found {
  person: Person;
  /** The person's registration for this session, if any. */
  registration: RegistrationStatus | null;
}

export function SearchResults(props: { sessionId: string; people: Found[]; query: string }) {
  if (props.query.length < 2) return <p class="meta">{t("Type at least two characters.")}</p>;
  if (props.people.length === 0) return <p class="meta">{t("Nobody matches.")}</p>;
  return (
    <ul class="results">
      {props.people.map(({ person: p, registration }) => (
        <li>
          <span safe>{`${p.name}${p.organization ? ` · ${p.organization}` : ""}`}</span>
          <span class={`reg reg-${registration ?? "none"}`}>
            {registration
              ? t("registered: {status}", { status: registrationWord(registration) })
              : t("not registered")}
          </span>
          <form hx-post={DOOR.page({ sessionId: props.sessionId })} hx-target="#verdict">
            <input type="hidden" name="participantId" value={String(p._id)} />
            <input type="hidden" name="method" value="search" />
            <button type="submit">{t("Check in")}</button>
          </form>
        </li>
      ))}
    </ul>
  );
}
