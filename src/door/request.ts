import type { ObjectId } from "mongodb";
import type { Method } from "../checkin/repo";
import type { ParticipantRef } from "../participants/directory";
import type { OfflineScan } from "./offline";

// One scan as the door's front doors (the page and the JSON routes) hand it to the scan path.

export interface ScanRequest {
  sessionId: ObjectId;
  participant: ParticipantRef;
  method: Method;
  /** Staff accepted someone without a confirmed registration. */
  acceptUnregistered: boolean;
  by?: string;
  /** The account or token behind `by`: a scanner may undo only their own admissions. */
  byId?: string;
  device?: string;
  notes?: string;
  /** Client nonce or Idempotency-Key: the same key always gets the same answer. */
  nonce?: string;
  /** The door device's seat lease (leases.ts), when it holds one. */
  lease?: string;
  /** A scan queued by a door while offline, replayed now. */
  offline?: OfflineScan;
}

/** A queued scan is the same decision taken at the time it was scanned. */
export function scanTime(request: Pick<ScanRequest, "offline">): Date {
  return request.offline?.scannedAt ?? new Date();
}
