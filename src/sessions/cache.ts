import type { Db, ObjectId } from "mongodb";
import { notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { Bus } from "../live/bus";
import { type SessionDoc, sessionsOf } from "./repo";

// Session documents in each instance's memory: a scan reads its session without a
// round trip. Every change is announced on the bus and drops the copy on every
// instance; the lifetime only bounds how long a lost announcement could matter, and
// a lost subscription (resync) drops everything.

/** "Not found" is kept only briefly, so a session created a moment ago works at once. */
const MISSING_MS = 2000;

export function createSessionCache(db: Db, bus: Bus, ttlMs: number) {
  const entries = new Map<string, { doc: SessionDoc | null; until: number }>();
  const loading = new Map<string, Promise<SessionDoc | null>>();

  function load(id: ObjectId): Promise<SessionDoc | null> {
    const key = String(id);
    const running =
      loading.get(key) ??
      sessionsOf(db)
        .findOne({ _id: id })
        .then((doc) => {
          entries.set(key, { doc, until: Date.now() + (doc ? ttlMs : MISSING_MS) });
          return doc;
        })
        .finally(() => loading.delete(key));
    loading.set(key, running);
    return running;
  }

  void bus.listen((event) => {
    if (event.kind === "session-doc") entries.delete(event.sessionId);
    else if (event.kind === "resync" || event.kind === "restored") entries.clear();
  });

  const get = (id: ObjectId): Promise<SessionDoc | null> => {
    const hit = entries.get(String(id));
    return hit && hit.until > Date.now() ? Promise.resolve(hit.doc) : load(id);
  };

  return {
    get,
    async require(id: ObjectId): Promise<SessionDoc> {
      const session = await get(id);
      if (!session) throw notFound(phrase("Session with ID {id} not found", { id: String(id) }));
      return session;
    },
    /** Read again from MongoDB now (a scan found its copy older than the door state). */
    refresh: load,
    /** After a session was created, changed or deleted (null): this instance at once, the others through the bus. */
    async changed(id: ObjectId, doc: SessionDoc | null): Promise<void> {
      entries.set(String(id), { doc, until: Date.now() + (doc ? ttlMs : MISSING_MS) });
      await bus.publish({ kind: "session-doc", sessionId: String(id) });
    },
  };
}

export type SessionCache = ReturnType<typeof createSessionCache>;
