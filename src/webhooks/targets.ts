import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";
import type { Text } from "../i18n/locale";

// Where a webhook may be sent. Loopback, private, link-local and other non-public addresses
// are refused unless the operator allows them (WEBHOOK_ALLOW_PRIVATE=true): otherwise
// anyone who can register an endpoint could make the server call internal services. The
// name is resolved again before each delivery, so a name that later points inside is caught.

/** Whether an address (v4 or v6, v4-mapped included) is on the public internet. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === "unicast";
}

/** A refused target, in words for people. */
export class TargetError extends Error {
  constructor(readonly text: Text) {
    super(text);
    this.name = "TargetError";
  }
}

/** The URL checked: http(s), no credentials, and (unless allowed) every address it names public. */
export async function checkTarget(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetError("The webhook URL is not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new TargetError("The webhook URL must start with https:// or http://");
  if (url.username || url.password)
    throw new TargetError("The webhook URL must not carry a user name or password");
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = ipaddr.isValid(host)
    ? [host]
    : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new TargetError("The webhook URL's host name does not resolve");
  if (!addresses.every(isPublicAddress))
    throw new TargetError(
      "The webhook URL points to a loopback or private address; the operator must set WEBHOOK_ALLOW_PRIVATE=true to allow it",
    );
  return url;
}
