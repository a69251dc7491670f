// What every protocol view shares: reading the run's data through the bridge
// at a bounded rate, a few small renderers (badges, tables, an SVG graph), and
// the Okabe–Ito colours that carry meaning in the views.
//
// A view is what web/views/index.js registers: a factory (ctx) -> {mount(el),
// update(), unmount()}, ctx = {runner, selection, app}. The protocol-view
// panel calls update() on every frame in which the run's state changed;
// defineView() turns that into at most a few renders a second while the run
// plays (fewer when a render is costly; with a trailing render, so the last
// state is always drawn) and a render on every change while it stands still.
//
// Data: node states (sim.node(id).state) and sim.nodes() are cheap and read at
// each render. The protocol's output (Summary.output) needs sim.summary(),
// which hashes the whole trace, so outputOf() asks for it only when the run
// stands still, reuses the checks panel's summary when that one is current,
// and prefers sim.output() should the bridge grow one.

import { h, s, clear } from "../app/dom.js";

export { h, s, clear };

/** Okabe–Ito: the colours that stay apart for the common colour-vision deficiencies. */
export const OI = {
  orange: "#E69F00",
  sky: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  purple: "#CC79A7",
  grey: "#999999",
  black: "#000000",
};

const BUSY_INTERVAL_MS = 180;
const BUSY_MAX_INTERVAL_MS = 1000;

/**
 * Wraps a view definition into the factory the panel expects.
 * def(ctx) returns {mount(el, api), render(data), unmount?()}; render gets
 * {sim, runner, nodes, states(ids), output(), busy}.
 */
export function defineView(def) {
  return (ctx) => {
    const impl = def(ctx);
    let root = null;
    let lastAt = 0;
    let timer = 0;
    let dead = false;
    const runner = ctx.runner;
    let cost = 0; // how long the last render took (ms)
    const render = () => {
      timer = 0;
      if (dead || !runner.sim) return;
      lastAt = performance.now();
      impl.render(readers(ctx));
      cost = performance.now() - lastAt;
    };
    return {
      mount(el) {
        root = el;
        root.classList.add("pv");
        impl.mount(el, { refresh: () => { if (timer) { clearTimeout(timer); timer = 0; } render(); } });
        render();
      },
      update() {
        if (dead) return;
        const busy = runner.playing || !!runner.task;
        const since = performance.now() - lastAt;
        // A costly view (many replicas, a long log) renders less often while
        // the run moves, so that it never takes more than ~1/8 of the time.
        const every = Math.min(BUSY_MAX_INTERVAL_MS, Math.max(BUSY_INTERVAL_MS, 8 * cost));
        if (!busy || since >= every) {
          if (timer) { clearTimeout(timer); timer = 0; }
          render();
        } else if (!timer) {
          timer = setTimeout(render, every - since);
        }
      },
      unmount() {
        dead = true;
        if (timer) clearTimeout(timer);
        impl.unmount?.();
        if (root) { clear(root); root.classList.remove("pv"); }
      },
      /** For tests: render now, whatever the rate limit says. */
      renderNow: render,
    };
  };
}

/** Accessors for one render: each reads the bridge at most once. */
function readers(ctx) {
  const runner = ctx.runner;
  const sim = runner.sim;
  let nodes = null;
  const states = new Map();
  return {
    sim,
    runner,
    busy: runner.playing || !!runner.task,
    /** sim.nodes(): [{id, name, crashed, strategy, ...}] */
    nodes() {
      if (!nodes) nodes = runner.guard("nodes", () => sim.nodes()) || [];
      return nodes;
    },
    /** sim.node(id) (with .state), or null. */
    node(id) {
      if (!states.has(id)) states.set(id, runner.guard("node", () => sim.node(id)) || null);
      return states.get(id);
    },
    /** The protocol's output, or undefined when it would cost a summary now. */
    output() {
      return outputOf(ctx);
    },
  };
}

const outputCache = new WeakMap(); // runner -> {version, value}

/**
 * The protocol's output (Summary.output) for the run as it stands, or
 * undefined while the run plays (a summary hashes the whole trace).
 */
export function outputOf(ctx) {
  const r = ctx.runner;
  const sim = r.sim;
  if (!sim) return undefined;
  if (typeof sim.output === "function") {
    return r.guard("output", () => sim.output());
  }
  const c = outputCache.get(r);
  if (c && c.version === r.version && c.sim === sim) return c.value;
  if (r.playing || r.task) return c && c.sim === sim ? c.value : undefined;
  const checks = ctx.app?.checks;
  let sum = null;
  if (checks && checks.summaryVersion === r.version && checks.summary) sum = checks.summary;
  else sum = r.guard("summary", () => sim.summary());
  const value = sum ? sum.output : undefined;
  outputCache.set(r, { version: r.version, sim, value });
  return value;
}

/** el.append(...kids) that skips null, undefined and false (Element.append would write "null"). */
export function put(el, ...kids) {
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) el.append(k);
  return el;
}

/**
 * Like put(), with a space between the items: a head whose items sit in a
 * flex row still reads "4 generals commander G" (not "4 generalscommander G")
 * to a screen reader, in copied text and wherever the row is not laid out.
 */
export function putSpaced(el, ...kids) {
  let first = true;
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    if (!first) el.append(" ");
    el.append(k);
    first = false;
  }
  return el;
}

/** A button that shows an event in the diagram (selects it and scrolls to it). */
export function eventLink(ctx, id, label) {
  const b = h("button", { type: "button", class: "pv-link", title: `Show event #${id} in the diagram`, text: label });
  b.addEventListener("click", () => ctx.app?.revealEvent?.(id));
  return b;
}

/** A small coloured label; colour is never the only cue (the text says it). */
export function badge(text, kind, attrs = {}) {
  return h("span", { class: `pv-badge ${kind || ""}`, ...attrs, text });
}

/** A table from header labels and row arrays (cells: strings or nodes). */
export function table(head, rows, attrs = {}) {
  const t = h("table", { class: "pv-table", ...attrs });
  if (head) t.append(h("thead", {}, h("tr", {}, head.map((x) => (x instanceof Node ? h("th", {}, x) : h("th", { scope: "col", text: x }))))));
  const tb = h("tbody");
  for (const r of rows) tb.append(r instanceof Node ? r : h("tr", {}, r.map((c) => (c instanceof Node && c.tagName === "TD" ? c : h("td", {}, c)))));
  t.append(tb);
  return t;
}

/** Positions for k nodes on a circle in a w×h box, starting at the top, clockwise. */
export function circleLayout(k, w, hgt, margin = 34) {
  const cx = w / 2, cy = hgt / 2;
  const r = Math.max(10, Math.min(w, hgt) / 2 - margin);
  const out = [];
  for (let i = 0; i < k; i++) {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, k);
    out.push([cx + r * Math.cos(a), cy + r * Math.sin(a)]);
  }
  return out;
}

let markerSeq = 0;

/**
 * Draws a directed graph as SVG: nodes [{id, label, cls}] at pos (by id),
 * edges [{from, to, cls, label}]; returns the <svg>. Edges are shortened to
 * stop at the node circles and bent slightly when both directions exist.
 */
export function graphSVG({ w, h: hgt, nodes, pos, edges, radius = 16, label = "graph", testid }) {
  const id = `pv-arrow-${++markerSeq}`;
  const svg = s("svg", { class: "pv-graph", viewBox: `0 0 ${w} ${hgt}`, width: String(w), height: String(hgt), role: "img", "aria-label": label, "data-testid": testid });
  const defs = s("defs");
  for (const kind of ["", "-hot", "-probe", "-stale"]) {
    defs.append(s("marker", { id: id + kind, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse", class: "pv-marker" + kind },
      s("path", { d: "M0,0 L10,5 L0,10 z" })));
  }
  svg.append(defs);
  const pairs = new Set(edges.map((e) => `${e.from}>${e.to}`));
  const gE = s("g", { class: "pv-edges" });
  for (const e of edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b) continue;
    const dx = b[0] - a[0], dy = b[1] - a[1];
    const len = Math.hypot(dx, dy) || 1;
    const ux = dx / len, uy = dy / len;
    const bend = pairs.has(`${e.to}>${e.from}`) ? 14 : 0;
    const x1 = a[0] + ux * radius, y1 = a[1] + uy * radius;
    const x2 = b[0] - ux * (radius + 2), y2 = b[1] - uy * (radius + 2);
    const mx = (x1 + x2) / 2 - uy * bend, my = (y1 + y2) / 2 + ux * bend;
    const kind = e.cls?.includes("cycle") ? "-hot" : e.cls?.includes("probe") ? "-probe" : e.cls?.includes("stale") ? "-stale" : "";
    const path = s("path", { d: `M${x1.toFixed(1)},${y1.toFixed(1)} Q${mx.toFixed(1)},${my.toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}`, class: "pv-edge " + (e.cls || ""), "marker-end": `url(#${id}${kind})`, "data-edge": `${e.from}-${e.to}` });
    if (e.title) path.append(s("title", { text: e.title }));
    gE.append(path);
    if (e.label) {
      gE.append(s("text", { x: mx.toFixed(1), y: (my - 4).toFixed(1), class: "pv-edge-label", "text-anchor": "middle", text: e.label }));
    }
  }
  svg.append(gE);
  const gN = s("g", { class: "pv-nodes" });
  for (const n of nodes) {
    const p = pos.get(n.id);
    if (!p) continue;
    const g = s("g", { class: "pv-node " + (n.cls || ""), transform: `translate(${p[0].toFixed(1)},${p[1].toFixed(1)})`, "data-node": String(n.id) });
    g.append(s("circle", { r: String(radius) }), s("text", { class: "pv-node-label", "text-anchor": "middle", dy: "0.35em", text: n.label }));
    if (n.title) g.append(s("title", { text: n.title }));
    if (n.mark) g.append(s("text", { class: "pv-node-mark", "text-anchor": "middle", y: String(-radius - 5), text: n.mark }));
    gN.append(g);
  }
  svg.append(gN);
  return svg;
}

/** A titled section inside a view. */
export function section(title, ...children) {
  return h("section", { class: "pv-section" }, h("h3", { text: title }), ...children);
}

/** Number of processes the scenario declares (protocols may add clients after them). */
export function scenarioNodes(ctx) {
  const sc = ctx.app?.state?.scenario;
  if (sc && typeof sc.nodes === "number") return sc.nodes;
  return ctx.runner.nproc;
}

/** A short "P3" style name for process id in this run. */
export function nameOf(nodes, id) {
  return nodes[id]?.name || `P${id}`;
}
