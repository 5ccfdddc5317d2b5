import type { DOOR_WORDS } from "../words";

// The door page as the script finds it: its session, who works it, its words and the
// elements it writes to. Everything here is read once, when the page loads.

export type DoorWord = (typeof DOOR_WORDS)[number];

declare global {
  interface Window {
    /** public/app.js: a text in the page's language. */
    checkinSay?: (text: string, params?: Record<string, string | number>) => string;
    /** public/app.js: removes the snapshots, the sync report and the cached door pages. */
    checkinWipeDevice?: () => Promise<void>;
    htmx?: { process(element: Element): void };
    jsQR?: (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
    BarcodeDetector?: new (options: {
      formats: string[];
    }) => {
      detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
    };
  }
}

/** A text of the door's list, in the page's language. */
export const say = (text: DoorWord, params: Record<string, string | number> = {}): string =>
  window.checkinSay?.(text, params) ?? text;

export interface DoorPage {
  root: HTMLElement;
  session: string;
  /** Who works the door, and their account ("user:<id>" or "token:<id>"). */
  staff: string;
  account: string;
  undoSeconds: number;
}

export function readPage(): DoorPage | null {
  const root = document.querySelector<HTMLElement>(".scanner");
  if (!root?.dataset.session) return null;
  return {
    root,
    session: root.dataset.session,
    staff: root.dataset.staff ?? "",
    account: root.dataset.account ?? "",
    undoSeconds: Number(root.dataset.undoSeconds ?? 60),
  };
}

export const $ = <T extends Element = HTMLElement>(selector: string): T | null =>
  document.querySelector<T>(selector);
export const codeInput = () => document.getElementById("code") as HTMLInputElement | null;
export const verdictSlot = () => document.getElementById("verdict");
export const csrf = () =>
  decodeURIComponent(/(?:^|;\s*)checkin_csrf=([^;]+)/.exec(document.cookie)?.[1] ?? "");

/** A time on the event's clock, as the page's language writes it. */
export function clockOf(root: HTMLElement): (iso: string) => string {
  const clock = new Intl.DateTimeFormat(document.documentElement.lang === "fr" ? "fr-FR" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    ...(root.dataset.zone ? { timeZone: root.dataset.zone } : {}),
  });
  return (iso) => clock.format(new Date(iso));
}

// --- Device and door direction: set once per browser, kept locally. ---
const DEVICE_KEY = "checkin.device";
const DIRECTION_KEY = "checkin.direction";
const LEASE_KEY = "checkin.lease";
export const device = () => localStorage.getItem(DEVICE_KEY) ?? "";
/** This device's lease id (leases.ts): made once, kept with the device. */
export function leaseId(): string {
  let id = localStorage.getItem(LEASE_KEY);
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem(LEASE_KEY, id);
  }
  return id;
}
export const direction = (): "entry" | "exit" =>
  $<HTMLInputElement>("input[name=direction]:checked")?.value === "exit" ? "exit" : "entry";

/** The device's name where the page shows it. */
export function showDevice(): void {
  const label = $("#device-label");
  if (label) label.textContent = device() || say("not named");
}

export function setUpDeviceAndDirection(): void {
  document.addEventListener("click", (event) => {
    if ((event.target as HTMLElement | null)?.id !== "device-rename") return;
    const name = prompt(say("Name this device (for example: Door A, left)"), device());
    if (name !== null) localStorage.setItem(DEVICE_KEY, name.trim().slice(0, 120));
    showDevice();
  });
  for (const radio of document.querySelectorAll<HTMLInputElement>("input[name=direction]")) {
    if (radio.value === (localStorage.getItem(DIRECTION_KEY) ?? "entry")) radio.checked = true;
    radio.addEventListener("change", () => localStorage.setItem(DIRECTION_KEY, direction()));
  }
  showDevice();
}
