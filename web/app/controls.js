// Playback controls in the top bar (play/pause, step, step back, rewind, run
// to end, a log-scale speed slider, the timeline scrubber), the keyboard
// shortcuts for everything, and the help overlay that lists them.

import { h, clear, fmtTime, clamp } from "./dom.js";
import { menuOpen } from "./menu.js";

export const SHORTCUTS = [
  ["Playback", [
    [["Space", "K"], "play / pause"],
    [["→", "L"], "step one event"],
    [["←", "J"], "step back one event"],
    [["Home"], "back to the start"],
    [["End"], "run to the end (with progress)"],
    [["[", "]"], "scrub back / forward"],
    [["+", "−"], "faster / slower"],
    [["R"], "reset: restart from the seed"],
    [["N"], "new seed"],
  ]],
  ["Diagram", [
    [["click"], "select event a (causal past and future)"],
    [["click", "Shift+click"], "select event b: a → b, b → a or a ∥ b"],
    [["X"], "draw a cut (click or drag across lines; Alt+click: vertical)"],
    [["C"], "clocks: off / Lamport / vector"],
    [["F"], "fit the whole run; wheel zooms, drag pans"],
    [["G"], "go to the first broken invariant"],
    [["Esc"], "clear the selection and the cut"],
    [["↑↓←→", "Enter"], "move between events / select (diagram focused)"],
  ]],
  ["Topology & faults", [
    [["right-click", "Enter"], "node menu: crash, recover, traitor, link…"],
    [["V"], "select mode (drag nodes)"],
    [["E"], "edit mode: drag node→node links, click a link to remove"],
    [["A"], "add a node (edit mode)"],
    [["P"], "partition mode: click nodes into groups"],
    [["H"], "heal the network"],
    [["M"], "messages in flight: drop or delay one"],
  ]],
  ["Page", [
    [["I"], "inspector"],
    [["S"], "show / hide the settings"],
    [["T"], "light / dark theme"],
    [["?"], "this help"],
  ]],
];

export class Controls {
  constructor(app) {
    this.app = app;
    const r = app.runner;
    this.play = document.getElementById("btn-play");
    this.speed = document.getElementById("speed");
    this.speedOut = document.getElementById("speed-out");
    this.scrub = document.getElementById("scrubber");
    this.clock = document.getElementById("clock");
    this.progress = document.getElementById("progress");
    this.play.addEventListener("click", () => r.toggle());
    document.getElementById("btn-step").addEventListener("click", () => r.step());
    document.getElementById("btn-step-back").addEventListener("click", () => r.stepBack());
    document.getElementById("btn-rewind").addEventListener("click", () => r.rewind());
    document.getElementById("btn-end").addEventListener("click", () => r.runToEnd());
    document.getElementById("btn-reset").addEventListener("click", () => app.resetRun());
    document.getElementById("btn-new-seed").addEventListener("click", () => app.newSeed());
    document.getElementById("help-button").addEventListener("click", () => this.showHelp());
    this.speed.addEventListener("input", () => this.setSpeedExp(Number(this.speed.value)));
    let pending = null;
    this.scrub.addEventListener("input", () => {
      const first = pending === null;
      pending = Number(this.scrub.value);
      if (!first) return;
      requestAnimationFrame(() => {
        const v = pending;
        pending = null;
        r.seekTime((v / 1000) * this.horizon());
      });
    });
    r.on("play", (on) => {
      this.play.setAttribute("aria-pressed", String(on));
      this.play.setAttribute("aria-label", on ? "Pause (Space)" : "Play (Space)");
    });
    r.on("progress", (p) => this.showProgress(p));
    this.setSpeedExp(Number(this.speed.value));
    document.addEventListener("keydown", (e) => this.onKey(e));
  }

  horizon() {
    const r = this.app.runner;
    return Math.max(r.horizon, r.now(), 1);
  }

  setSpeedExp(v) {
    v = clamp(v, 1, 7);
    this.speed.value = String(v);
    const us = Math.pow(10, v);
    this.app.runner.speed = us;
    const label = `${fmtTime(us)}/s`;
    this.speedOut.textContent = label;
    this.speed.setAttribute("aria-valuetext", `${label} of virtual time per second`);
  }

  /** Picks a speed at which a typical message takes about a second. */
  suggestSpeed(latMaxUs) {
    if (!(latMaxUs > 0)) return;
    this.setSpeedExp(clamp(Math.log10(latMaxUs * 1.2), 1, 7));
  }

  showProgress(p) {
    if (!p) { this.progress.hidden = true; return; }
    this.progress.hidden = false;
    this.progress.querySelector(".bar").style.width = `${(p.fraction * 100).toFixed(1)}%`;
    this.progress.querySelector(".label").textContent = `${p.label}… ${fmtTime(p.now)}`;
  }

  frame() {
    const r = this.app.runner;
    if (!r.sim) return;
    const now = r.now();
    const hz = this.horizon();
    // Only what changed is written: each write costs style (and layout) work.
    const pos = String(Math.round((now / hz) * 1000));
    if ((document.activeElement !== this.scrub || r.playing || r.task) && this.scrub.value !== pos) this.scrub.value = pos;
    const vt = `${fmtTime(now)} of ${fmtTime(hz)}`;
    if (vt !== this.lastValueText) { this.lastValueText = vt; this.scrub.setAttribute("aria-valuetext", vt); }
    const done = r.sim.done();
    const txt = `${fmtTime(now)} · ${r.cache.length} ev${done ? " · end" : r.lagging ? " · max speed" : ""}`;
    if (this.clock.textContent !== txt) this.clock.textContent = txt;
    const ds = this.clock.dataset;
    if (ds.now !== String(now)) ds.now = String(now);
    if (ds.events !== String(r.cache.length)) ds.events = String(r.cache.length);
    if (ds.done !== String(done)) ds.done = String(done);
  }

  onKey(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey) return;
    const t = e.target;
    const typing = t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) && !(t.tagName === "INPUT" && (t.type === "range" || t.type === "checkbox"));
    if (typing || menuOpen() || document.querySelector("dialog[open]")) return;
    const app = this.app, r = app.runner;
    const k = e.key;
    const act = {
      " ": () => r.toggle(), k: () => r.toggle(), K: () => r.toggle(),
      ArrowRight: () => r.step(), l: () => r.step(),
      ArrowLeft: () => r.stepBack(), j: () => r.stepBack(),
      Home: () => r.rewind(), End: () => r.runToEnd(),
      "[": () => r.seekTime(Math.max(0, r.now() - this.horizon() * 0.05)),
      "]": () => r.seekTime(Math.min(this.horizon(), r.now() + this.horizon() * 0.05)),
      "+": () => this.setSpeedExp(Number(this.speed.value) + 0.25), "=": () => this.setSpeedExp(Number(this.speed.value) + 0.25),
      "-": () => this.setSpeedExp(Number(this.speed.value) - 0.25), "_": () => this.setSpeedExp(Number(this.speed.value) - 0.25),
      r: () => app.resetRun(), R: () => app.resetRun(),
      n: () => app.newSeed(), N: () => app.newSeed(),
      f: () => app.diagram.fit(), F: () => app.diagram.fit(),
      c: () => app.diagram.cycleClocks(), C: () => app.diagram.cycleClocks(),
      x: () => app.diagram.toggleCut(), X: () => app.diagram.toggleCut(),
      g: () => app.revealFirstViolation(), G: () => app.revealFirstViolation(),
      Escape: () => { app.selection.setCutMode(false); app.selection.clearAll(); app.topology.setMode("select"); },
      v: () => app.topology.setMode("select"), V: () => app.topology.setMode("select"),
      e: () => app.topology.setMode("edit"), E: () => app.topology.setMode("edit"),
      p: () => app.topology.setMode("partition"), P: () => app.topology.setMode("partition"),
      a: () => { if (app.topology.mode === "edit") app.topology.addNode(); }, A: () => { if (app.topology.mode === "edit") app.topology.addNode(); },
      h: () => app.inject({ heal: true }), H: () => app.inject({ heal: true }),
      m: () => app.topology.openInflightMenu(), M: () => app.topology.openInflightMenu(),
      i: () => app.focusInspector(), I: () => app.focusInspector(),
      s: () => app.toggleSidebar(), S: () => app.toggleSidebar(),
      t: () => app.theme.toggle(), T: () => app.theme.toggle(),
      "?": () => this.showHelp(),
    }[k];
    if (!act) return;
    // Buttons keep Space/Enter for themselves.
    if (k === " " && t instanceof HTMLElement && (t.tagName === "BUTTON" || t.getAttribute("role") === "button")) return;
    e.preventDefault();
    act();
  }

  showHelp() {
    const d = document.getElementById("help");
    if (d.open) { d.querySelector("[data-testid=help-close]")?.focus(); return; }
    clear(d);
    const cols = h("div", { class: "help-cols" });
    for (const [title, rows] of SHORTCUTS) {
      const tbl = h("table", { class: "shortcuts" });
      for (const [keys, what] of rows) {
        const cell = h("td");
        keys.forEach((k, i) => { if (i) cell.append(" "); cell.append(h("kbd", { text: k })); });
        tbl.append(h("tr", {}, cell, h("td", { text: what })));
      }
      cols.append(h("section", {}, h("h3", { text: title }), tbl));
    }
    const close = h("button", { type: "button", class: "btn primary", "data-testid": "help-close", text: "Close" });
    close.addEventListener("click", () => d.close());
    d.append(h("h2", { id: "help-title", text: "Keyboard shortcuts" }), cols,
      h("p", { class: "hint", style: { marginTop: "10px" }, text: "Every fault you inject is recorded with the step it happened at, so going back and forth replays it exactly. Changing a setting restarts the run from the seed." }),
      h("div", { class: "actions" }, close));
    d.showModal();
    close.focus({ preventScroll: true });
  }
}

/** Light / dark theme: follows prefers-color-scheme until the user picks one. */
export class Theme {
  constructor(onChange) {
    this.onChange = onChange;
    let saved = null;
    try { saved = localStorage.getItem("distlab-theme"); } catch { /* file:// or private mode */ }
    if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
    document.getElementById("theme-toggle").addEventListener("click", () => this.toggle());
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.onChange());
  }
  current() {
    const t = document.documentElement.dataset.theme;
    if (t === "light" || t === "dark") return t;
    return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  toggle() {
    const next = this.current() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try { localStorage.setItem("distlab-theme", next); } catch { /* ignore */ }
    this.onChange();
  }
}
