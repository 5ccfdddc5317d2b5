// Every page and fragment URL is written once, in its feature's paths.ts: the routes are
// declared with `.pattern` and the views build links and hx-* attributes by calling the
// path, so a route renamed cannot leave a dead button behind.

type ParamsOf<P extends string> = P extends `${string}:${infer K}/${infer Rest}`
  ? K | ParamsOf<`/${Rest}`>
  : P extends `${string}:${infer K}`
    ? K
    : never;

export type Path<P extends string> = ((
  ...params: [ParamsOf<P>] extends [never] ? [] : [Record<ParamsOf<P>, string>]
) => string) & { pattern: P };

/** A route pattern such as "/scan/:sessionId/undo", and the URL it gives for its parameters. */
export function path<P extends string>(pattern: P): Path<P> {
  const fill = (params?: Record<string, string>) =>
    pattern.replace(/:(\w+)/g, (_, key: string) => encodeURIComponent(params?.[key] ?? ""));
  return Object.assign(fill, { pattern }) as Path<P>;
}

/** A path with a query string; empty values are left out. */
export function withQuery(url: string, query: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `${url}?${text}` : url;
}
