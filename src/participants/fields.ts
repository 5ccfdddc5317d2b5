import { t } from "elysia";

// A participant's fields as every edge takes them (the API, the admin form, a CSV
// import): one schema, so a limit is the same wherever a person is written.

export const Status = t.Union([t.Literal("regular"), t.Literal("ambassador"), t.Literal("travel_grant")]);
export const participantFields = {
  name: t.String({ minLength: 1, maxLength: 200 }),
  email: t.String({ format: "email", maxLength: 254 }),
  organization: t.String({ maxLength: 200 }),
  phone: t.String({ maxLength: 50 }),
  status: Status,
  isActive: t.Boolean(),
  notes: t.String({ maxLength: 500 }),
  doorNote: t.String({ maxLength: 200 }),
  qrCode: t.String({ maxLength: 50 }),
};
const O = t.Optional;
export const CreateParticipant = t.Object(
  {
    name: participantFields.name,
    email: participantFields.email,
    organization: O(participantFields.organization),
    phone: O(participantFields.phone),
    status: O(participantFields.status),
    isActive: O(participantFields.isActive),
    notes: O(participantFields.notes),
    doorNote: O(participantFields.doorNote),
    qrCode: O(participantFields.qrCode),
  },
  { additionalProperties: false },
);
export const PatchParticipant = t.Partial(t.Object(participantFields), { additionalProperties: false });
