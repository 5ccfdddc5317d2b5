import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type Db, ObjectId } from "mongodb";
import { notFound } from "../http/errors";
import { phrase } from "../i18n/locale";
import type { IndexSpec } from "../infra/mongo";
import { participantsOf } from "../participants/repo";
import { attendanceOf, attendanceOfPeople, type SessionAttendance } from "./history";

// Certificates of attendance anyone can verify. Each issued certificate is stored with what it
// says; its verification code is a MAC over that content (made with a key kept in the
// database, shared by every instance), so a code cannot be guessed (120 bits) and a stored
// certificate changed behind our back no longer matches its code. A certificate whose figures
// differ from what the person's history says today is shown as superseded.

export interface CertifiedSession {
  sessionId: string;
  name: string;
  startTime: Date;
  credits: number;
}

export interface CertificateDoc {
  _id: ObjectId;
  code: string;
  participantId: ObjectId;
  name: string;
  event: string;
  sessions: CertifiedSession[];
  totalCredits: number;
  issuedAt: Date;
}

export type Verification =
  | { status: "valid" | "superseded"; certificate: CertificateDoc }
  | { status: "unknown" };

export const CERTIFICATE_INDEXES: IndexSpec[] = [
  {
    collection: "certificates",
    key: { code: 1 },
    options: { unique: true, name: "certificate_code_unique" },
  },
  { collection: "certificates", key: { participantId: 1, issuedAt: -1 } },
];

const certificatesOf = (db: Db) => db.collection<CertificateDoc>("certificates");
const keysOf = (db: Db) => db.collection<{ _id: string; key: string }>("secrets");

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/** 24 characters of 5 bits: 120 bits of the MAC, in groups of four. */
function codeOf(mac: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of mac) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 24) {
      out += ALPHABET[(value >> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 24) break;
  }
  return out.match(/.{4}/g)?.join("-") ?? out;
}

/** What a reader may type or a scanner may read: any case, spaces or missing dashes. */
export function normaliseCode(raw: string): string | null {
  const plain = raw.toUpperCase().replace(/[\s-]/g, "");
  return /^[A-HJ-NP-Z2-9]{24}$/.test(plain) ? (plain.match(/.{4}/g) ?? []).join("-") : null;
}

/** What the code is a MAC of: everything the certificate states, in a fixed order. */
const content = (c: Omit<CertificateDoc, "code">) =>
  JSON.stringify([
    String(c._id),
    String(c.participantId),
    c.name,
    c.event,
    c.sessions.map((s) => [s.sessionId, s.name, s.startTime.toISOString(), s.credits]),
    c.totalCredits,
    c.issuedAt.toISOString(),
  ]);

/** Same person, same event, same credited sessions and credits: nothing to issue again. */
const sameFigures = (a: Pick<CertificateDoc, "name" | "event" | "sessions" | "totalCredits">, b: typeof a) =>
  a.name === b.name &&
  a.event === b.event &&
  a.totalCredits === b.totalCredits &&
  JSON.stringify(a.sessions.map((s) => [s.sessionId, s.name, s.credits])) ===
    JSON.stringify(b.sessions.map((s) => [s.sessionId, s.name, s.credits]));

export function createCertificates(db: Db, eventName: () => string) {
  let key: Promise<Buffer> | null = null;
  /** The MAC key: made once for the whole deployment (the first instance to ask writes it). */
  const macKey = (): Promise<Buffer> => {
    key ??= (async () => {
      await keysOf(db)
        .insertOne({ _id: "certificates", key: randomBytes(32).toString("hex") })
        .catch(() => undefined);
      const stored = await keysOf(db).findOne({ _id: "certificates" });
      if (!stored) throw new Error("certificate key not stored");
      return Buffer.from(stored.key, "hex");
    })();
    key.catch(() => {
      key = null;
    });
    return key;
  };
  const mac = async (text: string) =>
    createHmac("sha256", await macKey())
      .update(text)
      .digest();

  /** What a certificate states for a person with these attendance figures. */
  const figuresOf = (name: string, sessions: SessionAttendance[]) => {
    const credited = sessions
      .filter((s) => s.credited)
      .map((s) => ({ sessionId: s.sessionId, name: s.name, startTime: s.startTime, credits: s.credits }));
    return {
      name,
      event: eventName(),
      sessions: credited,
      totalCredits: Math.round(credited.reduce((n, s) => n + s.credits, 0) * 100) / 100,
    };
  };
  type Figures = ReturnType<typeof figuresOf>;

  /** What a certificate for the person would state now. */
  async function figuresNow(participantId: ObjectId): Promise<Figures> {
    const person = await participantsOf(db).findOne({ _id: participantId }, { projection: { name: 1 } });
    if (!person) throw notFound(phrase("Participant with ID {id} not found", { id: String(participantId) }));
    return figuresOf(person.name, (await attendanceOf(db, participantId)).sessions);
  }

  /** The last certificate issued when it states these figures, else a new one. */
  async function issueWith(participantId: ObjectId, now: Figures): Promise<CertificateDoc> {
    const [latest] = await certificatesOf(db)
      .find({ participantId })
      .sort({ issuedAt: -1 })
      .limit(1)
      .toArray();
    if (latest && sameFigures(latest, now)) return latest;
    const draft = { _id: new ObjectId(), participantId, ...now, issuedAt: new Date() };
    const doc: CertificateDoc = { ...draft, code: codeOf(await mac(content(draft))) };
    await certificatesOf(db).insertOne(doc);
    return doc;
  }

  return {
    /** The person's certificate as of now: the last one issued when nothing changed, else a new one. */
    issue: async (participantId: ObjectId): Promise<CertificateDoc> =>
      issueWith(participantId, await figuresNow(participantId)),
    /** The same for many people, their histories read once (a day's certificates). */
    async issueMany(participantIds: ObjectId[]): Promise<CertificateDoc[]> {
      const [all, people] = await Promise.all([
        attendanceOfPeople(db, participantIds),
        participantsOf(db)
          .find({ _id: { $in: participantIds } }, { projection: { name: 1 } })
          .toArray(),
      ]);
      return Promise.all(
        people.map((p) => issueWith(p._id, figuresOf(p.name, all.get(String(p._id))?.sessions ?? []))),
      );
    },
    async verify(raw: string): Promise<Verification> {
      const code = normaliseCode(raw);
      const found = code ? await certificatesOf(db).findOne({ code }) : null;
      if (!found) return { status: "unknown" };
      // A stored certificate altered after issue no longer matches its own code.
      const expected = Buffer.from(codeOf(await mac(content(found))));
      const given = Buffer.from(found.code);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { status: "unknown" };
      const now = await figuresNow(found.participantId).catch(() => null);
      return { status: now && sameFigures(found, now) ? "valid" : "superseded", certificate: found };
    },
    /** The key of the link an admin sends the person: their certificate without signing in. */
    async linkKey(participantId: ObjectId): Promise<string> {
      return (await mac(`certificate-link:${participantId}`)).subarray(0, 18).toString("base64url");
    },
    async linkKeyMatches(participantId: ObjectId, given: string): Promise<boolean> {
      const expected = Buffer.from(await this.linkKey(participantId));
      const actual = Buffer.from(given);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}

export type Certificates = ReturnType<typeof createCertificates>;
