// Everything a run needs comes from the environment, with defaults that target the
// local cluster started by `npm start`.
export const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8080").replace(/\/$/, "");
export const API = `${BASE_URL}/api/v1`;
export const WS_URL = __ENV.WS_URL || `${BASE_URL.replace(/^http/, "ws")}/ws`;
export const TOKEN = __ENV.API_TOKEN || "";
export const RUN_ID = __ENV.RUN_ID || `k6-${Date.now().toString(36)}`;

export function num(name, fallback) {
  const value = __ENV[name];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got "${value}"`);
  return n;
}

/** WebSocket upgrades carry the token too. */
export const WS_PARAMS = TOKEN ? { headers: { authorization: `Bearer ${TOKEN}` } } : {};

export const JSON_HEADERS = {
  "content-type": "application/json",
  ...(TOKEN ? { authorization: `Bearer ${TOKEN}` } : {}),
};
