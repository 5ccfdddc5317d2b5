import type { CheckInDoc } from "../checkin/repo";
import { entryOf, FIELD } from "./codec";

// A session's check-ins as the door state holds them, packed into strings so a start reads a
// session in two documents (FerretDB spends its time per document, not per byte). One line per
// person: participant id, check-in id (24 hex digits each), then the door entry; an entry is
// extended JSON, which never holds a raw line break.
//
// A copy is a base and a delta: the people changed since the base was packed, and the
// check-ins removed. Each pass rewrites the small delta; the base only once the delta has grown
// to a share of it, so a busy session costs what changed, not its size, every pass.

/** Participant id (hex) -> the check-in id (hex) and its door entry. */
export type CopyEntries = Map<string, { checkIn: string; entry: string }>;

/** Changes on top of a base: entries that replace the base's, and check-ins (ids, hex) removed. */
export interface Delta {
  upserts: CopyEntries;
  removed: Set<string>;
}

const ID = 24;

export const emptyDelta = (): Delta => ({ upserts: new Map(), removed: new Set() });

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

/** Removed check-in ids, end to end. */
export const packRemoved = (removed: Set<string>) => [...removed].join("");
export const unpackRemoved = (packed: string) =>
  new Set(Array.from({ length: packed.length / ID }, (_, i) => packed.slice(i * ID, (i + 1) * ID)));

/** Check-ins as copy lines, in the order read (a later read of a person is their later version). */
export function linesOf(docs: readonly CheckInDoc[]): CopyEntries {
  const lines: CopyEntries = new Map();
  for (const doc of docs)
    lines.set(doc.participantId.toHexString(), { checkIn: doc._id.toHexString(), entry: entryOf(doc) });
  return lines;
}

/**
 * Entries with `upserts` put on top, then the `removed` check-ins taken out. A removal names one
 * check-in, so a person's later check-in in the same session stays.
 */
export function applyLines(
  base: CopyEntries,
  upserts: CopyEntries,
  removed: ReadonlySet<string>,
): CopyEntries {
  const entries: CopyEntries = new Map(base);
  for (const [participant, line] of upserts) entries.set(participant, line);
  for (const [participant, { checkIn }] of entries) if (removed.has(checkIn)) entries.delete(participant);
  return entries;
}

/** A delta with more changes on top. */
export function addChanges(delta: Delta, upserts: CopyEntries, removed: ReadonlySet<string>): Delta {
  const all = new Set([...delta.removed, ...removed]);
  return { upserts: applyLines(delta.upserts, upserts, all), removed: all };
}

/** How much a delta holds, against its base's size, to decide when to pack the base again. */
export const deltaSize = (delta: Delta) => delta.upserts.size + delta.removed.size;

/** The door state's hash fields for these check-ins. */
export const entryFields = (entries: CopyEntries): string[] =>
  [...entries].flatMap(([participant, { entry }]) => [FIELD.entry(participant), entry]);
