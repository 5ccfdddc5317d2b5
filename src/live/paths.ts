import { path } from "../web/paths";

/** Dashboards and the one WebSocket endpoint. */
export const LIVE = {
  overview: path("/live"),
  session: path("/live/:sessionId"),
  socket: path("/ws"),
};
