/** An HTML answer; views escape user text themselves (`safe`), this only labels the bytes. */
export function html(body: string | Promise<string>, status = 200): Promise<Response> | Response {
  const make = (text: string) =>
    new Response(text, { status, headers: { "content-type": "text/html; charset=utf-8" } });
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
