import { leaseSpent } from "./local";
import { codeInput, verdictSlot } from "./page";

// Verdicts on screen: the server's HTML, or the device's own while offline; each with
// its sound, the undo offer timed out, and the input ready for the next badge.

let audio: AudioContext | undefined;
const TONES: Record<string, [number, number][]> = {
  accept: [[880, 0.12]],
  already: [[520, 0.2]],
  decide: [[660, 0.3]],
  refuse: [[220, 0.45]],
  queued: [
    [700, 0.08],
    [700, 0.08],
  ],
  error: [[180, 0.5]],
};

function beep(outcome: string | undefined): void {
  try {
    audio ??= new AudioContext();
    let at = audio.currentTime;
    for (const [freq, length] of TONES[outcome ?? ""] ?? TONES.error ?? []) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + length);
      at += length + 0.06;
    }
  } catch {
    // No audio (autoplay policy or no device): the colours, icons and words still tell.
  }
}

export function afterVerdict(undoSeconds: number): void {
  const verdict = document.querySelector<HTMLElement>("#verdict .verdict");
  // A queued scan sounds apart from an admission: it is not the record yet.
  if (verdict) beep(verdict.dataset.queued ? "queued" : verdict.dataset.outcome);
  const undo = document.querySelector<HTMLElement>("#verdict .undo-form");
  if (undo) setTimeout(() => undo.remove(), Number(undo.dataset.expiresIn ?? undoSeconds) * 1000);
  // Focus only: what is in the box is the next badge, typed while this answer came.
  codeInput()?.focus();
}

/**
 * The room's pool was empty: the server took this admission's seat from this door's lease,
 * and its verdict says what is left (a scan, a person from the search, accepted anyway, a walk-in).
 */
export async function noteLeaseLeft(verdict: ParentNode): Promise<void> {
  const left = verdict.querySelector<HTMLElement>("[data-lease-left]")?.dataset.leaseLeft;
  if (left !== undefined) await leaseSpent(Number(left));
}

/** Server HTML into the verdict slot; out-of-band parts (the count) replace their namesakes. */
export function showHtml(text: string, undoSeconds: number): void {
  const template = document.createElement("template");
  template.innerHTML = text;
  for (const part of template.content.querySelectorAll("[hx-swap-oob]")) {
    part.removeAttribute("hx-swap-oob");
    if (part.id) document.getElementById(part.id)?.replaceWith(part);
  }
  void noteLeaseLeft(template.content);
  const slot = verdictSlot();
  if (!slot) return;
  slot.replaceChildren(template.content);
  window.htmx?.process(slot);
  afterVerdict(undoSeconds);
}

/** The device's own verdict (offline, queued, refused to store), built as text: nothing is parsed. */
export function showLocal(
  view: {
    tone: string;
    outcome: string;
    reason?: string;
    /** Stored on the device to send when the server can be reached: not yet the record. */
    queued?: boolean;
    headline: string;
    person?: string;
    words?: string;
    /** Which session the verdict is for (a room-bound door changes session by itself). */
    session?: string;
  },
  undoSeconds: number,
): void {
  const box = document.createElement("div");
  box.className = `verdict ${view.tone}`;
  box.dataset.outcome = view.outcome;
  // Every verdict says why, as the server's do (a screen without a reason says its outcome).
  box.dataset.reason = view.reason ?? view.outcome;
  if (view.queued) box.dataset.queued = "true";
  for (const [cls, text] of [
    ["headline", view.headline],
    ["person", view.person],
    ["reason", view.words],
    ["for-session", view.session],
  ] as const) {
    if (!text) continue;
    const p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    box.append(p);
  }
  verdictSlot()?.replaceChildren(box);
  afterVerdict(undoSeconds);
}
