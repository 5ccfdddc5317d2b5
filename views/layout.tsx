import Html from "@kitajs/html";

export function Layout(props: { title: string; children?: JSX.Element | JSX.Element[]; scripts?: string[] }) {
  return (
    <>
      {"<!doctype html>"}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
          <title safe>{props.title}</title>
          <link rel="icon" href="data:," />
          <link rel="stylesheet" href="/assets/app.css" />
          {/* Not deferred: htmx must have its extensions before it processes the page. */}
          <script src="/assets/htmx.min.js"></script>
          <script src="/assets/app.js"></script>
          {(props.scripts ?? []).map((src) => (
            <script src={src}></script>
          ))}
        </head>
        <body>
          <header class="topbar">
            <a href="/" class="brand">
              Check-in
            </a>
            <nav>
              <a class="navlink" href="/scan">
                Scan
              </a>
              <a class="navlink" href="/live">
                Live
              </a>
              <a class="navlink" href="/reports">
                Reports
              </a>
              <a class="navlink" href="/settings">
                Settings
              </a>
              <a class="navlink" href="/admin/sessions">
                Sessions
              </a>
              <a class="navlink" href="/admin/import">
                Import
              </a>
              <a class="navlink" href="/admin/tokens">
                Tokens
              </a>
            </nav>
            <form method="post" action="/logout" class="logout">
              <button type="submit" class="secondary">
                Sign out
              </button>
            </form>
          </header>
          <main>{props.children as "safe"}</main>
        </body>
      </html>
    </>
  );
}

export { Html };
