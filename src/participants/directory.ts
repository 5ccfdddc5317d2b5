import { type Db, type Filter, ObjectId } from "mongodb";
import type { Bus } from "../live/bus";
import type { DirectoryCopy } from "./directory-copy";
import { everyPerson, type Person, personOf, slim } from "./person";
import { normaliseQrCode } from "./qr";
import type { ParticipantDoc } from "./repo";

// Badge code -> participant for the whole event, in each instance's memory: on the
// busiest morning nearly every scan is a participant's first, so a per-code cache would
// miss every time and send each scan to MongoDB (a table scan on FerretDB). Loaded in
// one query at start-up; every change is announced on the bus and read again by every
// instance, newest version (updatedAt) winning. A miss is never taken as "unknown
// badge": MongoDB is asked, and only its "no" is remembered, briefly.

export type ParticipantRef = { qrCode: string } | { participantId: ObjectId };

export type { Person } from "./person";

const MISSING_MS = 2000;
/** At most this many "no"s are remembered. */
const MISSING_KEPT = 10_000;

/** Lower case without accents: "Hélène" and "helene" are one name at the door. */
export const folded = (text: string) =>
  text
    .normalize("NFD")
    .replace(/\p{Mn}/gu, "")
    .toLowerCase();

/** The people in memory, by badge code and by id, and the recent "no such badge" answers. */
function personIndex() {
  const byCode = new Map<string, Person>();
  const byId = new Map<string, Person>();
  const missing = new Map<string, number>();

  function put(full: Person): void {
    const p = slim(full);
    const id = String(p._id);
    const known = byId.get(id);
    if (known && known.updatedAt.getTime() > p.updatedAt.getTime()) return;
    if (known && known.qrCode !== p.qrCode) byCode.delete(known.qrCode);
    byId.set(id, p);
    byCode.set(p.qrCode, p);
    missing.delete(p.qrCode);
    missing.delete(id);
  }

  function drop(id: string): void {
    const known = byId.get(id);
    if (known) byCode.delete(known.qrCode);
    byId.delete(id);
  }

  function clear(): void {
    byId.clear();
    byCode.clear();
    missing.clear();
  }
  return { byCode, byId, missing, put, drop, clear };
}

/**
 * People whose name or organization contains `query`, accents and case aside, or whose
 * whole e-mail address it is (a part of one would let the door spell addresses out).
 */
export function searchPeople(people: Iterable<Person>, query: string, limit: number): Person[] {
  const wanted = folded(query.trim());
  const found: Person[] = [];
  if (wanted.length < 2) return found;
  for (const p of people) {
    if (folded(`${p.name}\u0000${p.organization ?? ""}`).includes(wanted) || folded(p.email) === wanted)
      found.push(p);
    if (found.length >= limit) break;
  }
  return found;
}

/** Everyone: from the packed copy when there is one to use (directory-copy.ts), else every participant. */
async function* everyone(db: Db, copy: DirectoryCopy): AsyncGenerator<Person> {
  const copied = await copy.load().catch(() => null);
  if (copied) yield* copied;
  else yield* everyPerson(db);
}

/** A look-up the directory could not answer, asked of MongoDB; its "no" is remembered briefly. */
async function askMongo(
  db: Db,
  index: Pick<ReturnType<typeof personIndex>, "missing" | "put">,
  filter: Filter<ParticipantDoc>,
  missKey: string,
): Promise<Person | null> {
  if ((index.missing.get(missKey) ?? 0) > Date.now()) return null;
  const found = await personOf(db, filter);
  if (found) index.put(found);
  else {
    // Codes nobody holds are as many as a client cares to send: only the newest are kept.
    for (const oldest of index.missing.keys()) {
      if (index.missing.size < MISSING_KEPT) break;
      index.missing.delete(oldest);
    }
    index.missing.set(missKey, Date.now() + MISSING_MS);
  }
  return found;
}

/** `observe` hears whether each look-up was answered from memory. */
export function createDirectory(
  db: Db,
  bus: Bus,
  copy: DirectoryCopy,
  observe: (hit: boolean) => void = () => undefined,
) {
  const { byCode, byId, missing, put, drop, clear } = personIndex();

  const fromDb = (filter: Filter<ParticipantDoc>, missKey: string) =>
    askMongo(db, { missing, put }, filter, missKey);

  async function reread(id: string): Promise<void> {
    const found = await personOf(db, { _id: new ObjectId(id) });
    if (found) put(found);
    else drop(id);
  }

  // Settled once the first whole read is over (or failed): readers of everyone wait for it.
  const { promise: loaded, resolve: firstRead } = Promise.withResolvers<void>();
  const reload = () => readEveryone().finally(firstRead);
  async function readEveryone(): Promise<number> {
    const present = new Set<string>();
    for await (const p of everyone(db, copy)) {
      put(p);
      present.add(String(p._id));
    }
    for (const id of [...byId.keys()]) if (!present.has(id)) drop(id);
    missing.clear();
    return present.size;
  }

  void bus.listen((event) => {
    if (event.kind === "participant") {
      // Forgotten at once (the next look-up asks MongoDB), then read again.
      drop(event.participantId);
      missing.delete(event.qrCode);
      missing.delete(event.participantId);
      void reread(event.participantId).catch(() => undefined);
    } else if (event.kind === "directory") void reload().catch(() => undefined);
    else if (event.kind === "restored") {
      // Forgotten at once, so no look-up answers from before the restore; the warm-up reloads it.
      clear();
    }
  });

  return {
    /** The participant a badge or an ID names, or null when MongoDB does not know it either. */
    async find(ref: ParticipantRef): Promise<Person | null> {
      if ("participantId" in ref) {
        const id = String(ref.participantId);
        const known = byId.get(id);
        observe(known !== undefined);
        return known ?? fromDb({ _id: ref.participantId }, id);
      }
      // Codes are exact; a scanner in caps-lock or a lower-case wedge still finds an upper-case badge.
      const code = normaliseQrCode(ref.qrCode);
      for (const candidate of new Set([code, code.toUpperCase()])) {
        const known = byCode.get(candidate);
        observe(known !== undefined);
        const found = known ?? (await fromDb({ qrCode: candidate }, candidate));
        if (found) return found;
      }
      return null;
    },
    /** Everyone the directory holds. */
    people: () => byId.values(),
    /** Resolves once the directory has been read whole (at start-up, after the door state). */
    loaded: () => loaded,
    /** A person this instance holds in memory (null: not loaded here); no database read. */
    known: (participantId: ObjectId | string): Person | null => byId.get(String(participantId)) ?? null,
    /** People whose name, email or organization contains `query`, accents and case aside. */
    search: async (query: string, limit: number) => {
      await loaded;
      return searchPeople(byId.values(), query, limit);
    },
    /** After a participant was created, changed or deleted: here at once, everywhere through the bus. */
    async changed(p: ParticipantDoc, change: { removed?: boolean } = {}): Promise<void> {
      // Noted for the packed copy first; unnoted, no copy packed before may be used again.
      await copy.noteChange(p._id).catch(() => copy.forget());
      if (change.removed) drop(String(p._id));
      else put(p);
      await bus.publish({ kind: "participant", participantId: String(p._id), qrCode: p.qrCode });
    },
    /** After writes behind the API (import, restore): every instance reads the whole directory again. */
    async reloadEverywhere(): Promise<void> {
      // Written without notes: the packed copy no longer describes them.
      await copy.forget();
      await reload();
      await bus.publish({ kind: "directory" });
    },
    reload,
    /** The scheduler's leader packs the directory for starts (directory-copy.ts). */
    packCopy: copy.pass,
  };
}

export type Directory = ReturnType<typeof createDirectory>;
