// A session's states and capacity rules: values every side reads, pages included.

export const SESSION_STATUSES = ["scheduled", "open", "ended", "closed", "cancelled"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const CAPACITY_MODES = ["admissions", "occupancy"] as const;
/** What capacity limits: distinct people admitted (the default) or people inside now (fire safety). */
export type CapacityMode = (typeof CAPACITY_MODES)[number];
