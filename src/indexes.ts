import type { IndexSpec } from "./infra/mongo";

/** Every index the product's queries rely on; features add theirs here so start-up and `migrate` create them all. */
export const INDEXES: readonly IndexSpec[] = [];
