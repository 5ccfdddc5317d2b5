// The event's own time zone: every time people read, every "day" and every time typed
// into a form is the event's wall clock; stored and exchanged times stay UTC instants.
// One zone per process (the event's), set from EVENT_TIMEZONE and then the settings.

/** Whether `zone` is an IANA time zone this runtime knows ("Africa/Tunis", "UTC"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

let zone = "UTC";
let parts = partsFormat(zone);

function partsFormat(timeZone: string) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
}

export function setEventTimeZone(next: string): void {
  if (!isTimeZone(next) || next === zone) return;
  zone = next;
  parts = partsFormat(next);
  shown.clear();
}

export const eventTimeZone = (): string => zone;

/** The event's wall clock at `date`: "YYYY-MM-DDTHH:MM:SS". */
export function wallClock(date: Date): string {
  const p = Object.fromEntries(parts.formatToParts(date).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

/** The instant the event's clock shows `wall` ("YYYY-MM-DDTHH:MM[:SS]"), or null when it is not a time. */
export function fromWallClock(wall: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(wall);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as number[];
  const asUtc = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s ?? 0);
  if (Number.isNaN(asUtc)) return null;
  // The zone's offset at that moment, found by reading the guess back (twice across a DST change).
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const shown = Date.parse(`${wallClock(new Date(guess))}Z`);
    guess -= shown - asUtc;
  }
  return new Date(guess);
}

/** The start of the event clock's hour that contains `date`. */
export function startOfEventHour(date: Date): Date {
  return fromWallClock(`${wallClock(date).slice(0, 13)}:00`) as Date;
}

/** Midnight of the event's day that contains `date`. */
export function startOfEventDay(date: Date): Date {
  return fromWallClock(`${wallClock(date).slice(0, 10)}T00:00`) as Date;
}

/** How each language writes times for people: a 24-hour clock in both. */
const LANGUAGE_TAGS: Record<string, string> = { en: "en-GB", fr: "fr-FR" };
const SHOWN_AS: Record<string, Intl.DateTimeFormatOptions> = {
  time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  dateTime: { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" },
  date: { dateStyle: "long" },
};
const shown = new Map<string, Intl.DateTimeFormat>();

/** `date` on the event's clock as `language` writes it: a time, a date and time, or a date in words. */
export function formatInstant(language: string, style: "time" | "dateTime" | "date", date: Date): string {
  const key = `${language} ${style}`;
  let format = shown.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(LANGUAGE_TAGS[language] ?? language, {
      ...SHOWN_AS[style],
      timeZone: zone,
    });
    shown.set(key, format);
  }
  return format.format(date);
}
