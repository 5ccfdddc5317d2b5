import { CERTIFICATE_INDEXES } from "./attendance/certificates";
import { AUDIT_INDEXES } from "./audit/log";
import { SIGN_IN_INDEXES } from "./auth/signins";
import { AUTH_INDEXES } from "./auth/store";
import { CHECKIN_INDEXES } from "./checkin/repo";
import { COPY_INDEXES } from "./door/copies";
import { HANDOVER_INDEXES } from "./door/handover";
import type { IndexSpec } from "./infra/mongo";
import { DIRECTORY_COPY_INDEXES } from "./participants/directory-copy";
import { PARTICIPANT_INDEXES } from "./participants/repo";
import { REGISTRATION_INDEXES } from "./registrations/repo";
import { SESSION_INDEXES } from "./sessions/repo";
import { WEBHOOK_INDEXES } from "./webhooks/repo";

/** Every index the product's queries rely on, created idempotently at start-up. */
export const INDEXES: readonly IndexSpec[] = [
  ...SESSION_INDEXES,
  ...PARTICIPANT_INDEXES,
  ...DIRECTORY_COPY_INDEXES,
  ...REGISTRATION_INDEXES,
  ...CHECKIN_INDEXES,
  ...COPY_INDEXES,
  ...AUTH_INDEXES,
  ...SIGN_IN_INDEXES,
  ...AUDIT_INDEXES,
  ...HANDOVER_INDEXES,
  ...WEBHOOK_INDEXES,
  ...CERTIFICATE_INDEXES,
];
