// Who may do what: the one table every route and the WebSocket upgrade are checked
// against. Roles are levels: a scanner can do what a viewer can, an admin everything.

export type Role = "viewer" | "scanner" | "admin";
export type Requirement = Role | "public";

const LEVEL: Record<Role, number> = { viewer: 1, scanner: 2, admin: 3 };

export const ROLES: readonly Role[] = ["viewer", "scanner", "admin"];

interface Rule {
  methods: readonly string[] | "*";
  path: RegExp;
  need: Requirement;
}

const READ = ["GET", "HEAD"] as const;
const ID = "[0-9a-fA-F]{24}";

const RULES: readonly Rule[] = [
  { methods: "*", path: /^\/api\/v1\/health(\/|$)/, need: "public" },
  { methods: READ, path: /^\/(metrics|favicon\.ico)$/, need: "public" },
  { methods: READ, path: /^\/assets\//, need: "public" },
  { methods: READ, path: /^\/(sw\.js|manifest\.webmanifest)$/, need: "public" },
  { methods: "*", path: /^\/(login|logout)$/, need: "public" },
  { methods: READ, path: /^\/language$/, need: "public" },
  // Certificates: anyone may verify a code; a person opens their own with the key in their link.
  { methods: READ, path: /^\/verify\/[A-Za-z0-9 -]{1,64}$/, need: "public" },
  { methods: READ, path: new RegExp(`^/certificates/${ID}/[A-Za-z0-9_-]{16,64}$`), need: "public" },
  // Door work.
  { methods: "*", path: /^\/scan(\/|$)/, need: "scanner" },
  { methods: ["POST"], path: /^\/api\/v1\/scan$/, need: "scanner" },
  { methods: ["POST"], path: /^\/api\/v1\/checkin(\/(verify-qr|accept|decline|qr))?$/, need: "scanner" },
  { methods: ["POST"], path: new RegExp(`^/api/v1/checkin/${ID}/checkout$`), need: "scanner" },
  // Undo: a scanner their own scan within the window (the door's rule), an admin any.
  { methods: ["DELETE"], path: new RegExp(`^/api/v1/checkin/${ID}$`), need: "scanner" },
  { methods: READ, path: /^\/api\/v1\/participants\/qr\/[^/]+$/, need: "scanner" },
  { methods: READ, path: /^\/api\/v1\/checkin\/verify\//, need: "scanner" },
  // Exports that list people or badge codes.
  {
    methods: READ,
    path: /^\/api\/v1\/(sessions\/[^/]+\/attendance|checkin\/scanlog|reports\/credits)\.csv$/,
    need: "admin",
  },
  // Watching.
  { methods: READ, path: /^\/$/, need: "viewer" },
  { methods: READ, path: /^\/(live|ws|reports)(\/|$)/, need: "viewer" },
  { methods: READ, path: /^\/api\/v1\/reports\//, need: "viewer" },
  { methods: READ, path: /^\/api\/v1\/(sessions|checkin|settings)(\/|$|\?)/, need: "viewer" },
  { methods: READ, path: /^\/api\/v1\/registrations\/stats\/overview$/, need: "viewer" },
];

/**
 * A path as the router may still match it: percent-escapes decoded, repeated and trailing
 * slashes dropped ("/a//b.csv/" and "/a/b%2Ecsv" are "/a/b.csv"), so no spelling of an
 * admin's route reads as a viewer's.
 */
export function canonicalPath(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // A malformed escape matches no route; the policy reads it as written.
  }
  return decoded.replace(/\/{2,}/g, "/").replace(/(.)\/+$/, "$1");
}

/** What a request needs; anything not listed is for admins. */
export function requirement(method: string, path: string): Requirement {
  const canonical = canonicalPath(path);
  for (const rule of RULES) {
    if ((rule.methods === "*" || rule.methods.includes(method)) && rule.path.test(canonical))
      return rule.need;
  }
  return "admin";
}

/**
 * A scanner may be assigned to some sessions (`sessions`); without an assignment, and for
 * viewers and admins, every session is theirs.
 */
export function maySession(principal: { role: Role; sessions?: string[] }, sessionId: string): boolean {
  return principal.role !== "scanner" || !principal.sessions || principal.sessions.includes(sessionId);
}

export function allows(role: Role | null, need: Requirement): boolean {
  if (need === "public") return true;
  return role !== null && LEVEL[role] >= LEVEL[need];
}

/**
 * What each role may read of a participant; every answer that names people goes
 * through it. Admins see everything. Scanners see what a door needs to recognise and
 * admit someone, never contact data or badge codes (codes are the credentials that get
 * people in). Viewers run dashboards and reports, which need a name at most.
 */
const PARTICIPANT_FIELDS: Record<Role, readonly string[] | "all"> = {
  admin: "all",
  scanner: ["_id", "name", "organization", "status", "doorNote", "isActive"],
  viewer: ["_id", "name"],
};

export function visibleParticipant<T extends object>(role: Role, participant: T): Partial<T> {
  const fields = PARTICIPANT_FIELDS[role];
  if (fields === "all") return participant;
  return Object.fromEntries(
    Object.entries(participant).filter(([key]) => fields.includes(key)),
  ) as Partial<T>;
}
