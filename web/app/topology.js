// The topology view and editor. Links are drawn on a canvas (a complete graph
// of a few hundred nodes has tens of thousands of them); nodes and messages
// in flight are SVG so that they can be focused, clicked and labelled. Each
// directed channel is drawn as the half of its link nearest its destination,
// so a one-way cut shows on one half only.
//
// Modes: "select" (click selects, drag moves, right-click opens the node
// menu), "edit" (drag from a node to another adds a link, click a link to
// remove it, add/remove nodes), "partition" (click nodes to put them in
// groups, then apply).

import { h, s, clear, clamp, fmtTime } from "./dom.js";
import { layout } from "./layout.js";
import { openMenu, closeMenu } from "./menu.js";
import { themeColors, alpha, typeSwatch } from "./palette.js";

const GROUP_NAMES = ["A", "B", "C", "D"];
const MAX_MSGS_DRAWN = 400;
// Up to this many messages in flight are SVG circles (each with its own
// tooltip); beyond it they are painted on a canvas over the nodes, which
// costs far less to move every frame, and clicks find them by hit-testing.
const SVG_MSGS_MAX = 48;

/** Writes an attribute only when its value changes (every write invalidates style or layout). */
function setAttr(el, name, value) {
  const c = el.__attrs || (el.__attrs = Object.create(null));
  if (c[name] === value) return;
  c[name] = value;
  el.setAttribute(name, value);
}
function setText(el, value) {
  if (el.__text === value) return;
  el.__text = value;
  el.textContent = value;
}

export class TopologyView {
  constructor(body, tools, app) {
    this.body = body;
    this.tools = tools;
    this.app = app;
    this.mode = "select";
    this.groups = new Map(); // node -> group index (partition mode)
    this.positions = []; // normalised
    this.links = []; // {a, b, ab, ba} states ("up" | "cut" | "held" | null)
    this.nodeEls = [];
    this.msgEls = new Map();
    this.lastNodesVersion = -1;
    this.lastMsgsKey = "";
    this.chanVersion = -1;
    this.faultSeen = 0;
    this.size = { w: 0, h: 0 };
    this.colors = themeColors();

    this.canvas = h("canvas", { "aria-hidden": "true", "data-testid": "topology-links" });
    // Messages in flight when there are many (see SVG_MSGS_MAX); it lets clicks through to the SVG.
    this.msgCanvas = h("canvas", { class: "topo-msgs", "aria-hidden": "true", "data-testid": "topology-messages" });
    this.msgMode = "svg";
    this.msgHits = []; // [x, y, id] of the messages painted on msgCanvas
    this.svg = s("svg", { class: "topo-svg", role: "group", "aria-label": "Processes and messages in flight", "data-testid": "topology" });
    this.gNodes = s("g", { class: "nodes" });
    this.gMsgs = s("g", { class: "msgs" });
    this.dragLine = s("line", { class: "drag-line", visibility: "hidden" });
    this.svgTitle = s("title");
    this.hoverId = -1;
    this.svg.append(this.svgTitle, this.dragLine, this.gNodes, this.gMsgs);
    this.overlay = h("div", { class: "topo-overlay", "data-testid": "topology-overlay" });
    this.legend = h("div", { class: "legend", "data-testid": "topology-legend" });
    body.append(this.canvas, this.svg, this.msgCanvas, this.overlay);
    body.parentElement.append(this.legend);

    this.buildTools();
    new ResizeObserver(() => this.resize()).observe(body);
    this.canvas.addEventListener("click", (e) => this.onCanvasClick(e));
    this.svg.addEventListener("click", (e) => {
      if (e.target !== this.svg) return;
      // A message painted on the canvas layer is above the links.
      const pt = this.svgPoint(e);
      const id = this.msgAt(pt.x, pt.y);
      if (id >= 0) { this.openMsgMenu(id, e.clientX, e.clientY); return; }
      this.onCanvasClick(e);
    });
    this.svg.addEventListener("pointermove", (e) => this.hoverMsg(e));
    this.svg.addEventListener("pointerleave", () => { if (this.hoverId >= 0) { this.hoverId = -1; this.svg.style.cursor = ""; this.svgTitle.textContent = ""; } });
    this.svg.addEventListener("contextmenu", (e) => { if (e.target === this.svg) e.preventDefault(); });
    app.selection.on("node", () => this.refreshNodes(true));
  }

  // ---- toolbar ----
  buildTools() {
    const t = this.tools;
    clear(t);
    const modeBtn = (mode, label, key, tip) => {
      const b = h("button", { type: "button", class: "btn small", "data-testid": "mode-" + mode, "aria-pressed": String(this.mode === mode), title: `${tip} (${key})`, text: label });
      b.addEventListener("click", () => this.setMode(this.mode === mode && mode !== "select" ? "select" : mode));
      return b;
    };
    this.modeButtons = {
      select: modeBtn("select", "Select", "V", "Select, drag to move, right-click for the node menu"),
      edit: modeBtn("edit", "Edit", "E", "Edit the topology: drag between nodes to link, click a link to remove it"),
      partition: modeBtn("partition", "Partition", "P", "Click nodes to form groups, then apply"),
    };
    const heal = h("button", { type: "button", class: "btn small", "data-testid": "heal", title: "Heal every cut channel (H)", text: "Heal" });
    heal.addEventListener("click", () => this.app.inject({ heal: true }));
    // Icons with labels; a narrow panel keeps the icons (web/style.css), the names stay in aria-label.
    this.inflightCount = h("span", { class: "count", text: "0" });
    this.inflightBtn = h("button", { type: "button", class: "btn small", "data-testid": "inflight-button", title: "Messages in flight: drop or delay one (M)", "aria-label": "0 messages in flight: drop or delay one (M)" },
      s("svg", { viewBox: "0 0 20 20", "aria-hidden": "true" }, s("rect", { x: "3", y: "5", width: "14", height: "10", rx: "1.5" }), s("path", { d: "M3.5 5.5l6.5 5 6.5-5" })),
      h("span", { class: "lbl-long", text: "In flight:" }), this.inflightCount);
    this.inflightBtn.addEventListener("click", () => this.openInflightMenu());
    const relayout = h("button", { type: "button", class: "btn small", "data-testid": "relayout", title: "Re-layout: forget dragged positions", "aria-label": "Re-layout (forget dragged positions)" },
      s("svg", { viewBox: "0 0 20 20", "aria-hidden": "true" }, s("circle", { cx: "5", cy: "5", r: "2" }), s("circle", { cx: "15", cy: "5", r: "2" }), s("circle", { cx: "10", cy: "15", r: "2" }), s("path", { d: "M7 5h6M6 7l3 6M14 7l-3 6" })),
      h("span", { class: "lbl-long", text: "Re-layout" }));
    relayout.addEventListener("click", () => { this.app.state.positions = {}; this.reset(); });
    this.modeExtra = h("span", { class: "tools", "data-testid": "mode-extra" });
    const modes = h("span", { class: "seg", role: "group", "aria-label": "Mode" }, this.modeButtons.select, this.modeButtons.edit, this.modeButtons.partition);
    t.append(modes, h("span", { class: "sep" }), heal, this.inflightBtn, relayout, this.modeExtra);
  }

  setMode(mode) {
    this.mode = mode;
    for (const [m, b] of Object.entries(this.modeButtons)) b.setAttribute("aria-pressed", String(m === mode));
    clear(this.modeExtra);
    if (mode !== "partition") this.groups.clear();
    if (mode === "edit") {
      const add = h("button", { type: "button", class: "btn small", "data-testid": "add-node", title: "Add a node linked to the selected one (A)", text: "+ Node" });
      add.addEventListener("click", () => this.addNode());
      this.modeExtra.append(h("span", { class: "sep" }), add, h("span", { class: "hint", text: "drag node→node to link; click a link to remove" }));
    } else if (mode === "partition") {
      const apply = h("button", { type: "button", class: "btn small primary", "data-testid": "partition-apply", text: "Apply partition" });
      apply.addEventListener("click", () => this.applyPartition());
      const cancel = h("button", { type: "button", class: "btn small", "data-testid": "partition-cancel", text: "Cancel" });
      cancel.addEventListener("click", () => this.setMode("select"));
      this.modeExtra.append(h("span", { class: "sep" }), apply, cancel, h("span", { class: "hint", "data-testid": "partition-hint", text: "click nodes: A → B → C → none" }));
    }
    this.refreshNodes(true);
    this.drawLinks();
  }

  // ---- lifecycle ----
  /** Rebuilds everything for a new run (or a new layout). */
  reset() {
    const r = this.app.runner;
    if (!r.sim) return;
    closeMenu();
    this.groups.clear();
    this.n = r.nproc;
    this.nodesN = this.app.nodeCount();
    this.readChannels();
    const shape = this.app.shape();
    const und = this.links.filter((l) => l.a < this.nodesN && l.b < this.nodesN).map((l) => [l.a, l.b]);
    this.positions = layout(shape, this.nodesN, und, this.n - this.nodesN);
    const saved = this.app.state.positions;
    for (const [k, v] of Object.entries(saved)) {
      const i = Number(k);
      if (i < this.n && Array.isArray(v)) this.positions[i] = [clamp(v[0], 0, 1), clamp(v[1], 0, 1)];
    }
    this.buildNodes();
    clear(this.gMsgs);
    this.msgEls.clear();
    this.inflight = null;
    this.lastListKey = "";
    this.clearMsgCanvas();
    this.lastNodesVersion = -1;
    this.lastMsgsKey = "";
    this.faultSeen = 0;
    this.buildLegend();
    this.resize();
  }

  readChannels() {
    const r = this.app.runner;
    const chans = r.guard("channels", () => r.sim.channels()) || [];
    const map = new Map();
    for (const c of chans) {
      const a = Math.min(c.from, c.to), b = Math.max(c.from, c.to);
      const key = a * 65536 + b;
      let l = map.get(key);
      if (!l) { l = { a, b, ab: null, ba: null, heldAB: 0, heldBA: 0 }; map.set(key, l); }
      if (c.from === a) { l.ab = c.state; l.heldAB = c.held; } else { l.ba = c.state; l.heldBA = c.held; }
    }
    this.links = [...map.values()];
    this.svg.dataset.links = String(this.links.filter((l) => l.a < this.app.nodeCount() && l.b < this.app.nodeCount()).length);
    this.svg.dataset.cut = String(chans.filter((c) => c.state === "cut").length);
    this.linkKey = new Map(this.links.map((l) => [l.a * 65536 + l.b, l]));
    this.chanVersion = r.version;
  }

  resize() {
    const rect = this.body.getBoundingClientRect();
    const w = Math.max(50, rect.width), hh = Math.max(50, rect.height);
    this.size = { w, h: hh };
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(hh * dpr);
    this.msgCanvas.width = Math.round(w * dpr);
    this.msgCanvas.height = Math.round(hh * dpr);
    this.msgCanvasDirty = true;
    this.svg.setAttribute("viewBox", `0 0 ${w} ${hh}`);
    this.layoutGeometry();
    this.placeNodes();
    this.drawLinks();
    this.lastMsgsKey = "";
    this.updateMessages(true);
  }

  layoutGeometry() {
    const { w, h: hh } = this.size;
    const n = Math.max(1, this.n || 1);
    const pads = () => {
      this.showLabels = n <= 48 && this.r >= 9;
      this.padX = this.r + (this.showLabels ? 44 : 10);
      this.padTop = this.r + (this.showLabels ? 18 : 8);
      this.padBottom = this.r + (this.showLabels ? 26 : 8);
    };
    this.r = clamp(Math.min(w, hh) / (3.2 * Math.sqrt(n) + 2), 4, 20);
    pads();
    // In a short, wide panel the layout is squeezed vertically: size the
    // nodes by how close the two nearest ones are on screen, so that they
    // do not overlap (twice: the padding depends on the size).
    if (n > 1 && n <= 400 && this.positions.length >= n) {
      for (let pass = 0; pass < 2; pass++) {
        let d2 = Infinity;
        for (let i = 0; i < n; i++) {
          const [xi, yi] = this.xy(i);
          for (let j = i + 1; j < n; j++) {
            const [xj, yj] = this.xy(j);
            d2 = Math.min(d2, (xi - xj) ** 2 + (yi - yj) ** 2);
          }
        }
        const r = clamp(Math.sqrt(d2) * 0.4, 4, this.r);
        if (r >= this.r - 0.5) break;
        this.r = r;
        pads();
      }
    }
  }

  xy(i) {
    const p = this.positions[i] || [0.5, 0.5];
    const { w, h: hh } = this.size;
    return [this.padX + p[0] * Math.max(1, w - 2 * this.padX), this.padTop + p[1] * Math.max(1, hh - this.padTop - this.padBottom)];
  }

  toNorm(x, y) {
    const { w, h: hh } = this.size;
    return [clamp((x - this.padX) / Math.max(1, w - 2 * this.padX), 0, 1), clamp((y - this.padTop) / Math.max(1, hh - this.padTop - this.padBottom), 0, 1)];
  }

  // ---- nodes ----
  buildNodes() {
    clear(this.gNodes);
    this.nodeEls = [];
    for (let i = 0; i < this.n; i++) {
      const g = s("g", { class: "node", tabindex: "0", role: "button", "data-testid": `node-${i}`, "data-node": String(i), "aria-haspopup": "menu" });
      const title = s("title");
      const halo = s("circle", { class: "halo", r: "0" });
      const group = s("circle", { class: "group", r: "0" });
      const ring = s("circle", { class: "ring", r: "0" });
      const body = s("circle", { class: "body", r: "0" });
      const cross = s("path", { class: "cross", stroke: "currentColor", "stroke-width": "2", fill: "none", visibility: "hidden" });
      const name = s("text", { class: "name" });
      const role = s("text", { class: "role" });
      const badge = s("text", { class: "badge" });
      g.append(title, halo, group, ring, body, cross, name, role, badge);
      this.nodeEls.push({ g, title, halo, group, ring, body, cross, name, role, badge, info: null });
      this.bindNode(g, i);
      this.gNodes.append(g);
    }
  }

  placeNodes() {
    const r = this.r;
    for (let i = 0; i < this.nodeEls.length; i++) {
      const el = this.nodeEls[i];
      const [x, y] = this.xy(i);
      el.g.setAttribute("transform", `translate(${x.toFixed(1)},${y.toFixed(1)})`);
      el.halo.setAttribute("r", String(r + 5));
      el.group.setAttribute("r", String(r + 4));
      el.ring.setAttribute("r", String(r + 3));
      el.body.setAttribute("r", String(r));
      const c = r * 0.55;
      el.cross.setAttribute("d", `M${-c},${-c}L${c},${c}M${c},${-c}L${-c},${c}`);
      el.name.setAttribute("font-size", String(Math.max(8, Math.min(12, r * 0.75))));
      el.role.setAttribute("y", String(r + 13));
      el.badge.setAttribute("y", String(-r - 7));
    }
    this.lastNodesVersion = -1;
  }

  /**
   * Refreshes node text, status and colours from sim.nodes() when the run's
   * state changed (not on every frame of playing: virtual time alone changes
   * nothing here), and writes to the DOM only what differs.
   */
  refreshNodes(force = false) {
    const r = this.app.runner;
    if (!r.sim) return;
    const key = `${r.stateVersion}:${r.cache.length}`;
    if (!force && this.lastNodesVersion === key) return;
    this.lastNodesVersion = key;
    const infos = r.guard("nodes", () => r.sim.nodes());
    if (!infos) return;
    const pal = r.palette;
    const col = this.colors;
    const selNode = this.app.selection.node;
    const count = Math.min(infos.length, this.nodeEls.length);
    const badges = [];
    for (let i = 0; i < count; i++) {
      const inf = infos[i];
      const g = this.groups.get(i);
      badges.push(g !== undefined && this.mode === "partition" ? `group ${GROUP_NAMES[g]}` : inf.strategy ? `⚠ ${inf.strategy}` : inf.crashed ? "crashed" : "");
    }
    const fit = this.fitLabels(badges, infos, selNode);
    for (let i = 0; i < count; i++) {
      const inf = infos[i];
      const el = this.nodeEls[i];
      el.info = inf;
      const phase = r.cache.lastPhase(i);
      const fill = inf.crashed ? col.grid : phase ? alpha(pal.phase(phase).color, 0.35) : col.panel;
      setAttr(el.body, "fill", fill);
      setAttr(el.cross, "visibility", inf.crashed ? "visible" : "hidden");
      setText(el.name, inf.name);
      setAttr(el.name, "fill", inf.crashed ? col.muted : col.fg);
      const text = inf.text || "";
      setText(el.role, fit.labels[i]);
      const g = this.groups.get(i);
      setText(el.badge, fit.badges[i]);
      setAttr(el.badge, "fill", inf.strategy ? col.bad : col.muted);
      const status = [inf.crashed ? "crashed" : "", inf.strategy ? `traitor (${inf.strategy})` : "", phase ? `phase ${phase}` : ""].filter(Boolean).join(", ");
      const cls = ["node", inf.crashed ? "crashed" : "", inf.strategy ? "traitor" : "", g !== undefined ? "group-" + g : "", selNode === i ? "selected" : ""].filter(Boolean).join(" ");
      setAttr(el.g, "class", cls);
      setAttr(el.g, "data-crashed", String(inf.crashed));
      setAttr(el.g, "data-strategy", inf.strategy || "");
      setAttr(el.g, "data-text", text);
      setAttr(el.g, "data-phase", phase);
      setText(el.title, `${inf.name}${status ? " — " + status : ""}\n${text}`);
      setAttr(el.g, "aria-label", `${inf.name}${status ? ", " + status : ""}: ${text}. Press Enter for actions.`);
    }
    this.refreshSelection();
  }

  /**
   * What of each node's texts fits without running into another node: its
   * badge above it (a traitor's strategy, "crashed", a partition group;
   * shortened to its sign when another node is in the way) and its status
   * line below it (cut short with "…", or left out when fewer than 7
   * characters fit; the tooltip and the inspector have it whole). Widths are
   * estimated from the character count, generously.
   */
  fitLabels(badges, infos, selNode) {
    const n = badges.length;
    const r = this.r;
    const pts = [];
    for (let i = 0; i < n; i++) pts.push(this.xy(i));
    const ROLE_W = 6.9, BADGE_W = 7.2; // px per character at 11 px and 10.5 px bold
    const ly = (i) => pts[i][1] + r + 13; // status line baseline
    const by = (i) => pts[i][1] - r - 7; // badge baseline
    const rowHit = (y0, y1, top, bottom) => Math.min(y1, bottom) > Math.max(y0, top);
    const edge = (i) => Math.min(pts[i][0] - 2, this.size.w - pts[i][0] - 2);
    // Badges first: they are short and say something a colour alone would not.
    const outB = badges.slice();
    const halfB = badges.map((b) => (b.length * BADGE_W) / 2);
    const many = n > 64;
    for (let i = 0; i < n && !many; i++) {
      if (!outB[i]) continue;
      let room = edge(i);
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const dx = Math.abs(pts[j][0] - pts[i][0]);
        if (rowHit(by(i) - 10, by(i) + 3, pts[j][1] - r - 2, pts[j][1] + r + 2)) room = Math.min(room, dx - r - 3);
        if (outB[j] && rowHit(by(i) - 10, by(i) + 3, by(j) - 10, by(j) + 3)) room = Math.min(room, dx / 2 - 3);
      }
      if (halfB[i] > room) {
        outB[i] = infos[i]?.strategy ? "⚠" : infos[i]?.crashed ? "✗" : outB[i].replace(/^group /, "");
        halfB[i] = (outB[i].length * BADGE_W) / 2 + 2;
      }
    }
    const labels = [];
    for (let i = 0; i < n; i++) {
      const text = infos[i]?.text || "";
      if (!(this.showLabels || selNode === i) || many) { labels.push(""); continue; }
      let half = edge(i);
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const dx = Math.abs(pts[j][0] - pts[i][0]);
        if (rowHit(ly(i) - 10, ly(i) + 3, pts[j][1] - r - 2, pts[j][1] + r + 2)) half = Math.min(half, dx - r - 4);
        if (outB[j] && rowHit(ly(i) - 10, ly(i) + 3, by(j) - 10, by(j) + 3)) half = Math.min(half, dx - halfB[j] - 4);
        if (rowHit(ly(i) - 10, ly(i) + 3, ly(j) - 10, ly(j) + 3)) half = Math.min(half, dx / 2 - 4);
      }
      const max = Math.min(40, Math.floor((2 * half) / ROLE_W));
      labels.push(max < 7 ? "" : text.length > max ? text.slice(0, max - 1) + "…" : text);
    }
    return { badges: outB, labels };
  }

  refreshSelection() {
    const sel = this.app.selection.node;
    this.nodeEls.forEach((el, i) => {
      if (el.g.classList.contains("selected") === (i === sel)) return;
      el.g.classList.toggle("selected", i === sel);
      if (el.g.__attrs) el.g.__attrs.class = el.g.getAttribute("class");
    });
    // The links canvas shows the selected node's links: redraw only when that changed.
    if (this.linksSel !== sel) this.drawLinks();
  }

  bindNode(g, i) {
    let down = null;
    g.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      g.setPointerCapture(e.pointerId);
      down = { x: e.clientX, y: e.clientY, moved: false, timer: 0 };
      if (e.pointerType === "touch") down.timer = setTimeout(() => { if (down && !down.moved) { down.long = true; this.openNodeMenu(i, e.clientX, e.clientY); } }, 550);
    });
    g.addEventListener("pointermove", (e) => {
      if (!down) return;
      const dx = e.clientX - down.x, dy = e.clientY - down.y;
      if (!down.moved && dx * dx + dy * dy < 16) return;
      down.moved = true;
      clearTimeout(down.timer);
      const pt = this.svgPoint(e);
      if (this.mode === "edit") {
        const [x0, y0] = this.xy(i);
        this.dragLine.setAttribute("x1", x0); this.dragLine.setAttribute("y1", y0);
        this.dragLine.setAttribute("x2", pt.x); this.dragLine.setAttribute("y2", pt.y);
        this.dragLine.setAttribute("visibility", "visible");
      } else if (this.mode === "select") {
        this.positions[i] = this.toNorm(pt.x, pt.y);
        this.app.state.positions[i] = this.positions[i].map((v) => +v.toFixed(4));
        this.placeNodes();
        this.drawLinks();
        this.updateMessages(true);
      }
    });
    const end = (e) => {
      if (!down) return;
      clearTimeout(down.timer);
      const d = down;
      down = null;
      if (d.long) return;
      if (this.mode === "edit" && d.moved) {
        this.dragLine.setAttribute("visibility", "hidden");
        const pt = this.svgPoint(e);
        const j = this.nodeAt(pt.x, pt.y);
        if (j >= 0 && j !== i) this.addLink(i, j);
        return;
      }
      if (!d.moved && e.type === "pointerup") this.activate(i, e);
    };
    g.addEventListener("pointerup", end);
    g.addEventListener("pointercancel", () => { down = null; this.dragLine.setAttribute("visibility", "hidden"); });
    g.addEventListener("contextmenu", (e) => {
      e.preventDefault();
      this.app.selection.setNode(i);
      this.openNodeMenu(i, e.clientX, e.clientY);
    });
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " " || e.key === "ContextMenu" || (e.key === "F10" && e.shiftKey)) {
        e.preventDefault();
        e.stopPropagation();
        if (this.mode === "partition" && e.key !== "ContextMenu") { this.cycleGroup(i); return; }
        this.app.selection.setNode(i);
        const r = g.getBoundingClientRect();
        this.openNodeMenu(i, r.right, r.top);
      } else if (e.key === "ArrowRight" || e.key === "ArrowDown") {
        e.preventDefault(); e.stopPropagation();
        this.nodeEls[(i + 1) % this.n]?.g.focus();
      } else if (e.key === "ArrowLeft" || e.key === "ArrowUp") {
        e.preventDefault(); e.stopPropagation();
        this.nodeEls[(i - 1 + this.n) % this.n]?.g.focus();
      }
    });
    g.addEventListener("focus", () => this.app.selection.setNode(i));
  }

  activate(i, e) {
    if (this.mode === "partition") { this.cycleGroup(i); return; }
    this.app.selection.setNode(i);
  }

  cycleGroup(i) {
    const g = this.groups.get(i);
    const next = g === undefined ? 0 : g + 1;
    if (next >= 3) this.groups.delete(i); else this.groups.set(i, next);
    this.refreshNodes(true);
  }

  svgPoint(e) {
    const r = this.svg.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  nodeAt(x, y) {
    let best = -1, bd = (this.r + 6) ** 2;
    for (let i = 0; i < this.n; i++) {
      const [nx, ny] = this.xy(i);
      const d = (nx - x) ** 2 + (ny - y) ** 2;
      if (d <= bd) { bd = d; best = i; }
    }
    return best;
  }

  // ---- node menu ----
  openNodeMenu(i, x, y) {
    const r = this.app.runner;
    const inf = this.nodeEls[i]?.info || r.guard("node", () => r.sim.nodes()[i]);
    if (!inf) return;
    const info = r.info;
    const items = [{ title: `${inf.name}${inf.crashed ? " (crashed)" : ""}${inf.strategy ? ` — traitor: ${inf.strategy}` : ""}` }];
    items.push({ label: "Inspect", testid: "menu-inspect", onSelect: () => { this.app.selection.setNode(i); this.app.focusInspector(); } });
    items.push(inf.crashed
      ? { label: "Recover", testid: "menu-recover", onSelect: () => this.app.inject({ recover: i }) }
      : { label: "Crash", testid: "menu-crash", onSelect: () => this.app.inject({ crash: i }) });
    if (info.strategies.length) {
      items.push({ title: inf.strategy ? "Change traitor strategy" : "Make traitor" });
      for (const st of info.strategies) {
        items.push({ label: st.name + (st.name === inf.strategy ? " ✓" : ""), sub: true, testid: `menu-traitor-${st.name}`, disabled: st.name === inf.strategy, onSelect: () => this.app.inject({ byzantine: i, strategy: st.name }) });
      }
    } else {
      items.push({ label: "Make traitor (this protocol has no strategies)", testid: "menu-traitor-none", disabled: true });
    }
    const others = [];
    for (let j = 0; j < this.nodesN; j++) if (j !== i) others.push(j);
    if (i < this.nodesN && others.length) items.push({ label: "Isolate (partition from the rest)", testid: "menu-isolate", onSelect: () => this.app.inject({ partition: [[i], others] }) });
    items.push("-");
    if (i < this.nodesN) {
      const input = h("input", { type: "number", min: "0", max: String(this.nodesN - 1), step: "1", "aria-label": "Link to node number", "data-testid": "menu-link-target" });
      const go = h("button", { type: "button", class: "btn small", text: "Link", "data-testid": "menu-link-go" });
      go.addEventListener("click", () => { const j = Number(input.value); closeMenu(); this.addLink(i, j); });
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); go.click(); } });
      items.push({ element: h("div", { class: "delay-row" }, h("span", { text: "Link to P" }), input, go) });
      items.push({ label: "Remove this node", testid: "menu-remove-node", disabled: this.nodesN <= (info.min_nodes || 1), onSelect: () => this.removeNode(i) });
    }
    openMenu(x, y, items, { label: `Actions for ${inf.name}`, testid: "node-menu", returnFocus: this.nodeEls[i]?.g });
  }

  // ---- editing ----
  /** Keeps the picture stable across an edit: every node stays where it is now. */
  pinPositions() {
    for (let i = 0; i < this.nodesN; i++) {
      if (this.positions[i]) this.app.state.positions[i] = this.positions[i].map((v) => +v.toFixed(4));
    }
  }

  addNode() {
    this.pinPositions();
    const sel = this.app.selection.node;
    const anchor = sel >= 0 && sel < this.nodesN ? sel : this.nodesN - 1;
    const id = this.nodesN;
    const near = this.positions[anchor] || [0.5, 0.5];
    this.app.state.positions[id] = [clamp(near[0] + 0.08, 0, 1), clamp(near[1] + 0.08, 0, 1)];
    this.app.editTopology((edges) => { if (anchor >= 0) edges.push([anchor, id]); }, { addNode: true, what: `add P${id}` });
  }

  removeNode(i) {
    this.pinPositions();
    this.app.editTopology((edges) => {
      for (let k = edges.length - 1; k >= 0; k--) {
        if (edges[k][0] === i || edges[k][1] === i) edges.splice(k, 1);
      }
      for (const e of edges) { if (e[0] > i) e[0]--; if (e[1] > i) e[1]--; }
    }, { removeNode: i, what: `remove P${i}` });
  }

  addLink(i, j) {
    if (!Number.isInteger(j) || j < 0 || j >= this.nodesN) { this.app.notify.error(`there is no node ${j} (nodes are 0..${this.nodesN - 1})`, "Cannot add the link"); return; }
    if (i === j) { this.app.notify.error("a node cannot link to itself", "Cannot add the link"); return; }
    const a = Math.min(i, j), b = Math.max(i, j);
    if (this.linkKey.has(a * 65536 + b)) { this.app.notify.info(`P${a} and P${b} are already linked.`); return; }
    this.pinPositions();
    this.app.editTopology((edges, directed) => { edges.push([i, j]); if (directed) edges.push([j, i]); }, { what: `link P${i}–P${j}` });
  }

  removeLink(l) {
    this.pinPositions();
    this.app.editTopology((edges) => {
      for (let k = edges.length - 1; k >= 0; k--) {
        const [x, y] = edges[k];
        if ((x === l.a && y === l.b) || (x === l.b && y === l.a)) edges.splice(k, 1);
      }
    }, { what: `remove the link P${l.a}–P${l.b}` });
  }

  applyPartition() {
    const groups = [[], [], []];
    for (const [node, g] of [...this.groups.entries()].sort((x, y) => x[0] - y[0])) groups[g].push(node);
    const nonEmpty = groups.filter((g) => g.length);
    if (nonEmpty.length < 2) {
      this.app.notify.error("a partition needs at least two groups: click nodes to put them in groups A and B", "Cannot partition");
      return;
    }
    if (this.app.inject({ partition: nonEmpty })) this.setMode("select");
  }

  // ---- links ----
  linkAt(x, y) {
    let best = null, bd = 36;
    for (const l of this.links) {
      const [x1, y1] = this.xy(l.a), [x2, y2] = this.xy(l.b);
      const dx = x2 - x1, dy = y2 - y1;
      const len2 = dx * dx + dy * dy || 1;
      const t = clamp(((x - x1) * dx + (y - y1) * dy) / len2, 0, 1);
      const d = (x1 + t * dx - x) ** 2 + (y1 + t * dy - y) ** 2;
      if (d < bd) { bd = d; best = l; }
    }
    return best;
  }

  onCanvasClick(e) {
    const pt = this.svgPoint(e);
    const l = this.linkAt(pt.x, pt.y);
    if (!l) { if (this.mode === "select") this.app.selection.setNode(-1); return; }
    this.openLinkMenu(l, e.clientX, e.clientY);
  }

  openLinkMenu(l, x, y) {
    const items = [{ title: `Link P${l.a} – P${l.b}` }];
    for (const [from, to, st] of [[l.a, l.b, l.ab], [l.b, l.a, l.ba]]) {
      if (!st) continue;
      if (st === "up") items.push({ label: `Cut P${from} → P${to} (one way)`, testid: `link-cut-${from}-${to}`, onSelect: () => this.app.inject({ cut: [from, to] }) });
      if (st === "up") items.push({ label: `Hold P${from} → P${to}`, testid: `link-hold-${from}-${to}`, onSelect: () => this.app.inject({ hold: [from, to] }) });
      if (st === "held") items.push({ label: `Release P${from} → P${to}`, testid: `link-release-${from}-${to}`, onSelect: () => this.app.inject({ release: [from, to] }) });
    }
    if (l.ab === "up" && l.ba === "up") items.push({ label: "Cut both ways", testid: "link-cut-both", onSelect: () => { this.app.inject({ cut: [l.a, l.b] }) && this.app.inject({ cut: [l.b, l.a] }); } });
    if (l.ab === "cut" || l.ba === "cut") items.push({ label: "Heal the network", testid: "link-heal", onSelect: () => this.app.inject({ heal: true }) });
    if (l.a < this.nodesN && l.b < this.nodesN) {
      items.push("-");
      items.push({ label: "Remove this link (restarts the run)", testid: "link-remove", onSelect: () => this.removeLink(l) });
    }
    openMenu(x, y, items, { label: `Link P${l.a}–P${l.b}`, testid: "link-menu" });
  }

  drawLinks() {
    const ctx = this.canvas.getContext("2d");
    if (!ctx || !this.size.w) return;
    this.linksSel = this.app.selection.node;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.size.w, this.size.h);
    const col = this.colors;
    const sel = this.app.selection.node;
    const many = this.links.length > 2000;
    ctx.lineCap = "round";
    const half = (x1, y1, x2, y2, st, hi) => {
      const mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
      ctx.beginPath();
      ctx.moveTo(mx, my);
      ctx.lineTo(x2, y2);
      if (st === "cut") { ctx.strokeStyle = col.bad; ctx.setLineDash([5, 4]); ctx.lineWidth = 2; }
      else if (st === "held") { ctx.strokeStyle = col.warn; ctx.setLineDash([2, 3]); ctx.lineWidth = 2.5; }
      else { ctx.strokeStyle = hi ? col.accent : col.faint; ctx.setLineDash([]); ctx.lineWidth = hi ? 2 : many ? 0.5 : 1.5; }
      ctx.stroke();
    };
    for (const l of this.links) {
      const extra = l.a >= this.nodesN || l.b >= this.nodesN;
      const [x1, y1] = this.xy(l.a), [x2, y2] = this.xy(l.b);
      const hi = sel === l.a || sel === l.b;
      ctx.globalAlpha = extra && !hi ? 0.35 : 1;
      if (l.ab) half(x1, y1, x2, y2, l.ab, hi);
      if (l.ba) half(x2, y2, x1, y1, l.ba, hi);
      if (!l.ab || !l.ba) {
        // One-way link: an arrowhead at the destination.
        const [fx, fy, tx, ty] = l.ab ? [x1, y1, x2, y2] : [x2, y2, x1, y1];
        const ang = Math.atan2(ty - fy, tx - fx);
        const ex = tx - Math.cos(ang) * (this.r + 2), ey = ty - Math.sin(ang) * (this.r + 2);
        ctx.setLineDash([]);
        ctx.fillStyle = hi ? col.accent : col.muted;
        ctx.beginPath();
        ctx.moveTo(ex, ey);
        ctx.lineTo(ex - 9 * Math.cos(ang - 0.4), ey - 9 * Math.sin(ang - 0.4));
        ctx.lineTo(ex - 9 * Math.cos(ang + 0.4), ey - 9 * Math.sin(ang + 0.4));
        ctx.fill();
      }
    }
    ctx.globalAlpha = 1;
    ctx.setLineDash([]);
  }

  // ---- messages in flight ----
  /**
   * Moves the messages in flight to where they are at the run's current
   * time. The list itself is read from the engine only when the run's state
   * changed (a send, a receive, a fault); in between, virtual time alone
   * moves them along their links.
   */
  updateMessages(force = false) {
    const r = this.app.runner;
    if (!r.sim) return;
    const now = r.sim.now();
    const listKey = `${r.stateVersion}`;
    if (force || listKey !== this.lastListKey || !this.inflight) {
      this.lastListKey = listKey;
      this.inflight = r.guard("in flight", () => r.sim.inFlight()) || [];
      force = true;
    }
    const key = `${listKey}:${now}`;
    if (!force && key === this.lastMsgsKey) return;
    this.lastMsgsKey = key;
    const list = this.inflight;
    if (this.inflightShown !== list.length) {
      this.inflightShown = list.length;
      this.inflightCount.textContent = String(list.length);
      this.inflightBtn.setAttribute("aria-label", `${list.length} message${list.length === 1 ? "" : "s"} in flight: drop or delay one (M)`);
    }
    const mode = list.length > SVG_MSGS_MAX ? "canvas" : "svg";
    if (mode !== this.msgMode) {
      this.msgMode = mode;
      this.svg.dataset.messages = mode;
      if (mode === "canvas") { clear(this.gMsgs); this.msgEls.clear(); }
    }
    if (mode === "canvas") this.paintMessages(list, now);
    else {
      if (this.msgHits.length || this.msgCanvasDirty) this.clearMsgCanvas();
      this.placeMessageElements(list, now);
    }
    const overlay = list.length > MAX_MSGS_DRAWN ? `${MAX_MSGS_DRAWN} of ${list.length} messages shown` : "";
    if (this.overlay.textContent !== overlay) this.overlay.textContent = overlay;
  }

  /** Where message m is now: [x, y]. */
  msgXY(m, now) {
    let [x1, y1] = this.xy(m.from), [x2, y2] = this.xy(m.to);
    // From the sender's rim to the receiver's, so that a message just sent
    // or about to arrive does not hide the node's name.
    const dx = x2 - x1, dy = y2 - y1, len = Math.hypot(dx, dy);
    const rim = this.r + this.msgRadius() + 1;
    if (len > 2 * rim + 4) {
      const ux = dx / len, uy = dy / len;
      x1 += ux * rim; y1 += uy * rim; x2 -= ux * rim; y2 -= uy * rim;
    }
    const f = m.status === "held" ? 0.82 : m.due > m.sent ? clamp((now - m.sent) / (m.due - m.sent), 0, 1) : 1;
    return [x1 + (x2 - x1) * f, y1 + (y2 - y1) * f];
  }

  msgRadius() { return clamp(this.r * 0.32, 3, 6); }

  /** Few messages: SVG circles, each with a tooltip; attributes are written only when they change. */
  placeMessageElements(list, now) {
    const pal = this.app.runner.palette;
    const mr = String(this.msgRadius());
    const seen = new Set();
    let drawn = 0;
    for (const m of list) {
      if (drawn >= MAX_MSGS_DRAWN) break;
      drawn++;
      seen.add(m.id);
      let el = this.msgEls.get(m.id);
      if (!el) {
        el = s("circle", { class: "msg", "data-testid": `msg-${m.id}`, "data-msg": String(m.id) });
        el.append(s("title"));
        el.addEventListener("click", (e) => { e.stopPropagation(); this.openMsgMenu(Number(el.dataset.msg), e.clientX, e.clientY); });
        this.gMsgs.append(el);
        this.msgEls.set(m.id, el);
      }
      const [x, y] = this.msgXY(m, now);
      setAttr(el, "cx", x.toFixed(1));
      setAttr(el, "cy", y.toFixed(1));
      setAttr(el, "r", mr);
      setAttr(el, "fill", pal.type(m.type).color);
      setAttr(el, "class", m.status === "held" ? "msg held" : "msg");
      setAttr(el, "data-type", m.type);
      setText(el.firstChild, `${m.type} #${m.id} ${this.name(m.from)}→${this.name(m.to)}: ${m.text}${m.status === "held" ? " (held)" : ""}`);
    }
    for (const [id, el] of this.msgEls) {
      if (!seen.has(id)) { el.remove(); this.msgEls.delete(id); }
    }
  }

  clearMsgCanvas() {
    const ctx = this.msgCanvas.getContext("2d");
    if (ctx) {
      const dpr = window.devicePixelRatio || 1;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, this.size.w, this.size.h);
    }
    this.msgHits = [];
    this.msgCanvasDirty = false;
  }

  /** Many messages: one canvas, painted in a few batched paths (one per colour). */
  paintMessages(list, now) {
    const ctx = this.msgCanvas.getContext("2d");
    if (!ctx || !this.size.w) return;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.size.w, this.size.h);
    this.msgCanvasDirty = false;
    const pal = this.app.runner.palette;
    const col = this.colors;
    const mr = this.msgRadius();
    const hits = [];
    const byColor = new Map();
    const held = [];
    const k = Math.min(list.length, MAX_MSGS_DRAWN);
    for (let i = 0; i < k; i++) {
      const m = list[i];
      const [x, y] = this.msgXY(m, now);
      hits.push([x, y, m.id]);
      const c = pal.type(m.type).color;
      let arr = byColor.get(c);
      if (!arr) byColor.set(c, (arr = []));
      arr.push(x, y);
      if (m.status === "held") held.push(x, y);
    }
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = col.panel;
    for (const [c, pts] of byColor) {
      ctx.beginPath();
      for (let i = 0; i < pts.length; i += 2) {
        ctx.moveTo(pts[i] + mr, pts[i + 1]);
        ctx.arc(pts[i], pts[i + 1], mr, 0, Math.PI * 2);
      }
      ctx.fillStyle = c;
      ctx.fill();
      ctx.stroke();
    }
    if (held.length) {
      ctx.strokeStyle = col.fg;
      ctx.setLineDash([2, 1]);
      ctx.beginPath();
      for (let i = 0; i < held.length; i += 2) {
        ctx.moveTo(held[i] + mr + 1, held[i + 1]);
        ctx.arc(held[i], held[i + 1], mr + 1, 0, Math.PI * 2);
      }
      ctx.stroke();
      ctx.setLineDash([]);
    }
    this.msgHits = hits;
  }

  /** The id of the message painted on the canvas layer at (x, y), or -1 (the last painted wins, as on screen). */
  msgAt(x, y) {
    const hits = this.msgHits;
    if (!hits.length) return -1;
    const rr = (this.msgRadius() + 3) ** 2;
    for (let i = hits.length - 1; i >= 0; i--) {
      const dx = hits[i][0] - x, dy = hits[i][1] - y;
      if (dx * dx + dy * dy <= rr) return hits[i][2];
    }
    return -1;
  }

  hoverMsg(e) {
    if (!this.msgHits.length) return;
    const pt = this.svgPoint(e);
    const id = e.target === this.svg ? this.msgAt(pt.x, pt.y) : -1;
    if (id === this.hoverId) return;
    this.hoverId = id;
    const m = id >= 0 ? (this.inflight || []).find((q) => q.id === id) : null;
    this.svg.style.cursor = m ? "pointer" : "";
    this.svgTitle.textContent = m ? `${m.type} #${m.id} ${this.name(m.from)}→${this.name(m.to)}: ${m.text}${m.status === "held" ? " (held)" : ""} — click to drop or delay` : "";
  }

  name(i) {
    return this.nodeEls[i]?.info?.name || `P${i}`;
  }

  openMsgMenu(id, x, y) {
    const m = (this.inflight || []).find((q) => q.id === id);
    if (!m) return;
    const by = h("input", { type: "text", value: "20ms", "aria-label": "Delay by", "data-testid": "msg-delay-by", spellcheck: "false" });
    const delayBtn = h("button", { type: "button", class: "btn small", text: "Delay", "data-testid": "msg-delay" });
    delayBtn.addEventListener("click", () => { closeMenu(); this.app.inject({ delay: { id, by: by.value.trim() } }); });
    by.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); delayBtn.click(); } });
    openMenu(x, y, [
      { title: `${m.type} #${m.id}: ${this.name(m.from)} → ${this.name(m.to)}` },
      { title: `${m.text} · sent ${fmtTime(m.sent)}, due ${fmtTime(m.due)}${m.status === "held" ? " · held" : ""}` },
      { label: "Drop this message", testid: "msg-drop", onSelect: () => this.app.inject({ drop: { id } }) },
      { element: h("div", { class: "delay-row" }, h("span", { text: "Delay by" }), by, delayBtn) },
    ], { label: `Message ${m.id}`, testid: "msg-menu" });
  }

  openInflightMenu() {
    const list = this.inflight || [];
    const r = this.inflightBtn.getBoundingClientRect();
    if (!list.length) { openMenu(r.left, r.bottom + 4, [{ title: "No message is in flight." }], { testid: "inflight-menu" }); return; }
    const items = [{ title: `${list.length} in flight${list.length > 40 ? " (first 40)" : ""}` }];
    for (const m of list.slice(0, 40)) {
      items.push({ label: `${m.type} #${m.id} ${this.name(m.from)}→${this.name(m.to)} (due ${fmtTime(m.due)})`, testid: `inflight-${m.id}`, onSelect: () => {
        const el = this.msgEls.get(m.id);
        let b = el ? el.getBoundingClientRect() : r;
        const hit = !el && this.msgHits.find((q) => q[2] === m.id);
        if (hit) { const sr = this.svg.getBoundingClientRect(); b = { right: sr.left + hit[0] + 6, top: sr.top + hit[1] - 6 }; }
        this.openMsgMenu(m.id, b.right, b.top);
      } });
    }
    openMenu(r.left, r.bottom + 4, items, { label: "Messages in flight", testid: "inflight-menu" });
  }

  buildLegend() {
    clear(this.legend);
    const r = this.app.runner;
    for (const t of r.info.message_types.slice(0, 12)) {
      const c = r.palette.type(t.name);
      this.legend.append(h("span", { class: "chip", title: t.doc || t.name }, typeSwatch(c), t.name));
    }
  }

  /** Called every animation frame. */
  frame() {
    const r = this.app.runner;
    if (!r.sim || !this.nodeEls.length) return;
    // Channel states change only through faults: re-read them when one was recorded.
    const ev = r.cache.events;
    let faultNow = false;
    for (let i = Math.min(this.faultSeen, ev.length); i < ev.length; i++) {
      if (ev[i].kind === "fault") { faultNow = true; }
    }
    if (this.faultSeen > ev.length) faultNow = true;
    this.faultSeen = ev.length;
    if (faultNow || this.chanDirty) {
      this.chanDirty = false;
      this.readChannels();
      this.drawLinks();
    }
    this.refreshNodes();
    this.updateMessages();
  }

  /** Marks channel states as stale (after a seek or an injected action). */
  invalidateChannels() {
    this.chanDirty = true;
  }

  themeChanged() {
    this.colors = themeColors();
    this.drawLinks();
    this.refreshNodes(true);
    this.updateMessages(true);
  }
}
