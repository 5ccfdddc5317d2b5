import { path } from "../web/paths";

/** The door: pick a session, its page and what the page asks of the server. */
export const DOOR = {
  picker: path("/scan"),
  /** A device set to a room: the session of that room open now (then the next). */
  room: path("/scan/room/:room"),
  roomNow: path("/scan/room/:room/now"),
  page: path("/scan/:sessionId"),
  snapshot: path("/scan/:sessionId/snapshot"),
  /** The device's seat lease, given back when it leaves the session (DELETE). */
  lease: path("/scan/:sessionId/lease"),
  undo: path("/scan/:sessionId/undo"),
  walkIn: path("/scan/:sessionId/walk-in"),
  decline: path("/scan/:sessionId/decline"),
  search: path("/scan/:sessionId/search"),
};

/** Scans queued under another account on a device, handed to an admin. */
export const HANDOVERS = {
  receive: path("/scan/handover"),
  list: path("/admin/handovers"),
  replay: path("/admin/handovers/:id/replay"),
  discard: path("/admin/handovers/:id/discard"),
};
