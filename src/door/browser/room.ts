import type { DoorPage } from "./page";

// A device set to a room (`/scan/room/<room>`) follows that room: when the server says another
// session of the room is the one at the door now, the page moves to it. Scans still queued
// keep their own session and replay from the next page as from this one.

const ROOM_CHECK_MS = 20_000;

export function followRoom(door: DoorPage, online: () => boolean): void {
  const room = door.root.dataset.room;
  if (!room) return;
  const check = async () => {
    if (!online()) return;
    const response = await fetch(`/scan/room/${encodeURIComponent(room)}/now`, {
      headers: { accept: "application/json" },
    }).catch(() => null);
    if (!response?.ok) return;
    const now = (await response.json().catch(() => ({}))) as { sessionId?: string };
    if (now.sessionId && now.sessionId !== door.session)
      location.assign(`/scan/${encodeURIComponent(now.sessionId)}?room=${encodeURIComponent(room)}`);
  };
  setInterval(() => void check(), ROOM_CHECK_MS);
}
