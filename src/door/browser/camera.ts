import { say } from "./page";

// Camera scanning for phones and tablets: the browser's BarcodeDetector, else jsQR.

const SAME_BADGE_MS = 3000;

export function setUpCamera(onCode: (code: string) => void): void {
  let stream: MediaStream | null = null;
  let lastSeen = { code: "", at: 0 };
  const video = () => document.getElementById("camera") as HTMLVideoElement | null;
  const stop = () => {
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = null;
    const el = video();
    if (el) el.hidden = true;
  };
  const start = async () => {
    const el = video();
    if (!el || !navigator.mediaDevices?.getUserMedia) return;
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    el.setAttribute("playsinline", "");
    el.srcObject = stream;
    el.hidden = false;
    await el.play();
    const detector = window.BarcodeDetector ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const tick = async () => {
      if (!stream) return;
      let code: string | null = null;
      if (detector) {
        const found = await detector.detect(el).catch(() => []);
        code = found[0]?.rawValue ?? null;
      } else if (window.jsQR && ctx && el.videoWidth) {
        canvas.width = el.videoWidth;
        canvas.height = el.videoHeight;
        ctx.drawImage(el, 0, 0);
        const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
        code = window.jsQR(image.data, image.width, image.height)?.data ?? null;
      }
      const now = Date.now();
      if (code && (code !== lastSeen.code || now - lastSeen.at > SAME_BADGE_MS)) {
        lastSeen = { code, at: now };
        onCode(code.trim());
      }
      setTimeout(tick, 150);
    };
    void tick();
  };
  document.addEventListener("click", (event) => {
    if ((event.target as HTMLElement | null)?.id !== "camera-toggle") return;
    if (stream) stop();
    else start().catch((error: Error) => alert(say("Camera unavailable: {error}", { error: error.message })));
  });
}
