import type { ObjectId } from "mongodb";

// Badge codes: "QR-" and 20 characters from a 32-letter alphabet (100 random bits),
// within what the existing mobile scanner accepts: QR-[A-Z0-9-]+, at most 50 characters.

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const RANDOM_CHARS = 20;

/** Codes this system accepts on import; what it generates is upper-case only. */
export const QR_PATTERN = /^QR-[A-Za-z0-9-]{1,47}$/;

export function generateQrCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_CHARS));
  let code = "QR-";
  for (const byte of bytes) code += ALPHABET[byte & 31];
  return code;
}

/** Scanners and keyboard wedges add whitespace around the code; the code itself is exact. */
export function normaliseQrCode(raw: string): string {
  return raw.trim();
}

export function isValidQrCode(code: string): boolean {
  return QR_PATTERN.test(code);
}

/** A badge as two scans of it compare: in capitals, as the door's double-tap check (a wedge may change the case). */
export const badgeKey = (participant: { qrCode: string } | { participantId: ObjectId }): string =>
  "qrCode" in participant
    ? normaliseQrCode(participant.qrCode).toUpperCase()
    : String(participant.participantId);
