import type { Collection, Document, Filter, Sort, WithId } from "mongodb";

export const ADMIN_PAGE_SIZE = 25;

export interface PageOf<T> {
  items: WithId<T>[];
  page: number;
  pages: number;
  total: number;
}

/** One page of any list and the total it is a page of (the API's lists and the admin pages). */
export async function findPage<T extends Document>(
  collection: Collection<T>,
  filter: Filter<T>,
  sort: Sort,
  page: { page: number; limit: number },
): Promise<{ items: WithId<T>[]; total: number }> {
  const [items, total] = await Promise.all([
    collection
      .find(filter)
      .sort(sort)
      .skip((page.page - 1) * page.limit)
      .limit(page.limit)
      .toArray(),
    collection.countDocuments(filter),
  ]);
  return { items, total };
}

/** One page of an admin list; a page past the end shows the last one. */
export async function pageOf<T extends Document>(
  collection: Collection<T>,
  filter: Filter<T>,
  sort: Sort,
  requested: number | undefined,
): Promise<PageOf<T>> {
  const total = await collection.countDocuments(filter);
  const pages = Math.max(1, Math.ceil(total / ADMIN_PAGE_SIZE));
  const page = Math.min(requested ?? 1, pages);
  const { items } = await findPage(collection, filter, sort, { page, limit: ADMIN_PAGE_SIZE });
  return { items, page, pages, total };
}

/** A list filter left empty (an "any" select, a blank number) arrives as "": it means no filter. */
export const dropEmpty =
  (keys: string[]) =>
  ({ query }: { query: Record<string, unknown> }) => {
    for (const key of keys) if (query[key] === "") delete query[key];
  };
