import { Elysia, t } from "elysia";
import { localPath } from "../auth/landing";
import { LANGUAGE_COOKIE } from "../web/reader";
import { LOCALES } from "./locale";
import { LANGUAGE_SWITCH } from "./paths";

const YEAR_SECONDS = 365 * 24 * 3600;

/** The page the switch was used on (sent by the browser for same-site links), as a path here. */
function back(request: Request): string {
  const referer = request.headers.get("referer");
  if (!referer) return "/";
  try {
    const url = new URL(referer);
    return url.host === new URL(request.url).host || url.host === request.headers.get("host")
      ? (localPath(url.pathname + url.search) ?? "/")
      : "/";
  } catch {
    return "/";
  }
}

/** Sets this device's language (a preference, so a plain link may set it) and goes back. */
export const languageRoutes = new Elysia({ name: "language" }).get(
  LANGUAGE_SWITCH.pattern,
  ({ query, request }) =>
    new Response(null, {
      status: 303,
      headers: {
        location: back(request),
        "set-cookie": `${LANGUAGE_COOKIE}=${query.to}; Path=/; SameSite=Lax; Max-Age=${YEAR_SECONDS}`,
      },
    }),
  { query: t.Object({ to: t.UnionEnum(LOCALES) }) },
);
