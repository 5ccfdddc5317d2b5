import type { CheckInDoc } from "../checkin/repo";
import { entryOf, FIELD } from "./codec";

// A session's check-ins as the door state holds them, packed into one string so a start reads
// a session in one document (FerretDB spends its time per document, not per byte). One line
// per person: participant id, check-in id (24 hex digits each), then the door entry; an entry
// is extended JSON, which never holds a raw line break.

/** Participant id (hex) -> the check-in id (hex) and its door entry. */
export type CopyEntries = Map<string, { checkIn: string; entry: string }>;

const ID = 24;

export function packCopy(entries: CopyEntries): string {
  return [...entries]
    .map(([participant, { checkIn, entry }]) => `${participant}${checkIn}${entry}`)
    .join("\n");
}

export function unpackCopy(packed: string): CopyEntries {
  const entries: CopyEntries = new Map();
  if (packed === "") return entries;
  for (const line of packed.split("\n"))
    entries.set(line.slice(0, ID), { checkIn: line.slice(ID, 2 * ID), entry: line.slice(2 * ID) });
  return entries;
}

/** A check-in as a copy line. */
export const copyLine = (doc: CheckInDoc) => ({
  participant: doc.participantId.toHexString(),
  checkIn: doc._id.toHexString(),
  entry: entryOf(doc),
});

/**
 * A copy brought up to date: `changed` in the order they were read (a later read of the same
 * check-in is its later version), then `removed` check-ins (ids, hex) taken out. A removal
 * names one check-in, so a person's later check-in in the same session stays.
 */
export function applyChanges(
  base: CopyEntries,
  changed: readonly CheckInDoc[],
  removed: ReadonlySet<string>,
): CopyEntries {
  const entries: CopyEntries = new Map(base);
  for (const doc of changed) {
    const line = copyLine(doc);
    entries.set(line.participant, { checkIn: line.checkIn, entry: line.entry });
  }
  for (const [participant, { checkIn }] of entries) if (removed.has(checkIn)) entries.delete(participant);
  return entries;
}

/** The door state's hash fields for these check-ins. */
export const entryFields = (entries: CopyEntries): string[] =>
  [...entries].flatMap(([participant, { entry }]) => [FIELD.entry(participant), entry]);
