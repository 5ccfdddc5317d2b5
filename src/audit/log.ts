import { Elysia } from "elysia";
import { type Collection, type Db, type Document, ObjectId } from "mongodb";
import { principalOf } from "../auth/plugin";
import { requirement } from "../auth/policy";
import { groupedInserts } from "../infra/grouped";
import type { IndexSpec } from "../infra/mongo";
import type { Runtime } from "../runtime";

// What staff change, in one place for every administrative route: who, when, which
// route, and the document before and after. Recorded by one hook around every write
// that needs the admin role, so a route added later is audited without a line of its
// own. Secrets (password hashes, token hashes, tokens) are never written here.

export interface AdminLogDoc {
  _id: ObjectId;
  at: Date;
  by: { kind: string; id: string; name: string };
  method: string;
  path: string;
  /** The collection and document the change was about, when the path names one. */
  target: { collection: string; id: string } | null;
  before: Document | null;
  after: Document | null;
  status: number;
  /** A download of personal data: what, and how many rows left with it. */
  export?: { what: string; rows: number };
  /** An erasure, or an entry emptied by one: no copy of the erased data is kept here. */
  erased?: true;
}

/** Erasing a person: the log says who erased whom, never what was erased. */
const ERASURE = /\/erase$/;

export const AUDIT_INDEXES: IndexSpec[] = [{ collection: "admin_log", key: { at: -1 } }];
export const adminLogOf = (db: Db): Collection<AdminLogDoc> => db.collection<AdminLogDoc>("admin_log");

const ID = "([0-9a-fA-F]{24})";
/**
 * Registration changes come one call at a time by the thousand (a ticketing system's
 * webhooks): their handlers read the document before and after anyway and tell the log
 * (auditKnows), which then reads nothing itself.
 */
const REGISTRATION = new RegExp(`^/(?:api/v1|admin)/registrations/${ID}`);
// Most specific first; the last ID a pattern captures is the document changed.
const TARGETS: [RegExp, string][] = [
  [new RegExp(`^/admin/participants/${ID}/checkins/${ID}`), "checkins"],
  [new RegExp(`^/(?:api/v1|admin)/sessions/${ID}`), "sessions"],
  [new RegExp(`^/(?:api/v1|admin)/participants/${ID}`), "participants"],
  [REGISTRATION, "registrations"],
  [new RegExp(`^/api/v1/checkin/${ID}`), "checkins"],
  [new RegExp(`^/(?:api/v1/auth|admin)/accounts/${ID}`), "users"],
  [new RegExp(`^/(?:api/v1/auth|admin)/tokens/${ID}`), "api_tokens"],
  [new RegExp(`^/admin/handovers/${ID}`), "handovers"],
];
const SETTINGS = /^\/api\/v1\/settings\/(\w+)$/;
const SECRET_FIELDS = new Set(["passwordHash", "hash", "token", "password", "secret"]);

/**
 * A form's pasted list (one person per line: e-mails, badge codes) is recorded as its number
 * of lines: the log must not keep copies of people that an erasure could not find again.
 */
function withoutPastedLists(asked: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(asked).map(([key, value]) => [
      key,
      typeof value === "string" && value.includes("\n")
        ? `(${value.split("\n").filter((l) => l.trim()).length} lines, not recorded)`
        : value,
    ]),
  );
}

/** The document a path is about, if it names one. */
export function targetOf(path: string): { collection: string; id: string } | null {
  for (const [pattern, collection] of TARGETS) {
    const id = pattern.exec(path)?.slice(1).at(-1);
    if (id) return { collection, id: id.toLowerCase() };
  }
  const settings = SETTINGS.exec(path);
  return settings?.[1] ? { collection: "settings", id: settings[1] } : null;
}

/** A copy without secrets (and without uploaded files, named only), at any depth. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value instanceof Blob)
    return `(file${value instanceof File ? ` ${value.name}` : ""}, ${value.size} bytes)`;
  if (value && typeof value === "object" && !(value instanceof Date) && !(value instanceof ObjectId)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        SECRET_FIELDS.has(key) ? "(not recorded)" : withoutSecrets(item),
      ]),
    );
  }
  return value;
}

/**
 * A download of personal data (people, attendance, the scan log) is an act to account
 * for as much as a change: who took what, when, and how many rows. Stored before the
 * file is sent, so no export leaves unrecorded.
 */
export async function recordExport(db: Db, request: Request, what: string, rows: number): Promise<void> {
  const principal = principalOf(request);
  await adminLogOf(db).insertOne({
    _id: new ObjectId(),
    at: new Date(),
    by: { kind: principal?.kind ?? "unknown", id: principal?.id ?? "", name: principal?.name ?? "" },
    method: request.method,
    path: new URL(request.url).pathname,
    target: null,
    before: null,
    after: { export: what, rows },
    status: 200,
    export: { what, rows },
  });
}

const isWrite = (method: string) => !["GET", "HEAD", "OPTIONS"].includes(method);

const told = new WeakMap<Request, { before: Document | null; after: Document | null }>();

/** What a handler's change did to its document, for the log (routes whose handlers tell it, REGISTRATION). */
export function auditKnows(request: Request, before: Document | null, after: Document | null): void {
  told.set(request, { before, after });
}

/**
 * Entries are stored after the answer, gathered for this long: one insert per instance per
 * gathering, where one per change made the log cost a busy registration feed more than
 * the registrations themselves. A stopping instance writes what it holds (lastWrites).
 */
const GATHER_MS = 50;

/** The instance's pending admin-log entries: written together, and at once when asked (stop, a reader). */
export function createAuditTrail(db: Db) {
  return groupedInserts(() => adminLogOf(db), { gatherMs: GATHER_MS });
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;

/**
 * Empties the log's copies of participants' records (one erased person, or all at the
 * retention), and again once every instance's gathering (this one's included) has been
 * written, so no copy lands after it.
 */
export async function emptyParticipantEntries(db: Db, id?: string, email?: string): Promise<void> {
  const filter = id
    ? { "target.collection": "participants", "target.id": id }
    : { "target.collection": "participants" };
  const erasedFields = { $set: { before: null, after: null, erased: true as const } };
  const empty = async () => {
    await adminLogOf(db).updateMany(filter, erasedFields);
    // Writes with no id in their path (a person created one by one, in bulk, or from a form)
    // hold the record in what they answered: found by the person's id or e-mail in it.
    const unnamed = await adminLogOf(db)
      .find(
        { "target.id": null, erased: { $ne: true }, path: PARTICIPANT_WRITES },
        { projection: { before: 1, after: 1 } },
      )
      .toArray();
    const mentions = (entry: { before?: unknown; after?: unknown }) => {
      if (!id) return true;
      const text = JSON.stringify([entry.before ?? null, entry.after ?? null]).toLowerCase();
      return text.includes(id) || (email !== undefined && text.includes(email.toLowerCase()));
    };
    const ids = unnamed.filter(mentions).map((entry) => entry._id);
    if (ids.length > 0) await adminLogOf(db).updateMany({ _id: { $in: ids } }, erasedFields);
  };
  await empty();
  await new Promise((resolve) => setTimeout(resolve, 3 * GATHER_MS));
  await empty();
}

/** Paths of the writes that create or change people without naming one in the path. */
const PARTICIPANT_WRITES = /^\/(api\/v1\/participants|admin\/participants|admin\/import|import)/;

export function auditPlugin(rt: Runtime, entries: AuditTrail) {
  const db = rt.mongo.db;
  const before = new WeakMap<Request, Document | null>();
  const read = (target: { collection: string; id: string }) =>
    db
      .collection(target.collection)
      .findOne({ _id: (ObjectId.isValid(target.id) ? new ObjectId(target.id) : target.id) as never });

  return (
    new Elysia({ name: "audit" })
      .onBeforeHandle({ as: "global" }, async ({ request }) => {
        const path = new URL(request.url).pathname;
        if (!isWrite(request.method) || requirement(request.method, path) !== "admin") return;
        const target = targetOf(path);
        const tellsItself = REGISTRATION.test(path);
        before.set(request, target && !tellsItself ? await read(target).catch(() => null) : null);
      })
      // Before the answer leaves (not after it): an admin reading the log next must find it
      // gathering, and the read flushes what is gathered (a hook run after the answer lost that race).
      .onAfterHandle({ as: "global" }, async (ctx): Promise<void> => {
        const { request, set } = ctx;
        if (!before.has(request)) return;
        const returned = (ctx as { response?: unknown }).response;
        // A page answers a refused form with a Response of its own status (422), not set.status.
        const status =
          returned instanceof Response ? returned.status : typeof set.status === "number" ? set.status : 200;
        if (status >= 400) return;
        const principal = principalOf(request);
        const path = new URL(request.url).pathname;
        const target = targetOf(path);
        // The document as it is now; else what the API answered; else (a page) what was asked.
        const data = (returned as { data?: unknown } | undefined)?.data;
        const asked = (ctx as { body?: unknown }).body;
        const known = told.get(request);
        const after = known
          ? known.after
          : target
            ? await read(target).catch(() => null)
            : (data ??
              (asked && typeof asked === "object"
                ? { asked: withoutPastedLists(asked as Record<string, unknown>) }
                : null));
        // Queued now (the next read's flush finds it), written with the others it gathers:
        // the answer does not wait for the write.
        void entries
          .insert({
            _id: new ObjectId(),
            at: new Date(),
            by: { kind: principal?.kind ?? "unknown", id: principal?.id ?? "", name: principal?.name ?? "" },
            method: request.method,
            path,
            target,
            ...(ERASURE.test(path)
              ? { before: null, after: null, erased: true as const }
              : {
                  before: withoutSecrets(
                    known ? known.before : (before.get(request) ?? null),
                  ) as Document | null,
                  after: withoutSecrets(after) as Document | null,
                }),
            status,
          })
          .catch((err) => rt.log.error({ err: String(err) }, "admin log write failed"));
      })
  );
}
