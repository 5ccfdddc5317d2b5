import { csrf, leaseId } from "./page";
import type { Door } from "./queue";
import { queueOf } from "./store";

// A device set to a room (`/scan/room/<room>`) follows that room: when the server says another
// session of the room is the one at the door now, the page switches to it in place (no reload:
// the queue, the camera and the direction stay), takes that session's snapshot and lease, and
// gives the last session's lease back. Scans still queued keep their own session and replay as
// before.

const ROOM_CHECK_MS = 20_000;

/** The parts of the door page that belong to its session, replaced from the next session's page. */
const SESSION_PARTS = [".scanner-head", ".walk-in", ".search"];

async function switchTo(door: Door, sessionId: string, room: string): Promise<boolean> {
  const url = `/scan/${encodeURIComponent(sessionId)}?room=${encodeURIComponent(room)}`;
  const response = await fetch(url, { headers: { accept: "text/html" } }).catch(() => null);
  if (!response?.ok) return false;
  const next = new DOMParser().parseFromString(await response.text(), "text/html");
  if (!next.querySelector(`.scanner[data-session="${CSS.escape(sessionId)}"]`)) return false;
  const before = door.session;
  const anchor = door.root.querySelector(".search");
  for (const selector of SESSION_PARTS) {
    const mine = door.root.querySelector(selector);
    const theirs = next.querySelector(selector);
    if (mine && theirs) mine.replaceWith(theirs);
    else if (mine) mine.remove();
    else if (theirs && selector !== ".search") (anchor ?? door.root).before(theirs);
  }
  door.root.querySelector("#scan-form")?.setAttribute("action", `/scan/${sessionId}`);
  door.root.querySelector("#verdict")?.replaceChildren();
  door.root.dataset.session = sessionId;
  door.session = sessionId;
  document.title = next.title;
  history.replaceState(null, "", url);
  window.htmx?.process(door.root);
  // The last session's seats go back to the pool now, unless this device still owes it scans.
  if (!(await queueOf(door.account)).some((item) => item.sessionId === before))
    void fetch(`/scan/${before}/lease?lease=${leaseId()}`, {
      method: "DELETE",
      headers: { "x-csrf-token": csrf() },
    }).catch(() => undefined);
  return true;
}

export function followRoom(door: Door, online: () => boolean, switched: () => Promise<void>): void {
  const room = door.root.dataset.room;
  if (!room) return;
  const check = async () => {
    if (!online()) return;
    const response = await fetch(`/scan/room/${encodeURIComponent(room)}/now`, {
      headers: { accept: "application/json" },
    }).catch(() => null);
    if (!response?.ok) return;
    const now = (await response.json().catch(() => ({}))) as { sessionId?: string };
    if (now.sessionId && now.sessionId !== door.session && (await switchTo(door, now.sessionId, room)))
      await switched();
  };
  setInterval(() => void check(), ROOM_CHECK_MS);
}
