import type { AuditTrail } from "./audit/log";
import type { CheckinService } from "./door/service";
import type { Directory } from "./participants/directory";
import type { OpenMarks } from "./registrations/marks";
import type { SessionCache } from "./sessions/cache";
import type { Webhooks } from "./webhooks/service";

/**
 * What assemble() builds once per instance and hands to the features: each feature owns
 * its state (the sessions their cache, the participants their badge directory), and the
 * door reads both; no feature reaches its own data through another.
 */
export interface Features {
  sessions: SessionCache;
  directory: Directory;
  door: CheckinService;
  /** Registrations written one at a time keep their sessions' packed copies honest through these (registrations/marks.ts). */
  registrationMarks: OpenMarks;
  /** Signed event deliveries to the organisers' other tools (webhooks/). */
  webhooks: Webhooks;
  /** The admin log's entries this instance gathers before writing them (audit/log.ts). */
  auditTrail: AuditTrail;
}
