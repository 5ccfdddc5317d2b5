// Every htmx request made with the session cookie carries the CSRF token (double
// submit: the server compares this header with the checkin_csrf cookie).
(() => {
  // What scripts write themselves, in the page's language: the server puts the words in a
  // data block (#script-words), and say() looks an English text up in them (the door script too).
  let words;
  const say = (text, params = {}) => {
    words ??= JSON.parse(document.getElementById("script-words")?.textContent ?? "{}");
    return (words[text] ?? text).replace(/\{(\w+)\}/g, (whole, name) =>
      name in params ? String(params[name]) : whole,
    );
  };
  window.checkinSay = say;

  // Signing out wipes what a door device holds for its person: the session snapshots (keyed
  // badge hashes and names), the sync report (badge codes) and the cached door pages. The
  // queue stays: its scans are someone's admissions, sent later under their own account
  // or handed to an admin. Raw IndexedDB, so every page can do it without the door script.
  async function wipeDevice() {
    await new Promise((resolve) => {
      let request;
      try {
        request = indexedDB.open("checkin-door");
      } catch {
        return resolve();
      }
      // No door database on this device: do not create an empty one.
      request.onupgradeneeded = () => request.transaction.abort();
      request.onerror = () => resolve();
      request.onblocked = () => resolve();
      request.onsuccess = () => {
        const db = request.result;
        const stores = ["snapshots", "report"].filter((name) => db.objectStoreNames.contains(name));
        if (stores.length === 0) {
          db.close();
          return resolve();
        }
        const tx = db.transaction(stores, "readwrite");
        for (const name of stores) tx.objectStore(name).clear();
        tx.oncomplete =
          tx.onabort =
          tx.onerror =
            () => {
              db.close();
              resolve();
            };
      };
    });
    if (!("caches" in window)) return;
    for (const name of await caches.keys()) {
      if (!name.startsWith("door-")) continue;
      const cache = await caches.open(name);
      for (const request of await cache.keys())
        if (/^\/scan\//.test(new URL(request.url).pathname)) await cache.delete(request);
    }
  }
  window.checkinWipeDevice = wipeDevice;
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("logout") || form.dataset.wiped)
      return;
    event.preventDefault();
    void wipeDevice()
      .catch(() => undefined)
      .finally(() => {
        form.dataset.wiped = "1";
        form.submit();
      });
  });
  const csrf = () => /(?:^|;\s*)checkin_csrf=([^;]+)/.exec(document.cookie)?.[1];
  document.addEventListener("htmx:config:request", (event) => {
    const request = event.detail?.ctx?.request;
    const token = csrf();
    if (request?.headers && token) request.headers["X-CSRF-Token"] = decodeURIComponent(token);
  });

  // CSV uploads show how far they are: htmx 4 sends through fetch, which reports no upload
  // progress, so forms marked data-upload="#target" are sent here with XMLHttpRequest and
  // the server's HTML (the report, or an error panel) goes into the target.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.upload) return;
    event.preventDefault();
    const target = document.querySelector(form.dataset.upload);
    const bar = form.querySelector(".upload-progress");
    const state = form.querySelector(".upload-state");
    const button = form.querySelector("button[type=submit]");
    const show = (text) => {
      if (state) state.textContent = text;
    };
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    const token = csrf();
    if (token) xhr.setRequestHeader("X-CSRF-Token", decodeURIComponent(token));
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable || !bar) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      bar.value = percent;
      show(say("Uploading… {percent}%", { percent }));
    });
    // Once the bytes are sent the server imports them: the bar has no figure to show then.
    xhr.upload.addEventListener("load", () => {
      bar?.removeAttribute("value");
      show(say("Importing…"));
    });
    const finish = (text) => {
      if (bar) bar.hidden = true;
      if (button) button.disabled = false;
      show(text);
    };
    // While the server imports it streams <!--progress done/total--> markers, then the report.
    const MARK = /<!--progress (\d+)\/(\d+)-->\n?/g;
    xhr.addEventListener("progress", () => {
      const last = [...xhr.responseText.matchAll(MARK)].at(-1);
      if (!last || !bar) return;
      const [done, total] = [Number(last[1]), Number(last[2])];
      bar.value = total > 0 ? Math.round((done / total) * 100) : 100;
      show(say("Importing… {done} of {total} rows written", { done, total }));
    });
    xhr.addEventListener("load", () => {
      if (target) target.innerHTML = xhr.responseText.replace(MARK, "");
      finish(xhr.status < 400 ? say("Done") : say("Refused (HTTP {status})", { status: xhr.status }));
    });
    xhr.addEventListener("error", () => finish(say("The upload failed: the server could not be reached")));
    xhr.addEventListener("abort", () => finish(say("The upload was cancelled")));
    xhr.addEventListener("timeout", () =>
      finish(say("The upload took too long; try again or split the file")),
    );
    xhr.timeout = 300000;
    if (bar) {
      bar.hidden = false;
      bar.value = 0;
    }
    if (button) button.disabled = true;
    show(say("Uploading… {percent}%", { percent: 0 }));
    xhr.send(new FormData(form));
  });
})();
