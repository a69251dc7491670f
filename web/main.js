// The page's entry point: load the engine (web/boot.js defines window.DistLab
// and resolves DistLab.ready once the wasm runs), then start the app. No
// top-level await: the offline page bundles this as one classic script.

import "./boot.js";
import { App } from "./app/app.js";
import { errorMessage } from "./app/dom.js";
import { startExtras } from "./extras.js";

const t0 = performance.now();
const app = new App();
const loading = document.getElementById("loading");

// A hook for the browser tests and the performance notes (read-only use).
window.distlabUI = {
  app,
  ready: false,
  interactiveAt: 0,
  state: () => app.state.serialize(),
  perf: app.runner.perf,
  eventPoint: (id) => app.diagram?.eventPoint(id) ?? null,
  rowPoint: (p, t) => app.diagram?.rowPoint(p, t) ?? null,
};

function fail(e) {
  const msg = errorMessage(e);
  loading.hidden = false;
  loading.textContent = `The engine could not start: ${msg}`;
  loading.setAttribute("data-state", "error");
  app.notify.error(msg, "The engine could not start");
}

window.addEventListener("error", (e) => app.notify.error(e.message || "an unexpected error", "Unexpected error"));
window.addEventListener("unhandledrejection", (e) => app.notify.error(errorMessage(e.reason), "Unexpected error"));

Promise.resolve(window.DistLab && window.DistLab.ready)
  .then(() => {
    if (!window.DistLab || typeof window.DistLab.protocols !== "function") throw new Error("window.DistLab is missing: web/boot.js did not load");
    return app.start(window.DistLab);
  })
  // Exports, share links (a link's fragment is loaded here) and embed mode.
  .then(() => startExtras(app).catch((e) => app.notify.error(errorMessage(e), "Share, export or embed could not start")))
  .then(() => {
    requestAnimationFrame(() => {
      window.distlabUI.interactiveAt = performance.now();
      window.distlabUI.bootMs = performance.now() - t0;
      window.distlabUI.ready = true;
      performance.mark("distlab-interactive");
      document.body.dataset.ready = "true";
    });
  })
  .catch(fail);
