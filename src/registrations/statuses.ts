// A registration's states: values every side reads, pages and the door's browser code included.

export const REGISTRATION_STATUSES = ["confirmed", "pending", "cancelled"] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];
