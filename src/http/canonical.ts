// One spelling per address. Nginx decides what is public by the decoded, merged form of a
// path, and passes the spelling it received to the application; if both also accepted
// other spellings ("/metrics/", "//metrics", "/%6Detrics"), a rule written for one could
// be passed by another. So every path has one canonical form, and any other is refused.

/** Characters that never need an escape: "%41" is only another spelling of "A". */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The one form of a path: no empty segment, no trailing slash (but the root), no escape
 * of a character that needs none, escapes in capitals. Dot segments are already resolved
 * by the URL parser.
 */
export function canonicalForm(pathname: string): string {
  const unescaped = pathname.replace(/%([0-9A-Fa-f]{2})/g, (_escaped, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  return unescaped.replace(/\/{2,}/g, "/").replace(/(.)\/+$/, "$1");
}

export const isCanonical = (pathname: string): boolean => canonicalForm(pathname) === pathname;

/** Paths that answer only to callers on this host, never through the proxy (Prometheus scrapes each instance). */
export const isInternalPath = (pathname: string): boolean => /^\/metrics$/i.test(canonicalForm(pathname));
