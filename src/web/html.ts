import { readerOf, renderFor } from "./reader";

/**
 * A page or fragment for `request`, rendered in its reader's language; views escape user
 * text themselves (`safe`), this only labels the bytes.
 */
export function html(
  request: Request,
  render: () => JSX.Element,
  status = 200,
): Promise<Response> | Response {
  const reader = readerOf(request);
  const body = renderFor(reader, render);
  const make = (text: string) =>
    new Response(text, {
      status,
      headers: { "content-type": "text/html; charset=utf-8", "content-language": reader.locale },
    });
  return typeof body === "string" ? make(body) : body.then(make);
}

/** A CSV download. */
export const csvResponse = (body: string, filename: string) =>
  new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
    },
  });
