// Door scanner behaviour: keep the input focused, give each scan a nonce (reused for
// a double tap of the same code), play a sound per verdict, and read QR codes with
// the camera (BarcodeDetector where the browser has it, jsQR otherwise).
(() => {
  const DOUBLE_TAP_MS = 3000;
  let last = { code: "", nonce: "", at: 0 };
  const input = () => document.getElementById("code");

  const refocus = () => {
    const el = input();
    if (el && document.activeElement?.tagName !== "INPUT") el.focus();
  };

  document.addEventListener("htmx:config:request", (event) => {
    const request = event.detail?.ctx?.request;
    const body = request?.body;
    // Only scans (by badge code, or of a person found by name) carry a nonce; other requests are left as they are.
    const isScan = body && typeof body.get === "function" && (body.has("code") || body.has("participantId"));
    if (request?.method !== "POST" || !isScan) return;
    const code = String(body.get("code") ?? body.get("participantId") ?? "")
      .trim()
      .toUpperCase();
    const now = Date.now();
    const sameScan =
      code !== "" && code === last.code && now - last.at < DOUBLE_TAP_MS && !body.get("acceptUnregistered");
    const nonce = sameScan ? last.nonce : crypto.randomUUID();
    body.set("nonce", nonce);
    if (code) last = { code, nonce, at: now };
  });

  let audio;
  const beep = (outcome) => {
    try {
      audio ??= new AudioContext();
      const tones = {
        accept: [880, 0.12],
        already: [520, 0.2],
        decide: [660, 0.3],
        refuse: [220, 0.45],
        error: [180, 0.5],
      };
      const [freq, length] = tones[outcome] ?? tones.error;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + length);
    } catch {
      // No audio (autoplay policy or no device): the colours still tell.
    }
  };

  document.addEventListener("htmx:after:swap", (event) => {
    // React to verdicts only: typing in the search box must keep its focus.
    if (event.detail?.ctx?.target?.id !== "verdict") return;
    const verdict = document.querySelector("#verdict .verdict");
    if (verdict) beep(verdict.dataset.outcome);
    const el = input();
    if (el) {
      el.value = "";
      el.focus();
    }
  });

  document.addEventListener("click", () => setTimeout(refocus, 0));
  window.addEventListener("focus", refocus);

  // Camera mode.
  const submitCode = (code) => {
    const el = input();
    const form = document.getElementById("scan-form");
    if (!el || !form) return;
    el.value = code;
    form.requestSubmit();
  };

  let stream = null;
  let lastSeen = { code: "", at: 0 };
  const stopCamera = () => {
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = null;
    const video = document.getElementById("camera");
    if (video) video.hidden = true;
  };

  const startCamera = async () => {
    const video = document.getElementById("camera");
    if (!video || !navigator.mediaDevices?.getUserMedia) return;
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.setAttribute("playsinline", "");
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const detector =
      "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const tick = async () => {
      if (!stream) return;
      let code = null;
      if (detector) {
        const found = await detector.detect(video).catch(() => []);
        code = found[0]?.rawValue ?? null;
      } else if (window.jsQR && video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0);
        const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
        code = window.jsQR(image.data, image.width, image.height)?.data ?? null;
      }
      const now = Date.now();
      if (code && (code !== lastSeen.code || now - lastSeen.at > DOUBLE_TAP_MS)) {
        lastSeen = { code, at: now };
        submitCode(code);
      }
      setTimeout(tick, 150);
    };
    tick();
  };

  document.addEventListener("click", (event) => {
    if (event.target?.id !== "camera-toggle") return;
    if (stream) stopCamera();
    else startCamera().catch((error) => alert(`Camera unavailable: ${error.message}`));
  });
})();
