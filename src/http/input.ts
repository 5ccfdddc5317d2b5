import { phrase } from "../i18n/locale";
import { badRequest } from "./errors";

// Text people type never holds control characters; PostgreSQL (under FerretDB) cannot
// even store NUL. Refused at the edge, naming the field, before anything is written.
// Tab, newline and carriage return stay allowed (notes and pasted lists have them).

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** The first field (dotted path) whose text holds a control character, or null. */
export function controlCharacterField(value: unknown, path = ""): string | null {
  if (typeof value === "string") return CONTROL.test(value) ? path || "body" : null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = controlCharacterField(item, path ? `${path}.${i}` : String(i));
      if (found) return found;
    }
    return null;
  }
  // Plain objects, and the prototype-less ones form bodies are parsed into.
  const prototype = value && typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (value && (prototype === Object.prototype || prototype === null)) {
    for (const [key, item] of Object.entries(value)) {
      const found = controlCharacterField(item, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
}

/** Path parameters as the handler will see them: Elysia decodes them after this check runs. */
export function decodedParams(
  params: Record<string, string | undefined> | undefined,
): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [key, value = ""] of Object.entries(params ?? {})) {
    try {
      decoded[key] = decodeURIComponent(value);
    } catch {
      decoded[key] = value;
    }
  }
  return decoded;
}

export function refuseControlCharacters(input: { body?: unknown; query?: unknown; params?: unknown }): void {
  const field =
    controlCharacterField(input.body) ??
    controlCharacterField(input.query) ??
    controlCharacterField(input.params);
  if (field) {
    throw badRequest("Validation failed", [
      {
        field,
        message: phrase("{field} contains a control character (such as NUL); remove it and send again", {
          field,
        }),
      },
    ]);
  }
}
