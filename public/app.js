// Every htmx request made with the session cookie carries the CSRF token (double
// submit: the server compares this header with the checkin_csrf cookie).
(() => {
  const csrf = () => /(?:^|;\s*)checkin_csrf=([^;]+)/.exec(document.cookie)?.[1];
  document.addEventListener("htmx:config:request", (event) => {
    const request = event.detail?.ctx?.request;
    const token = csrf();
    if (request?.headers && token) request.headers["X-CSRF-Token"] = decodeURIComponent(token);
  });
})();
