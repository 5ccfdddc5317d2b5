import type { ObjectId } from "mongodb";
import { type RowError, rowError } from "../imports/summary";
import { REGISTRATION_STATUSES, type RegistrationStatus } from "./statuses";

// Turning organisers' rows (a CSV, or a pasted list) into registrations: who, which
// session, which status. Pure, so every rule is unit-tested; the lookups come from the caller.

export interface Lookups {
  /** Lower-cased email → participant. */
  emails: Map<string, ObjectId>;
  /** Badge code, exactly as printed (codes differ by case) → participant. */
  codes: Map<string, ObjectId>;
  /** Session ID and lower-cased name → sessions (a name may be shared). */
  sessions: Map<string, ObjectId[]>;
}

export interface Assignment {
  row: number;
  participantId: ObjectId;
  sessionId: ObjectId;
  /** Absent when the file says nothing (no status column, or a blank cell): new ones are confirmed, existing ones keep theirs. */
  status?: RegistrationStatus;
}

export interface Resolved {
  rows: Assignment[];
  errors: RowError[];
}

export const REGISTRATION_TEMPLATE = "email,session,status\nada@example.org,Opening keynote,confirmed\n";

/** The person a row names: its email, badge code or "participant" column. */
const whoOf = (record: Record<string, string>) =>
  (record.email || record.qrcode || record.participant || "").trim();

export function resolveRegistrations(
  records: { row: number; record: Record<string, string> }[],
  lookups: Lookups,
  fixedSession?: ObjectId,
): Resolved {
  const rows: Assignment[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  for (const { row, record } of records) {
    const who = whoOf(record);
    if (!who) {
      errors.push(rowError(row, "no email or badge code"));
      continue;
    }
    const participantId = lookups.emails.get(who.toLowerCase()) ?? lookups.codes.get(who);
    if (!participantId) {
      errors.push(rowError(row, 'nobody has the email or badge code "{who}"', { who }));
      continue;
    }
    let sessionId = fixedSession;
    if (!sessionId) {
      const named = (record.session || record.sessionid || "").trim();
      const found = lookups.sessions.get(named.toLowerCase()) ?? [];
      if (!named) {
        errors.push(rowError(row, "no session (add a session column, or choose one session for the file)"));
        continue;
      }
      if (found.length !== 1) {
        errors.push(
          found.length === 0
            ? rowError(row, 'there is no session "{named}"', { named })
            : rowError(row, '{n} sessions are called "{named}"; use its ID', { n: found.length, named }),
        );
        continue;
      }
      sessionId = found[0] as ObjectId;
    }
    const status = (record.status ?? "").trim().toLowerCase() || undefined;
    if (status !== undefined && !(REGISTRATION_STATUSES as readonly string[]).includes(status)) {
      errors.push(
        rowError(row, 'status "{status}" is not one of {allowed}', {
          status,
          allowed: REGISTRATION_STATUSES.join(", "),
        }),
      );
      continue;
    }
    const key = `${participantId}:${sessionId}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      errors.push(
        rowError(row, "the same registration is already on row {earlier}", { earlier: String(earlier) }),
      );
      continue;
    }
    seen.set(key, row);
    rows.push({ row, participantId, sessionId, ...(status ? { status: status as RegistrationStatus } : {}) });
  }
  return { rows, errors };
}

/** A pasted list, one email or badge code per line, as rows numbered like the lines. */
export function listRecords(text: string): { row: number; record: Record<string, string> }[] {
  return text.split(/\r?\n/).flatMap((line, index) => {
    const participant = line.trim();
    return participant ? [{ row: index + 1, record: { participant } }] : [];
  });
}
