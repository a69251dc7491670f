// The space-time diagram: one horizontal line per process, time to the right,
// events as dots and messages as arrows, drawn on a canvas from the event
// cache. Only what is visible is drawn (binary search per process for the
// time window; messages by send time), and only when something changed, so
// it stays smooth with tens of thousands of events.
//
// Interaction: click an event to select it ("a": its causal past and future
// are shaded), click a second one ("b") to be told whether a → b, b → a or
// a ∥ b; draw a cut (one point per process) and be told whether it is
// consistent, with the offending message highlighted. Wheel zooms time,
// drag pans, double-click fits. Keyboard: arrows move between events, Enter
// selects, Shift+Enter selects "b"; in cut mode Left/Right move the cut.

import { h, clamp, fmtTime, clear } from "./dom.js";
import { themeColors, alpha } from "./palette.js";

const GUTTER = 58;
const AXIS = 22;
const NUDGE = 6; // px between events at the same instant on the same process
const MAX_NUDGE = 6;
const MODEL = new Set(["local", "send", "receive"]);
const MAX_ARROWS = 2500; // beyond this many visible messages, draw an even sample (zoom in for all)
const LAYER_MAX_NEW = 400; // events drawn over the still layer before it is repainted

export class SpaceTime {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.t0 = 0;
    this.t1 = 1000;
    this.follow = "fit"; // "fit" | "tail" | "free"
    this.scrollY = 0;
    this.clocks = "off"; // "off" | "lamport" | "vector"
    this.vcCache = new Map();
    this.names = [];
    this.dirty = true;
    this.lastVersion = -1;
    this.cursor = -1; // keyboard cursor event
    this.cutRow = 0;
    this.causal = null; // {event, past, future}
    this.verdict = null;
    this.relation = "";
    this.hover = -1;
    this.colors = themeColors();
    this.stats = { events: 0, arrows: 0, ms: 0 };
    this.build();
    app.selection.on("events", () => this.onSelection());
    app.selection.on("cut", () => this.onCut());
    app.selection.on("node", () => { this.dirty = true; });
    app.selection.on("cutmode", (on) => { this.cutBtn.setAttribute("aria-pressed", String(on)); this.dirty = true; });
  }

  build() {
    const tools = h("div", { class: "tools", role: "toolbar", "aria-label": "Diagram tools" });
    const btn = (label, tid, title, fn) => {
      const b = h("button", { type: "button", class: "btn small", "data-testid": tid, title, text: label });
      b.addEventListener("click", fn);
      return b;
    };
    this.clockSel = h("select", { "data-testid": "clocks-select", "aria-label": "Show clocks (C)", title: "Show clocks (C)" },
      h("option", { value: "off", text: "Clocks: off" }), h("option", { value: "lamport", text: "Lamport" }), h("option", { value: "vector", text: "Vector" }));
    this.clockSel.addEventListener("change", () => this.setClocks(this.clockSel.value));
    this.cutBtn = btn("Cut", "cut-toggle", "Draw a cut: click or drag across the process lines (X)", () => this.toggleCut());
    this.cutBtn.setAttribute("aria-pressed", "false");
    tools.append(
      btn("Fit", "diagram-fit", "Fit the whole run (F)", () => this.fit()),
      btn("−", "diagram-zoom-out", "Zoom out", () => this.zoom(1.6)),
      btn("+", "diagram-zoom-in", "Zoom in", () => this.zoom(1 / 1.6)),
      h("span", { class: "sep" }),
      this.clockSel, this.cutBtn,
      btn("Clear", "diagram-clear", "Clear the selection and the cut (Esc)", () => { this.app.selection.setCutMode(false); this.app.selection.clearAll(); }),
    );
    const head = h("div", { class: "panel-head" }, h("h2", { id: "diagram-title", text: "Space-time diagram" }), tools);
    this.canvas = h("canvas", {
      id: "diagram-canvas", tabindex: "0", role: "img", "data-testid": "diagram",
      "aria-labelledby": "diagram-title", "aria-describedby": "diagram-status",
    });
    this.body = h("div", { class: "diagram-body" }, this.canvas);
    this.statusSel = h("span", { class: "grow", "data-testid": "diagram-selection" });
    this.statusRel = h("span", { class: "relation", "data-testid": "relation" });
    this.statusCut = h("span", { "data-testid": "cut-verdict" });
    this.status = h("div", { class: "diagram-status", id: "diagram-status", "aria-live": "polite" }, this.statusSel, this.statusRel, this.statusCut);
    this.tooltip = h("div", { class: "tooltip", hidden: true, "data-testid": "diagram-tooltip" });
    document.body.append(this.tooltip);
    clear(this.root);
    this.root.append(head, this.body, this.status);
    new ResizeObserver(() => { this.resize(); }).observe(this.body);
    this.bindPointer();
    this.bindKeys();
    this.updateStatus();
  }

  // ---- lifecycle ----
  reset() {
    const r = this.app.runner;
    const infos = r.guard("nodes", () => r.sim.nodes()) || [];
    this.names = infos.map((n) => n.name);
    this.n = r.nproc;
    this.vcCache.clear();
    this.causal = null;
    this.verdict = null;
    this.relation = "";
    this.cursor = -1;
    this.scrollY = 0;
    this.follow = "fit";
    this.layer = null;
    this.app.selection.setCutMode(false);
    this.app.selection.clearAll();
    this.resize();
  }

  resize() {
    const rect = this.body.getBoundingClientRect();
    this.w = Math.max(100, rect.width);
    this.h = Math.max(60, rect.height);
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(this.w * dpr);
    this.canvas.height = Math.round(this.h * dpr);
    this.dirty = true;
    this.draw();
  }

  get plotW() { return Math.max(10, this.w - GUTTER - 14); }
  rowH() {
    const n = Math.max(1, this.n || 1);
    const avail = this.h - AXIS - 6;
    return Math.max(avail / n, n <= 64 ? 16 : 4);
  }
  maxScroll() { return Math.max(0, (this.n || 0) * this.rowH() - (this.h - AXIS - 6)); }
  rowY(p) { return AXIS + (p + 0.5) * this.rowH() - this.scrollY; }
  tx(t) { return GUTTER + ((t - this.t0) / (this.t1 - this.t0)) * this.plotW; }
  xt(x) { return this.t0 + ((x - GUTTER) / this.plotW) * (this.t1 - this.t0); }
  evX(e) { return this.tx(e.t) + Math.min(e.nudge, MAX_NUDGE) * NUDGE; }

  // ---- view window ----
  endTime() {
    const r = this.app.runner;
    return Math.max(r.sim ? r.sim.now() : 0, r.cache ? r.cache.lastTime : 0);
  }

  updateWindow() {
    const end = this.endTime();
    const r = this.app.runner;
    // While the run moves the window grows in steps (room for a fifth more)
    // rather than every frame, so the still layer stays valid between steps.
    const moving = r.playing || !!r.task;
    if (this.follow === "fit") {
      const want = Math.max(end * 1.04, 1000);
      if (!moving) { this.t0 = 0; this.t1 = want; }
      else if (this.t0 !== 0 || this.t1 < want || this.t1 > want * 1.6) { this.t0 = 0; this.t1 = Math.max(end * 1.2, 1000); }
    } else if (this.follow === "tail") {
      const span = this.t1 - this.t0;
      if (end > this.t1 - span * 0.04) { this.t1 = end + span * (moving ? 0.2 : 0.04); this.t0 = this.t1 - span; }
    }
  }

  fit() {
    this.follow = "fit";
    this.dirty = true;
  }

  zoom(f, cx) {
    const x = cx ?? GUTTER + this.plotW / 2;
    const tm = this.xt(x);
    let span = clamp((this.t1 - this.t0) * f, 2, Math.max(this.endTime() * 4, 1e4));
    this.t0 = tm - ((x - GUTTER) / this.plotW) * span;
    this.t1 = this.t0 + span;
    if (this.t0 < 0) { this.t1 -= this.t0; this.t0 = 0; }
    this.follow = this.t1 >= this.endTime() ? "tail" : "free";
    this.dirty = true;
  }

  /** Brings event e into view and selects it. */
  reveal(id, select = true) {
    const e = this.app.runner.cache.events[id];
    if (!e) return;
    const span = this.t1 - this.t0;
    if (e.t < this.t0 || e.t > this.t1 || this.follow === "fit") {
      const s = this.follow === "fit" ? Math.max(span / 3, 50) : span;
      this.t0 = Math.max(0, e.t - s / 2);
      this.t1 = this.t0 + s;
      this.follow = "free";
    }
    if (e.node >= 0) {
      const y = this.rowY(e.node);
      if (y < AXIS + 4 || y > this.h - 4) this.scrollY = clamp((e.node + 0.5) * this.rowH() - (this.h - AXIS) / 2, 0, this.maxScroll());
    }
    this.cursor = id;
    if (select) this.app.selection.setEvents(id, -1);
    this.dirty = true;
  }

  // ---- selection, causality and cuts ----
  onSelection() {
    const sel = this.app.selection;
    const sim = this.app.runner.sim;
    this.causal = null;
    this.relation = "";
    if (sim && sel.a >= 0) {
      const c = this.app.runner.guard("causal", () => sim.causal(sel.a));
      if (c) this.causal = { event: sel.a, past: c.past, future: c.future };
      if (sel.b >= 0) this.relation = this.app.runner.guard("relation", () => sim.relation(sel.a, sel.b)) || "";
      const e = this.app.runner.cache.events[sel.a];
      if (e && e.node >= 0) sel.setNode(e.node);
    }
    this.canvas.dataset.a = String(sel.a);
    this.canvas.dataset.b = String(sel.b);
    this.canvas.dataset.relation = this.relation;
    this.updateStatus();
    this.dirty = true;
  }

  onCut() {
    const sel = this.app.selection;
    const sim = this.app.runner.sim;
    this.verdict = null;
    if (sim && sel.cut) this.verdict = this.app.runner.guard("cut", () => sim.checkCut(sel.cut)) || null;
    this.canvas.dataset.cut = this.verdict ? (this.verdict.consistent ? "consistent" : "inconsistent") : "";
    this.updateStatus();
    this.dirty = true;
  }

  toggleCut() {
    const sel = this.app.selection;
    if (sel.cutMode) {
      sel.setCutMode(false);
      sel.setCut(null);
      return;
    }
    sel.setCutMode(true);
    if (!sel.cut) this.setCutAll(GUTTER + this.plotW / 2);
    this.canvas.focus({ preventScroll: true });
  }

  /** A vertical cut at x. */
  setCutAll(x) {
    const prefix = [];
    for (let p = 0; p < this.n; p++) prefix.push(this.countUpTo(p, x));
    this.app.selection.setCut(prefix);
  }

  setCutRow(p, x) {
    const sel = this.app.selection;
    if (!sel.cut) return;
    const k = this.countUpTo(p, x);
    if (sel.cut[p] === k) return;
    const next = sel.cut.slice();
    next[p] = k;
    sel.setCut(next);
  }

  /** How many of p's events are drawn at or left of x. */
  countUpTo(p, x) {
    const c = this.app.runner.cache;
    const list = c.byNode[p];
    let k = c.firstAtOrAfter(p, this.xt(x - MAX_NUDGE * NUDGE - 1));
    while (k < list.length && this.evX(c.events[list[k]]) <= x) k++;
    return k;
  }

  /** The x of the cut line on process p: between its last event inside and first outside. */
  cutX(p, k) {
    const c = this.app.runner.cache;
    const list = c.byNode[p];
    const left = k > 0 ? this.evX(c.events[list[k - 1]]) : GUTTER - 4;
    const right = k < list.length ? this.evX(c.events[list[k]]) : Math.max(left + 16, this.tx(this.endTime()) + 6);
    return k === 0 ? Math.min(right - 5, Math.max(GUTTER + 2, right - 10)) : k >= list.length ? left + 6 : (left + right) / 2;
  }

  setClocks(mode) {
    this.clocks = mode;
    this.clockSel.value = mode;
    this.dirty = true;
  }

  cycleClocks() {
    this.setClocks({ off: "lamport", lamport: "vector", vector: "off" }[this.clocks]);
    this.app.notify.announce(`Clocks: ${this.clocks}`);
  }

  describe(id) {
    const e = this.app.runner.cache.events[id];
    if (!e) return "";
    const who = e.node >= 0 ? this.names[e.node] || `P${e.node}` : "network";
    return `#${e.id} ${who} @${fmtTime(e.t)}: ${e.text}`;
  }

  updateStatus() {
    const sel = this.app.selection;
    clear(this.statusSel);
    clear(this.statusRel);
    clear(this.statusCut);
    if (sel.a >= 0) {
      this.statusSel.append(h("span", { class: "tag-a", text: "a" }), " ", this.describe(sel.a));
      if (sel.b >= 0) this.statusSel.append("  ", h("span", { class: "tag-b", text: "b" }), " ", this.describe(sel.b));
    } else if (!sel.cutMode) {
      this.statusSel.append(h("span", { class: "hint", text: "Click an event for its causal past and future, a second one to compare them; X draws a cut." }));
    }
    if (this.relation) {
      const txt = { before: "a → b: a happened before b", after: "b → a: b happened before a", concurrent: "a ∥ b: concurrent", same: "a = b" }[this.relation] || this.relation;
      this.statusRel.textContent = txt;
    }
    if (this.verdict) {
      const v = this.verdict;
      this.statusCut.append(h("span", { class: "verdict " + (v.consistent ? "ok" : "bad"), text: v.consistent ? "✓ consistent cut" : "✗ inconsistent cut" }));
      if (!v.consistent) this.statusCut.append(" ", h("span", { text: v.detail.replace(/^inconsistent: /, "") }));
    } else if (sel.cutMode) {
      this.statusCut.append(h("span", { class: "hint", text: "Click or drag across process lines to place the cut." }));
    }
  }

  // ---- input ----
  bindPointer() {
    const cv = this.canvas;
    let down = null;
    const local = (e) => { const r = cv.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; };
    const rowAt = (y) => Math.floor((y - AXIS + this.scrollY) / this.rowH());
    cv.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      cv.setPointerCapture(e.pointerId);
      const p = local(e);
      down = { ...p, t0: this.t0, t1: this.t1, sy: this.scrollY, moved: false, cut: this.app.selection.cutMode && p.x > GUTTER };
      if (down.cut) {
        const row = rowAt(p.y);
        if (e.altKey) this.setCutAll(p.x);
        else if (row >= 0 && row < this.n) { this.cutRow = row; this.setCutRow(row, p.x); }
      }
    });
    cv.addEventListener("pointermove", (e) => {
      const p = local(e);
      if (!down) { this.onHover(p, e); return; }
      const dx = p.x - down.x, dy = p.y - down.y;
      if (!down.moved && dx * dx + dy * dy < 16) return;
      down.moved = true;
      this.tooltip.hidden = true;
      if (down.cut) {
        const row = rowAt(p.y);
        if (row >= 0 && row < this.n) { this.cutRow = row; this.setCutRow(row, p.x); }
        return;
      }
      const span = down.t1 - down.t0;
      let t0 = down.t0 - (dx / this.plotW) * span;
      t0 = Math.max(0, t0);
      this.t0 = t0;
      this.t1 = t0 + span;
      this.scrollY = clamp(down.sy - dy, 0, this.maxScroll());
      this.follow = this.t1 >= this.endTime() ? "tail" : "free";
      this.dirty = true;
    });
    const up = (e) => {
      if (!down) return;
      const d = down;
      down = null;
      if (d.moved || d.cut) return;
      const p = local(e);
      const id = this.eventAt(p.x, p.y);
      if (id >= 0) { this.cursor = id; this.app.selection.pick(id, e.shiftKey); }
      else if (p.x < GUTTER) { const row = rowAt(p.y); if (row >= 0 && row < this.n) this.app.selection.setNode(row); }
      else this.app.selection.setEvents(-1, -1);
    };
    cv.addEventListener("pointerup", up);
    cv.addEventListener("pointercancel", () => { down = null; });
    cv.addEventListener("pointerleave", () => { this.tooltip.hidden = true; this.hover = -1; });
    cv.addEventListener("dblclick", () => this.fit());
    cv.addEventListener("wheel", (e) => {
      e.preventDefault();
      const p = local(e);
      if (e.shiftKey && this.maxScroll() > 0) {
        this.scrollY = clamp(this.scrollY + e.deltaY, 0, this.maxScroll());
      } else if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        const span = this.t1 - this.t0;
        this.t0 = Math.max(0, this.t0 + (e.deltaX / this.plotW) * span);
        this.t1 = this.t0 + span;
        this.follow = "free";
      } else {
        this.zoom(Math.exp(e.deltaY * 0.0015), p.x);
      }
      this.dirty = true;
    }, { passive: false });
  }

  onHover(p, e) {
    const id = this.eventAt(p.x, p.y);
    if (id === this.hover) {
      if (id >= 0) this.placeTooltip(e);
      return;
    }
    this.hover = id;
    if (id < 0) { this.tooltip.hidden = true; return; }
    const ev = this.app.runner.cache.events[id];
    clear(this.tooltip);
    this.tooltip.append(h("div", { text: this.describe(id) }), h("div", { class: "mono", text: `${ev.kind} · Lamport ${ev.lamport}` + (ev.msg ? ` · ${ev.msg.type} #${ev.msg.id}` : "") + (ev.phase ? ` · phase ${ev.phase}` : "") }));
    this.tooltip.hidden = false;
    this.placeTooltip(e);
  }

  placeTooltip(e) {
    const r = this.tooltip.getBoundingClientRect();
    this.tooltip.style.left = Math.min(e.clientX + 14, innerWidth - r.width - 6) + "px";
    this.tooltip.style.top = Math.max(4, e.clientY - r.height - 10) + "px";
  }

  /** The event drawn nearest (x, y), or -1. */
  eventAt(x, y) {
    const c = this.app.runner.cache;
    if (!c || x < GUTTER - 4) return -1;
    const rh = this.rowH();
    const row = Math.floor((y - AXIS + this.scrollY) / rh);
    let best = -1, bd = 8;
    for (const p of [row, row - 1, row + 1]) {
      if (p < 0 || p >= this.n) continue;
      const ry = this.rowY(p);
      if (Math.abs(ry - y) > Math.max(8, rh / 2)) continue;
      const list = c.byNode[p];
      let k = c.firstAtOrAfter(p, this.xt(x - MAX_NUDGE * NUDGE - 10));
      for (; k < list.length; k++) {
        const e = c.events[list[k]];
        const ex = this.evX(e);
        if (ex > x + 10) break;
        const d = Math.hypot(ex - x, (ry - y) * 0.7);
        if (d < bd) { bd = d; best = e.id; }
      }
    }
    return best;
  }

  /** Client coordinates of an event's dot (for tests and for opening menus). */
  eventPoint(id) {
    const e = this.app.runner.cache.events[id];
    if (!e || e.node < 0) return null;
    const r = this.canvas.getBoundingClientRect();
    return { x: r.left + this.evX(e), y: r.top + this.rowY(e.node) };
  }

  /** Client coordinates of process p's line at virtual time t. */
  rowPoint(p, t) {
    const r = this.canvas.getBoundingClientRect();
    return { x: r.left + this.tx(t), y: r.top + this.rowY(p) };
  }

  bindKeys() {
    this.canvas.addEventListener("keydown", (e) => {
      const c = this.app.runner.cache;
      if (!c || !c.length) return;
      const sel = this.app.selection;
      const k = e.key;
      if (sel.cutMode && sel.cut && (k === "ArrowLeft" || k === "ArrowRight" || k === "ArrowUp" || k === "ArrowDown")) {
        e.preventDefault(); e.stopPropagation();
        if (k === "ArrowUp") this.cutRow = Math.max(0, this.cutRow - 1);
        else if (k === "ArrowDown") this.cutRow = Math.min(this.n - 1, this.cutRow + 1);
        else {
          const next = sel.cut.slice();
          const len = c.byNode[this.cutRow].length;
          next[this.cutRow] = clamp(next[this.cutRow] + (k === "ArrowRight" ? 1 : -1), 0, len);
          sel.setCut(next);
        }
        this.app.notify.announce(`Cut on ${this.names[this.cutRow]}: ${sel.cut[this.cutRow]} events inside`);
        this.dirty = true;
        return;
      }
      if (!["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Enter"].includes(k)) return;
      e.preventDefault(); e.stopPropagation();
      let cur = this.cursor >= 0 && c.events[this.cursor] && c.events[this.cursor].node >= 0 ? c.events[this.cursor] : null;
      if (!cur) {
        const firstRow = c.byNode.findIndex((l) => l.length);
        if (firstRow < 0) return;
        cur = c.events[c.byNode[firstRow][0]];
        this.cursor = cur.id;
      } else if (k === "Enter") {
        sel.pick(cur.id, e.shiftKey);
        return;
      } else if (k === "ArrowLeft" || k === "ArrowRight") {
        const list = c.byNode[cur.node];
        const j = clamp(cur.k + (k === "ArrowRight" ? 1 : -1), 0, list.length - 1);
        this.cursor = list[j];
      } else {
        let p = cur.node;
        const dir = k === "ArrowDown" ? 1 : -1;
        do { p += dir; } while (p >= 0 && p < this.n && !c.byNode[p].length);
        if (p >= 0 && p < this.n) {
          const j = clamp(c.firstAtOrAfter(p, cur.t), 0, c.byNode[p].length - 1);
          this.cursor = c.byNode[p][j];
        }
      }
      this.reveal(this.cursor, false);
      this.app.notify.announce(this.describe(this.cursor));
    });
  }

  themeChanged() {
    this.colors = themeColors();
    this.layer = null;
    this.dirty = true;
  }

  // ---- drawing ----
  frame() {
    const r = this.app.runner;
    if (!r.sim || !r.cache) return;
    if (r.version !== this.lastVersion) {
      this.lastVersion = r.version;
      this.dirty = true;
    }
    if (!this.dirty) return;
    // While the run moves, a costly picture is redrawn less often so that the
    // simulation and the other views keep their share of each frame.
    if ((r.playing || r.task) && performance.now() - (this.lastDrawAt || 0) < this.stats.ms * 3) return;
    this.updateWindow();
    this.draw();
    this.lastDrawAt = performance.now();
  }

  /** Drops clock and selection state that refers to events beyond the trace (after a seek back). */
  trimmed(count) {
    this.layer = null;
    for (const k of this.vcCache.keys()) if (k >= count) this.vcCache.delete(k);
    if (this.cursor >= count) this.cursor = -1;
    const sel = this.app.selection;
    if (sel.cut) {
      const c = this.app.runner.cache;
      const fixed = sel.cut.map((k, p) => Math.min(k, c.byNode[p].length));
      if (fixed.some((k, p) => k !== sel.cut[p])) sel.setCut(fixed);
    }
    if (this.causal && this.causal.event < count) this.onSelection();
  }

  draw() {
    const start = performance.now();
    this.dirty = false;
    const r = this.app.runner;
    const ctx = this.canvas.getContext("2d");
    if (!ctx || !r.cache) return;
    const c = r.cache;
    let drawn, arrows;
    const burst = c.length - (this.lastDrawLen ?? 0);
    this.lastDrawLen = c.length;
    // A run that adds hundreds of events between two draws ("run to end")
    // would repaint the layer every time: paint directly then.
    if (this.canUseLayer() && burst >= 0 && burst < LAYER_MAX_NEW / 2) ({ drawn, arrows } = this.drawOverLayer(ctx, c));
    else {
      this.layer = null;
      ({ drawn, arrows } = this.paint(ctx, c, false));
    }
    this.stats = { events: drawn, arrows, ms: performance.now() - start };
    const now = r.sim ? r.sim.now() : 0;
    // Attributes only when they change (each write invalidates style).
    const ds = this.canvas.dataset;
    const put = (k, v) => { if (ds[k] !== v) ds[k] = v; };
    put("events", String(drawn));
    put("arrows", String(arrows));
    put("total", String(c.length));
    put("stride", String(this.arrowStride || 1));
    const label = `Space-time diagram: ${this.n} processes, ${c.length} events, ${c.sent} messages, up to ${fmtTime(now)}`;
    if (label !== this.ariaLabel) { this.ariaLabel = label; this.canvas.setAttribute("aria-label", label); }
  }

  // ---- the still layer ----
  // While a run moves, what is already in the trace does not change: it is
  // painted once into an offscreen canvas (the "layer") and each frame only
  // copies that bitmap and draws what is new (events and arrows since, the
  // process lines' growth, messages in flight, the now line). Rasterising a
  // few thousand arrows costs tens of milliseconds without a GPU; a bitmap
  // copy costs next to nothing. The layer is repainted when the view window,
  // size, selection or theme changes, or when enough new events piled up.
  // With a selection, a cut, clocks or the keyboard cursor shown, every frame
  // is painted in full as before.

  canUseLayer() {
    const r = this.app.runner;
    const sel = this.app.selection;
    if (!(r.playing || r.task)) return false;
    if (this.causal || sel.cut || sel.cutMode || sel.a >= 0 || sel.b >= 0 || this.verdict) return false;
    if (this.clocks !== "off" || (this.cursor >= 0 && document.activeElement === this.canvas)) return false;
    return true;
  }

  layerKey() {
    const dpr = window.devicePixelRatio || 1;
    return [this.t0, this.t1, this.w, this.h, this.scrollY, this.n, dpr, this.app.selection.node, this.colors.panel, this.colors.fg].join("|");
  }

  drawOverLayer(ctx, c) {
    const r = this.app.runner;
    const key = this.layerKey();
    let L = this.layer;
    if (!L || L.key !== key || c.length < L.len || c.length - L.len > LAYER_MAX_NEW || L.sim !== r.sim) {
      const cv = L?.canvas || document.createElement("canvas");
      if (cv.width !== this.canvas.width || cv.height !== this.canvas.height) { cv.width = this.canvas.width; cv.height = this.canvas.height; }
      const lctx = cv.getContext("2d");
      const res = this.paint(lctx, c, true);
      L = this.layer = { canvas: cv, key, len: c.length, now: r.sim ? r.sim.now() : 0, sim: r.sim, drawn: res.drawn, arrows: res.arrows, plain: this.plainArrows };
    }
    const col = this.colors;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(L.canvas, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const now = r.sim ? r.sim.now() : 0;
    const rh = this.rowH();
    const pFirst = Math.max(0, Math.floor(this.scrollY / rh));
    const pLast = Math.min(this.n - 1, Math.ceil((this.scrollY + this.h - AXIS) / rh));
    const xNow = this.tx(now);
    const xEnd = Math.min(this.w, Math.max(xNow, GUTTER));
    const xFrom = Math.min(this.w, Math.max(this.tx(L.now), GUTTER - 4));
    const tLo = this.xt(GUTTER - MAX_NUDGE * NUDGE - 4), tHi = this.xt(this.w + 4);
    const sel = this.app.selection;
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER - 8, AXIS, this.w - GUTTER + 8, this.h - AXIS);
    ctx.clip();
    // The process lines, phases and crashes grow from where the layer stopped.
    if (xEnd > xFrom) {
      for (let p = pFirst; p <= pLast; p++) {
        const y = this.rowY(p);
        const selRow = sel.node === p;
        ctx.strokeStyle = selRow ? col.accent : col.muted;
        ctx.globalAlpha = selRow ? 0.9 : 0.55;
        ctx.lineWidth = selRow ? 2 : 1.2;
        ctx.beginPath();
        ctx.moveTo(xFrom, y);
        ctx.lineTo(xEnd, y);
        ctx.stroke();
        ctx.globalAlpha = 1;
        this.drawPhases(ctx, c, p, y, rh, xEnd, xFrom);
        this.drawCrashes(ctx, c, p, y, xEnd, col, xFrom);
      }
    }
    this.drawNetFaults(ctx, c, tLo, tHi, col, L.len);
    // Arrows of the messages that arrived (or were dropped) since.
    let arrows = L.arrows + this.drawMessages(ctx, c, tLo, tHi, now, rh, pFirst, pLast, { since: L.len, plain: L.plain });
    // Events since.
    const pal = r.palette;
    const R = rh < 8 ? 2 : 3.6;
    let drawn = L.drawn;
    for (let i = L.len; i < c.length; i++) {
      const e = c.events[i];
      if (e.node < pFirst || e.node > pLast || e.t < tLo || e.t > tHi) continue;
      this.glyph(ctx, e, this.evX(e), this.rowY(e.node), R, pal, col);
      drawn++;
    }
    arrows += this.drawInFlight(ctx, c, now);
    this.drawNowLine(ctx, xNow, col);
    ctx.restore();
    return { drawn, arrows };
  }

  /** Paints the whole picture; still = true leaves out what moves (messages in flight, the now line, selection marks). */
  paint(ctx, c, still) {
    const r = this.app.runner;
    const col = this.colors;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = col.panel;
    ctx.fillRect(0, 0, this.w, this.h);
    const now = r.sim ? r.sim.now() : 0;
    const rh = this.rowH();
    this.scrollY = clamp(this.scrollY, 0, this.maxScroll());
    const pFirst = Math.max(0, Math.floor(this.scrollY / rh));
    const pLast = Math.min(this.n - 1, Math.ceil((this.scrollY + this.h - AXIS) / rh));
    const xNow = this.tx(now);
    const xEnd = Math.min(this.w, Math.max(xNow, GUTTER));
    const tLo = this.xt(GUTTER - MAX_NUDGE * NUDGE - 4), tHi = this.xt(this.w + 4);

    // Axis and grid.
    this.drawAxis(ctx, col);

    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER - 8, AXIS, this.w - GUTTER + 8, this.h - AXIS);
    ctx.clip();

    // Causal past and future of the selected event.
    const sel = this.app.selection;
    if (this.causal) {
      for (let p = pFirst; p <= pLast; p++) {
        const list = c.byNode[p];
        const y = this.rowY(p) - rh * 0.42, hh = rh * 0.84;
        const past = this.causal.past[p] || 0;
        if (past > 0 && past <= list.length) {
          const x = this.evX(c.events[list[past - 1]]) + 4;
          ctx.fillStyle = col.past;
          ctx.fillRect(GUTTER - 6, y, Math.max(0, x - GUTTER + 6), hh);
        }
        const fut = this.causal.future[p];
        if (fut !== undefined && fut >= 0 && fut < list.length) {
          const x = this.evX(c.events[list[fut]]) - 4;
          ctx.fillStyle = col.future;
          ctx.fillRect(x, y, Math.max(0, xEnd - x + 4), hh);
        }
      }
    }

    // Process lines, with phases and crashed stretches.
    for (let p = pFirst; p <= pLast; p++) {
      const y = this.rowY(p);
      const selRow = sel.node === p;
      ctx.strokeStyle = selRow ? col.accent : col.muted;
      ctx.globalAlpha = selRow ? 0.9 : 0.55;
      ctx.lineWidth = selRow ? 2 : 1.2;
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(GUTTER - 4, y);
      ctx.lineTo(xEnd, y);
      ctx.stroke();
      ctx.globalAlpha = 1;
      this.drawPhases(ctx, c, p, y, rh, xEnd);
      this.drawCrashes(ctx, c, p, y, xEnd, col);
    }

    // Network-wide faults (partition, heal, cuts) as vertical marks.
    this.drawNetFaults(ctx, c, tLo, tHi, col);

    // Messages.
    let arrows = this.drawMessages(ctx, c, tLo, tHi, now, rh, pFirst, pLast, {});
    if (!still) arrows += this.drawInFlight(ctx, c, now);

    // Events.
    const drawn = this.drawEvents(ctx, c, pFirst, pLast, tLo, tHi, rh, col);

    // The cut.
    if (sel.cut) this.drawCut(ctx, c, sel.cut, pFirst, pLast, rh, col);

    // Selection marks.
    for (const [id, color, tag] of [[sel.a, col.selA, "a"], [sel.b, col.selB, "b"]]) {
      const e = c.events[id];
      if (!e || e.node < 0) continue;
      const x = this.evX(e), y = this.rowY(e.node);
      ctx.strokeStyle = color;
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.arc(x, y, 7.5, 0, Math.PI * 2);
      ctx.stroke();
      ctx.fillStyle = color;
      ctx.font = "bold 11px " + getFont();
      ctx.fillText(tag, x + 8, y - 8);
    }
    const cur = c.events[this.cursor];
    if (cur && cur.node >= 0 && document.activeElement === this.canvas) {
      ctx.strokeStyle = col.fg;
      ctx.setLineDash([2, 2]);
      ctx.lineWidth = 1.5;
      ctx.strokeRect(this.evX(cur) - 9, this.rowY(cur.node) - 9, 18, 18);
      ctx.setLineDash([]);
    }

    // Now.
    if (!still) this.drawNowLine(ctx, xNow, col);
    ctx.restore();

    // Process names in the gutter.
    ctx.fillStyle = col.panel;
    ctx.fillRect(0, AXIS, GUTTER - 8, this.h - AXIS);
    ctx.font = `${rh >= 14 ? 12 : 9}px ${getFont()}`;
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    if (rh >= 7 || this.n <= 64) {
      for (let p = pFirst; p <= pLast; p++) {
        const selRow = sel.node === p;
        ctx.fillStyle = selRow ? col.accent : col.fg;
        ctx.font = `${selRow ? "bold " : ""}${rh >= 14 ? 12 : 9}px ${getFont()}`;
        ctx.fillText(this.names[p] || `P${p}`, GUTTER - 12, this.rowY(p));
      }
    }
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    if ((this.arrowStride || 1) > 1) {
      const note = `1 in ${this.arrowStride} messages drawn: zoom in for all`;
      ctx.font = "11px " + getFont();
      const w = ctx.measureText(note).width;
      ctx.fillStyle = col.panel;
      ctx.fillRect(this.w - w - 14, this.h - 20, w + 10, 16);
      ctx.fillStyle = col.muted;
      ctx.fillText(note, this.w - w - 9, this.h - 8);
    }
    return { drawn, arrows };
  }

  drawNowLine(ctx, xNow, col) {
    if (xNow < GUTTER || xNow > this.w) return;
    ctx.strokeStyle = col.accent;
    ctx.globalAlpha = 0.7;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(xNow, AXIS);
    ctx.lineTo(xNow, this.h);
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  drawAxis(ctx, col) {
    const span = this.t1 - this.t0;
    const target = span / Math.max(2, this.plotW / 90);
    const pow = Math.pow(10, Math.floor(Math.log10(Math.max(target, 1e-9))));
    const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= target) || pow * 10;
    ctx.font = "11px " + getFont();
    ctx.textBaseline = "middle";
    ctx.fillStyle = col.muted;
    ctx.strokeStyle = col.grid;
    ctx.lineWidth = 1;
    for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) {
      const x = Math.round(this.tx(t)) + 0.5;
      if (x < GUTTER) continue;
      ctx.beginPath();
      ctx.moveTo(x, AXIS - 4);
      ctx.lineTo(x, this.h);
      ctx.stroke();
      ctx.fillText(fmtTime(t), x + 3, AXIS / 2);
    }
    ctx.strokeStyle = col.faint;
    ctx.beginPath();
    ctx.moveTo(GUTTER, AXIS - 0.5);
    ctx.lineTo(this.w, AXIS - 0.5);
    ctx.stroke();
    ctx.textBaseline = "alphabetic";
  }

  drawPhases(ctx, c, p, y, rh, xEnd, xMin = GUTTER - 4) {
    const ph = c.phases[p];
    if (!ph.length) return;
    const pal = this.app.runner.palette;
    const band = Math.max(3, Math.min(8, rh * 0.28));
    for (let i = 0; i < ph.length; i++) {
      const e = c.events[ph[i]];
      const x0 = this.evX(e);
      const x1 = i + 1 < ph.length ? this.evX(c.events[ph[i + 1]]) : xEnd;
      if (x1 < Math.max(GUTTER, xMin) || x0 > this.w) continue;
      const left = Math.max(xMin, x0);
      ctx.fillStyle = alpha(pal.phase(e.phase || "").color, 0.45);
      ctx.fillRect(left, y - band / 2, Math.max(1, Math.min(this.w, x1) - left), band);
    }
  }

  drawCrashes(ctx, c, p, y, xEnd, col, xMin = -Infinity) {
    // Scan this process's crash/recover events (few): walk its list only when it has any.
    const list = c.byNode[p];
    let crashX = null;
    for (let k = 0; k < list.length; k++) {
      const e = c.events[list[k]];
      if (e.kind === "crash") crashX = this.evX(e);
      else if (e.kind === "recover" && crashX !== null) { if (this.evX(e) > xMin) this.crashSpan(ctx, Math.max(crashX, xMin), this.evX(e), y, col); crashX = null; }
    }
    if (crashX !== null) this.crashSpan(ctx, Math.max(crashX, xMin), xEnd, y, col);
  }

  crashSpan(ctx, x0, x1, y, col) {
    if (x1 < GUTTER || x0 > this.w) return;
    ctx.fillStyle = col.panel;
    ctx.fillRect(x0, y - 2, x1 - x0, 4);
    ctx.strokeStyle = col.bad;
    ctx.setLineDash([3, 4]);
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    ctx.moveTo(x0, y);
    ctx.lineTo(x1, y);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  drawNetFaults(ctx, c, tLo, tHi, col, since = 0) {
    if (!this._netFaults || this._netFaultsLen !== c.length) {
      // Rebuilt only when the trace changed; network-wide events are rare.
      const out = this._netFaults && this._netFaultsLen < c.length ? this._netFaults : [];
      const from = this._netFaults && this._netFaultsLen < c.length ? this._netFaultsLen : 0;
      for (let i = from; i < c.length; i++) if (c.events[i].node < 0) out.push(i);
      this._netFaults = out;
      this._netFaultsLen = c.length;
    }
    ctx.font = "10.5px " + getFont();
    for (const id of this._netFaults) {
      if (id < since) continue;
      const e = c.events[id];
      if (!e || e.t < tLo || e.t > tHi) continue;
      const x = this.tx(e.t);
      ctx.strokeStyle = e.fault === "heal" || e.fault === "release" ? col.ok : col.warn;
      ctx.setLineDash([4, 4]);
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      ctx.moveTo(x, AXIS);
      ctx.lineTo(x, this.h);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(e.fault || e.text, x + 3, AXIS + 11);
    }
  }

  /** Arrows of delivered and dropped messages; opts.since: only those that ended at or after that event (over the still layer). */
  drawMessages(ctx, c, tLo, tHi, now, rh, pFirst, pLast, opts = {}) {
    const pal = this.app.runner.palette;
    const L = c.msgList;
    const since = opts.since ?? -1;
    const i0 = c.firstMsgSentAtOrAfter(tLo - c.maxLatency - 1);
    const i1 = c.firstMsgSentAtOrAfter(tHi + 1);
    const count = i1 - i0;
    const stride = since >= 0 ? 1 : Math.max(1, Math.ceil(count / MAX_ARROWS));
    if (since < 0) this.arrowStride = stride;
    const heads = since >= 0 ? !opts.plain : count / stride < 1500;
    // Dashes are costly to rasterise: with many arrows in view, colour alone tells the types apart.
    const plain = since >= 0 ? !!opts.plain : count / stride > 500;
    if (since < 0) this.plainArrows = plain;
    // Lines up to 1 px wide take the rasteriser's fast path (several times
    // cheaper without a GPU); wider ones only while few arrows are in view.
    const lw = rh < 8 ? 0.8 : plain || count / stride > 300 ? 1 : 1.3;
    const verdictMsg = this.verdict && !this.verdict.consistent ? this.verdict.msg : -1;
    const yMin = AXIS - rh, yMax = this.h + rh;
    // Group by type so each type is one stroke.
    const byType = new Map();
    let drawn = 0;
    for (let i = i0; i < i1; i += stride) {
      const m = L[i];
      const se = c.events[m.send];
      const ee = m.end >= 0 ? c.events[m.end] : null;
      if (!ee) continue; // in flight: drawInFlight() draws it from sim.inFlight()
      if (ee.t < tLo || m.end < since || !se) continue;
      const y1 = this.rowY(m.from), y2 = this.rowY(ee.node >= 0 ? ee.node : m.to);
      if ((y1 < yMin && y2 < yMin) || (y1 > yMax && y2 > yMax)) continue;
      let arr = byType.get(m.type);
      if (!arr) byType.set(m.type, (arr = []));
      arr.push(this.evX(se), y1, this.evX(ee), y2, m.endKind === "drop" ? 1 : 0, m.id);
      drawn++;
    }
    ctx.lineWidth = lw;
    for (const [type, arr] of byType) {
      const t = pal.type(type);
      ctx.strokeStyle = t.color;
      ctx.fillStyle = t.color;
      ctx.setLineDash(plain ? [] : t.dash);
      ctx.beginPath();
      for (let k = 0; k < arr.length; k += 6) {
        ctx.moveTo(arr[k], arr[k + 1]);
        ctx.lineTo(arr[k + 2], arr[k + 3]);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      if (heads) {
        ctx.beginPath();
        for (let k = 0; k < arr.length; k += 6) {
          if (arr[k + 4]) continue;
          arrowHead(ctx, arr[k], arr[k + 1], arr[k + 2], arr[k + 3], 7);
        }
        ctx.fill();
      }
      // Dropped messages end in a cross.
      ctx.strokeStyle = this.colors.bad;
      ctx.lineWidth = 1.8;
      ctx.beginPath();
      for (let k = 0; k < arr.length; k += 6) {
        if (!arr[k + 4]) continue;
        const x = arr[k + 2], y = arr[k + 3];
        ctx.moveTo(x - 4, y - 4); ctx.lineTo(x + 4, y + 4);
        ctx.moveTo(x + 4, y - 4); ctx.lineTo(x - 4, y + 4);
      }
      ctx.stroke();
      ctx.lineWidth = lw;
    }
    // The message that makes a cut inconsistent.
    if (verdictMsg >= 0 && since < 0) {
      const m = c.msgs.get(verdictMsg);
      if (m && m.send >= 0 && m.end >= 0) {
        const se = c.events[m.send], ee = c.events[m.end];
        ctx.strokeStyle = this.colors.bad;
        ctx.lineWidth = 3.5;
        ctx.beginPath();
        ctx.moveTo(this.evX(se), this.rowY(se.node));
        ctx.lineTo(this.evX(ee), this.rowY(ee.node));
        ctx.stroke();
        ctx.fillStyle = this.colors.bad;
        ctx.beginPath();
        arrowHead(ctx, this.evX(se), this.rowY(se.node), this.evX(ee), this.rowY(ee.node), 10);
        ctx.fill();
      }
    }
    ctx.lineWidth = 1;
    return drawn;
  }

  /** Messages in flight: from the send to where the message is now. */
  drawInFlight(ctx, c, now) {
    const pal = this.app.runner.palette;
    const inflight = this.app.topology?.inflight || [];
    let drawn = 0;
    ctx.lineWidth = inflight.length > 150 ? 1 : 1.3;
    const dashFlight = inflight.length < 150;
    for (const m of inflight) {
      const rec = c.msgs.get(m.id);
      const se = rec && rec.send >= 0 ? c.events[rec.send] : null;
      const x1 = se ? this.evX(se) : this.tx(m.sent);
      const y1 = this.rowY(m.from), y2 = this.rowY(m.to);
      const xDue = this.tx(m.due);
      const f = m.status === "held" ? 0.85 : m.due > m.sent ? clamp((now - m.sent) / (m.due - m.sent), 0, 1) : 1;
      const x = x1 + (xDue - x1) * f, y = y1 + (y2 - y1) * f;
      if (Math.max(x1, x) < GUTTER || Math.min(x1, x) > this.w) continue;
      const t = pal.type(m.type);
      ctx.strokeStyle = t.color;
      ctx.fillStyle = t.color;
      if (dashFlight) ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x, y);
      ctx.stroke();
      ctx.setLineDash([]);
      if (dashFlight) {
        ctx.beginPath();
        ctx.arc(x, y, 3.5, 0, Math.PI * 2);
        ctx.fill();
      } else {
        ctx.fillRect(x - 2.5, y - 2.5, 5, 5);
      }
      drawn++;
    }
    ctx.lineWidth = 1;
    return drawn;
  }

  drawEvents(ctx, c, pFirst, pLast, tLo, tHi, rh, col) {
    const pal = this.app.runner.palette;
    const R = rh < 8 ? 2 : 3.6;
    const labels = this.clocks !== "off";
    // With many dots in view, squares (cheap to rasterise) stand in for circles.
    this.cheapDots = (this.stats.events || 0) > 700;
    let drawn = 0;
    let labelBudget = 600;
    ctx.font = "10px " + getMono();
    for (let p = pFirst; p <= pLast; p++) {
      const list = c.byNode[p];
      const y = this.rowY(p);
      let k = c.firstAtOrAfter(p, tLo);
      let lastX = -1e9, lastLabelX = -1e9;
      for (; k < list.length; k++) {
        const e = c.events[list[k]];
        if (e.t > tHi) break;
        const x = this.evX(e);
        if (x - lastX < 1.2 && e.id !== this.app.selection.a && e.id !== this.app.selection.b) continue;
        lastX = x;
        drawn++;
        this.glyph(ctx, e, x, y, R, pal, col);
        if (labels && MODEL.has(e.kind) && labelBudget > 0 && x - lastLabelX > 14) {
          const txt = this.clocks === "lamport" ? String(e.lamport) : this.vcText(e.id);
          if (txt) {
            const w = ctx.measureText(txt).width;
            if (x - lastLabelX > w / 2 + 10 || this.clocks === "lamport") {
              ctx.fillStyle = col.fg;
              ctx.fillText(txt, x - w / 2, y - R - 4);
              lastLabelX = x + w / 2;
              labelBudget--;
            }
          }
        }
      }
    }
    return drawn;
  }

  vcText(id) {
    let v = this.vcCache.get(id);
    if (v === undefined) {
      const r = this.app.runner;
      const e = r.guard("", () => r.sim.event(id));
      v = e && e.vc ? (e.vc.length <= 8 ? `[${e.vc.join(",")}]` : `[…${e.own}…]`) : "";
      this.vcCache.set(id, v);
    }
    return v;
  }

  glyph(ctx, e, x, y, R, pal, col) {
    switch (e.kind) {
      case "send":
      case "receive": {
        ctx.fillStyle = e.msg ? pal.type(e.msg.type).color : col.fg;
        if (this.cheapDots) { ctx.fillRect(x - R * 0.8, y - R * 0.8, R * 1.6, R * 1.6); break; }
        ctx.beginPath();
        ctx.arc(x, y, R, 0, Math.PI * 2);
        ctx.fill();
        if (e.kind === "receive") {
          ctx.strokeStyle = col.panel;
          ctx.lineWidth = 1;
          ctx.stroke();
        }
        break;
      }
      case "local":
        ctx.fillStyle = col.fg;
        if (this.cheapDots) { ctx.fillRect(x - R * 0.8, y - R * 0.8, R * 1.6, R * 1.6); break; }
        ctx.beginPath();
        ctx.arc(x, y, R, 0, Math.PI * 2);
        ctx.fill();
        break;
      case "start":
        ctx.strokeStyle = col.muted;
        ctx.lineWidth = 1.2;
        ctx.strokeRect(x - R * 0.8, y - R * 0.8, R * 1.6, R * 1.6);
        break;
      case "timer":
        ctx.strokeStyle = col.muted;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.arc(x, y, R * 0.7, 0, Math.PI * 2);
        ctx.stroke();
        break;
      case "phase":
        ctx.strokeStyle = pal.phase(e.phase || "").color;
        ctx.lineWidth = 2.5;
        ctx.beginPath();
        ctx.moveTo(x, y - R * 2);
        ctx.lineTo(x, y + R * 2);
        ctx.stroke();
        break;
      case "decide":
        ctx.fillStyle = col.ok;
        ctx.beginPath();
        ctx.moveTo(x, y - R * 1.5);
        ctx.lineTo(x + R * 1.5, y);
        ctx.lineTo(x, y + R * 1.5);
        ctx.lineTo(x - R * 1.5, y);
        ctx.closePath();
        ctx.fill();
        break;
      case "crash":
      case "drop":
        ctx.strokeStyle = col.bad;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x - R, y - R); ctx.lineTo(x + R, y + R);
        ctx.moveTo(x + R, y - R); ctx.lineTo(x - R, y + R);
        ctx.stroke();
        break;
      case "recover":
        ctx.strokeStyle = col.ok;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(x, y, R * 1.1, 0, Math.PI * 2);
        ctx.stroke();
        break;
      case "fault":
        ctx.fillStyle = col.bad;
        ctx.beginPath();
        ctx.moveTo(x, y - R * 1.6);
        ctx.lineTo(x + R * 1.4, y + R);
        ctx.lineTo(x - R * 1.4, y + R);
        ctx.closePath();
        ctx.fill();
        break;
      default: // note
        ctx.fillStyle = col.muted;
        ctx.fillRect(x - 1, y - 1, 2, 2);
    }
  }

  drawCut(ctx, c, cut, pFirst, pLast, rh, col) {
    const color = this.verdict ? (this.verdict.consistent ? col.ok : col.bad) : col.accent;
    ctx.strokeStyle = color;
    ctx.lineWidth = 2.5;
    ctx.setLineDash([]);
    ctx.beginPath();
    for (let p = pFirst; p <= pLast; p++) {
      const x = this.cutX(p, cut[p] || 0);
      const y = this.rowY(p);
      if (p === pFirst) ctx.moveTo(x, y - rh / 2);
      else ctx.lineTo(x, y - rh / 2);
      ctx.lineTo(x, y + rh / 2);
    }
    ctx.stroke();
    ctx.fillStyle = color;
    for (let p = pFirst; p <= pLast; p++) {
      const x = this.cutX(p, cut[p] || 0);
      const y = this.rowY(p);
      ctx.beginPath();
      ctx.arc(x, y, p === this.cutRow && this.app.selection.cutMode ? 5 : 3.5, 0, Math.PI * 2);
      ctx.fill();
    }
  }
}

function arrowHead(ctx, x1, y1, x2, y2, size) {
  const a = Math.atan2(y2 - y1, x2 - x1);
  const bx = x2 - Math.cos(a) * 3.5, by = y2 - Math.sin(a) * 3.5;
  ctx.moveTo(bx, by);
  ctx.lineTo(bx - size * Math.cos(a - 0.38), by - size * Math.sin(a - 0.38));
  ctx.lineTo(bx - size * Math.cos(a + 0.38), by - size * Math.sin(a + 0.38));
  ctx.closePath();
}

let fontCache = "";
function getFont() {
  if (!fontCache) fontCache = getComputedStyle(document.body).fontFamily || "sans-serif";
  return fontCache;
}
let monoCache = "";
function getMono() {
  if (!monoCache) monoCache = getComputedStyle(document.documentElement).getPropertyValue("--mono").trim() || "monospace";
  return monoCache;
}
