// Embed mode: the sandbox inside a course page's iframe, with minimal chrome,
// a scenario that is locked (playback only) or editable, optional autoplay
// and a chosen starting view, all from the page's query string:
//
//   index.html?embed=1&locked=1&autoplay=1&view=protocol#s1.…
//
// (see web/EMBED.md for every parameter). When the page runs in a frame it
// tells its parent how the run goes with window.parent.postMessage:
//
//   {source: "distlab", type: "ready", version, protocol, title, nodes, until_us, embed, locked}
//   {source: "distlab", type: "invariant-broken", protocol, invariant, detail, event, t}
//   {source: "distlab", type: "run-ended", protocol, ok, t, events, invariants: [{name, ok, detail}], trace_sha256}
//   {source: "distlab", type: "status", ...}        (the answer to a "status" command)
//
// and accepts a few commands from its parent only:
//
//   {target: "distlab", command: "play" | "pause" | "step" | "rewind" | "run-to-end" | "status"}
//   {target: "distlab", command: "seek", t: MICROSECONDS}
//
// Anything else — another window's message, another shape, an unknown
// command, a bad number — is ignored without a reply; no field of a message
// is ever used as markup, code or a URL.

import { h, parseDur, clamp } from "./app/dom.js";
import { pageURL } from "./share.js";

export const MESSAGE_VERSION = 1;
const VIEWS = ["full", "diagram", "protocol", "topology"];
const COMMANDS = new Set(["play", "pause", "step", "rewind", "run-to-end", "seek", "status"]);
const truthy = (v) => v !== null && v !== "0" && v !== "false" && v !== "no";

/** Reads the embed parameters from a query string (location.search). */
export function embedOptions(search) {
  const q = new URLSearchParams(search || "");
  const embed = truthy(q.get("embed")) && q.has("embed");
  const view = VIEWS.includes(q.get("view")) ? q.get("view") : "full";
  const speed = parseDur(q.get("speed") ?? "");
  const clocks = ["off", "lamport", "vector"].includes(q.get("clocks")) ? q.get("clocks") : "";
  const theme = ["light", "dark"].includes(q.get("theme")) ? q.get("theme") : "";
  const protocol = /^[a-z0-9][a-z0-9-]{0,40}$/.test(q.get("protocol") || "") ? q.get("protocol") : "";
  return {
    embed,
    locked: embed && q.has("locked") && truthy(q.get("locked")),
    autoplay: q.has("autoplay") && truthy(q.get("autoplay")),
    view: embed ? view : "full",
    speed: Number.isFinite(speed) && speed > 0 ? speed : 0, // µs of virtual time per second
    clocks,
    theme,
    protocol,
  };
}

/** Whether this page runs inside a frame. */
export function framed() {
  try { return window.parent !== window; } catch { return true; }
}

/** Validates a message from the parent; returns {command, t?} or null. */
export function parseCommand(data) {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return null;
  let target, command, t;
  try {
    ({ target, command, t } = data);
  } catch {
    return null;
  }
  if (target !== "distlab" || typeof command !== "string" || !COMMANDS.has(command)) return null;
  if (command === "seek") {
    if (typeof t !== "number" || !Number.isFinite(t) || t < 0 || t > 1e15) return null;
    return { command, t: Math.floor(t) };
  }
  return { command };
}

/**
 * Sets the page up for embedding (when opts.embed) and, in a frame, reports
 * progress to the parent and obeys its commands. Call ready() once the first
 * run is in place (after a share fragment has been applied).
 */
export function installEmbed(app, opts) {
  const r = app.runner;
  if (opts.theme && document.documentElement.dataset.theme !== opts.theme) {
    document.documentElement.dataset.theme = opts.theme;
    // The canvases read the theme's colours when told.
    app.topology?.themeChanged?.();
    app.diagram?.themeChanged?.();
  }
  if (opts.embed) {
    document.body.classList.add("embed", `embed-view-${opts.view}`);
    if (opts.locked) document.body.classList.add("embed-locked");
    app.toggleSidebar?.(false);
    const open = h("a", { class: "embed-open", "data-testid": "embed-open", target: "_blank", rel: "noopener", href: pageURL(), title: "Open this run in the full sandbox (a new tab)", text: "Open in distlab ↗" });
    open.addEventListener("click", () => { open.href = pageURL() + location.hash; });
    const bar = document.querySelector(".topbar");
    if (opts.locked) bar?.querySelector(".transport")?.after(h("span", { class: "embed-badge", "data-testid": "embed-locked", title: "This embedded scenario cannot be changed; play it, step it, scrub it.", text: "locked" }));
    bar?.append(open);
  }

  let lastSim = null, reported = new Set(), ended = false, pending = false;
  const post = (msg) => {
    if (!framed()) return;
    try { window.parent.postMessage({ source: "distlab", v: MESSAGE_VERSION, ...msg }, "*"); } catch { /* a closed parent */ }
  };
  const protoName = () => r.info?.name || "";

  const check = () => {
    pending = false;
    const sim = r.sim;
    if (!sim) return;
    if (sim !== lastSim) { lastSim = sim; reported = new Set(); ended = sim.done(); }
    const invs = r.guard("", () => sim.invariants()) || [];
    for (const inv of invs) {
      if (inv.ok || inv.pending) continue;
      const key = `${inv.name}@${inv.event}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const e = inv.event >= 0 && inv.event < r.cache.length ? r.cache.events[inv.event] : null;
      post({ type: "invariant-broken", protocol: protoName(), invariant: inv.name, detail: inv.detail || "", event: inv.event, t: e ? e.t : sim.now() });
    }
    const done = sim.done();
    if (done && !ended) {
      ended = true;
      const sum = r.guard("", () => sim.summary());
      post({
        type: "run-ended", protocol: protoName(), ok: !!sum?.ok, t: sim.now(), events: sim.eventCount(),
        invariants: (sum?.invariants || invs).map((i) => ({ name: i.name, ok: i.ok, detail: i.detail || "" })),
        trace_sha256: sum?.trace_sha256 || "",
      });
    } else if (!done) {
      ended = false;
    }
  };
  if (framed()) {
    r.on("change", () => { if (!pending) { pending = true; requestAnimationFrame(check); } });
    window.addEventListener("message", (ev) => {
      if (ev.source !== window.parent) return;
      const cmd = parseCommand(ev.data);
      if (!cmd) return;
      run(app, cmd, post);
    });
  }

  return {
    /** The first run is in place: apply the starting options and say "ready". */
    ready() {
      if (opts.embed && opts.locked) lock(app);
      if (opts.clocks && app.diagram?.setClocks) app.diagram.setClocks(opts.clocks);
      if (opts.speed && app.controls?.setSpeedExp) app.controls.setSpeedExp(clamp(Math.log10(opts.speed), 1, 7));
      lastSim = r.sim;
      ended = !!r.sim?.done();
      const scTitle = typeof app.state?.scenario?.title === "string" ? app.state.scenario.title : "";
      if (opts.embed && scTitle) {
        const b = document.getElementById("brand-proto");
        if (b) { b.textContent = scTitle; b.title = r.info?.title || ""; }
      }
      post({
        type: "ready", version: window.DistLab?.version || "", protocol: protoName(), title: scTitle || r.info?.title || "",
        nodes: r.nproc, until_us: r.until(), embed: opts.embed, locked: opts.locked,
      });
      if (opts.autoplay) r.play();
      check();
    },
  };
}

function run(app, { command, t }, post) {
  const r = app.runner;
  switch (command) {
    case "play": r.play(); break;
    case "pause": r.pause(); break;
    case "step": r.step(); break;
    case "rewind": r.rewind(); break;
    case "run-to-end": r.runToEnd(); break;
    case "seek": r.seekTime(Math.min(t, r.until() || t)); break;
    case "status": {
      const sim = r.sim;
      post({
        type: "status", protocol: r.info?.name || "", t: sim ? sim.now() : 0, events: sim ? sim.eventCount() : 0,
        done: sim ? sim.done() : false, playing: !!(r.playing || r.task),
      });
      break;
    }
  }
}

/**
 * Locks the scenario: playback, stepping and scrubbing stay; every way of
 * changing the run (settings, topology edits, injected faults, new seeds)
 * goes through app.applyScenario or app.inject, which refuse it with a
 * notice while app.locked is set.
 */
function lock(app) {
  app.locked = true;
}
