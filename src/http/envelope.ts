import { ObjectId } from "mongodb";
import { badRequest } from "./errors";

/** The success envelope existing clients read: `{status, message, data, timestamp, path}` plus route extras. */
export function ok<T>(request: Request, data: T, message = "Success", extra: Record<string, unknown> = {}) {
  const url = new URL(request.url);
  return {
    status: "success" as const,
    message,
    data,
    ...extra,
    timestamp: new Date().toISOString(),
    path: url.pathname + url.search,
  };
}

export function parseId(value: string): ObjectId {
  if (!ObjectId.isValid(value) || !/^[0-9a-fA-F]{24}$/.test(value))
    throw badRequest(`Invalid ID format: ${value}`);
  return new ObjectId(value);
}

export interface Page {
  page: number;
  limit: number;
}

export function pageMeta(page: Page, total: number) {
  const totalPages = Math.max(1, Math.ceil(total / page.limit));
  return {
    page: page.page,
    limit: page.limit,
    total,
    totalPages,
    hasNextPage: page.page < totalPages,
    hasPrevPage: page.page > 1,
  };
}

/** User text used as a case-insensitive substring match: every regex metacharacter is escaped. */
export function containsPattern(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
}
