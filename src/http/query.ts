import { t } from "elysia";
import type { Sort } from "mongodb";
import type { Page } from "./envelope";

/** A MongoDB ObjectId as 24 hexadecimal characters; `what` names it in the error. */
export const IdSchema = (what = "ID") =>
  t.String({
    pattern: "^[0-9a-fA-F]{24}$",
    error: `must be ${/^[AEIOU]/i.test(what) || what.startsWith("ID") ? "an" : "a"} ${what} (24 hexadecimal characters)`,
  });

const ALWAYS_SORTABLE = ["createdAt", "updatedAt", "_id"];

export function pagination(query: { page?: number; limit?: number }): Page {
  return { page: query.page ?? 1, limit: query.limit ?? 10 };
}

/** Only listed fields may be sorted on; anything else silently becomes createdAt, as clients expect. */
export function sortFor(
  query: { sortBy?: string; sortOrder?: "asc" | "desc" },
  extra: readonly string[],
): Sort {
  const field =
    query.sortBy && [...ALWAYS_SORTABLE, ...extra].includes(query.sortBy) ? query.sortBy : "createdAt";
  return { [field]: query.sortOrder === "asc" ? 1 : -1, _id: 1 };
}

export const pageQuery = {
  page: t.Optional(t.Integer({ minimum: 1 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })),
  sortBy: t.Optional(t.String({ maxLength: 50 })),
  sortOrder: t.Optional(t.Union([t.Literal("asc"), t.Literal("desc")])),
  search: t.Optional(t.String({ maxLength: 200 })),
};
