import { DOOR } from "../door/paths";
import { LIVE } from "../live/paths";
import { allows, type Role, requirement } from "./policy";

// Where a person lands: after signing in, at "/", and back from the language switch.

/** Each role's first page: one it may open (a viewer watches, staff work the doors). */
export const landingFor = (role: Role): string => (role === "viewer" ? LIVE.overview() : DOOR.picker());

/**
 * A path on this site, or undefined: never an open redirect (browsers read
 * "/\\evil.example" and "//evil.example" as another host).
 */
export function localPath(next: string | undefined): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a backslash or a control character makes a path ambiguous
  if (!next?.startsWith("/") || /[\\\u0000-\u001f]/.test(next)) return undefined;
  const base = "http://this.site.invalid";
  const url = new URL(next, base);
  const local = url.pathname + url.search + url.hash;
  // "/.//evil.example" resolves to the path "//evil.example", which a browser reads as another host.
  return url.origin === base && !/^\/[/\\]/.test(local) ? local : undefined;
}

/** Where to go after signing in: `next` when it is on this site and the role may open it, else the role's first page. */
export function safeNext(next: string | undefined, role: Role): string {
  const local = localPath(next);
  if (!local) return landingFor(role);
  const path = new URL(local, "http://this.site.invalid").pathname;
  if (path === "/" || path === "/login") return landingFor(role);
  return allows(role, requirement("GET", path)) ? local : landingFor(role);
}
