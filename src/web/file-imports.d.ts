// `import x from "…" with { type: "file" }` yields the file's path (embedded when compiled).
declare module "*.css" {
  const path: string;
  export default path;
}
declare module "*/app.js" {
  const path: string;
  export default path;
}
declare module "*/scanner.js" {
  const path: string;
  export default path;
}
declare module "htmx.org/dist/htmx.min.js" {
  const path: string;
  export default path;
}
declare module "jsqr/dist/jsQR.js" {
  const path: string;
  export default path;
}
declare module "htmx.org/dist/ext/hx-ws.min.js" {
  const path: string;
  export default path;
}

// `with { type: "text" }`: the file's text (the Nginx templates, embedded in the binary).
declare module "*.tmpl" {
  const text: string;
  export default text;
}

declare module "*/sw.js" {
  const path: string;
  export default path;
}
declare module "*.svg" {
  const path: string;
  export default path;
}
