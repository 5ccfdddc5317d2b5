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
  { methods: "*", path: /^\/(login|logout)$/, need: "public" },
  // Door work.
  { methods: "*", path: /^\/scan(\/|$)/, need: "scanner" },
  { methods: ["POST"], path: /^\/api\/v1\/scan$/, need: "scanner" },
  { methods: ["POST"], path: /^\/api\/v1\/checkin(\/(verify-qr|accept|decline|qr))?$/, need: "scanner" },
  { methods: ["POST"], path: new RegExp(`^/api/v1/checkin/${ID}/checkout$`), need: "scanner" },
  { methods: READ, path: /^\/api\/v1\/participants\/qr\/[^/]+$/, need: "scanner" },
  { methods: READ, path: /^\/api\/v1\/checkin\/verify\//, need: "scanner" },
  // Watching.
  { methods: READ, path: /^\/$/, need: "viewer" },
  { methods: READ, path: /^\/(live|ws|reports)(\/|$)/, need: "viewer" },
  { methods: READ, path: /^\/api\/v1\/reports\//, need: "viewer" },
  { methods: READ, path: /^\/api\/v1\/(sessions|checkin|settings)(\/|$|\?)/, need: "viewer" },
  { methods: READ, path: /^\/api\/v1\/registrations\/stats\/overview$/, need: "viewer" },
];

/** What a request needs; anything not listed is for admins. */
export function requirement(method: string, path: string): Requirement {
  for (const rule of RULES) {
    if ((rule.methods === "*" || rule.methods.includes(method)) && rule.path.test(path)) return rule.need;
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
