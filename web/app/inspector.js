// The inspector: the selected node's state as the protocol reports it
// (NodeDetail.state, rendered as a tree), with what changed since the previous
// step highlighted, its Lamport and vector clocks, and any other fields the
// bridge gives (timers, for instance). Refreshed at most a few times a second
// while playing.

import { h, clear } from "./dom.js";

const KNOWN = new Set(["id", "name", "crashed", "strategy", "text", "neighbors", "state", "lamport", "vc", "events"]);
const MAX_ITEMS = 60;

export class Inspector {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.node = -1;
    this.prev = null; // flattened previous state for this node
    this.prevKey = "";
    this.lastVersion = -1;
    this.lastAt = 0;
    app.selection.on("node", () => { this.prev = null; this.lastVersion = -1; this.shownKey = ""; this.render(); });
    this.render();
  }

  reset() {
    this.prev = null;
    this.lastVersion = -1;
    this.shownKey = "";
    this.render();
  }

  frame(ts) {
    const r = this.app.runner;
    // The node's state changes only with events: virtual time alone changes nothing here.
    if (!r.sim || r.stateVersion === this.lastVersion) return;
    if ((r.playing || r.task) && ts - this.lastAt < 250) return;
    this.lastAt = ts;
    this.render();
  }

  render() {
    const r = this.app.runner;
    const id = this.app.selection.node;
    this.lastVersion = r.stateVersion;
    const focused = this.root.contains(document.activeElement) ? document.activeElement.dataset.testid : "";
    this.build(r, id);
    if (focused) this.root.querySelector(`[data-testid="${focused}"]`)?.focus({ preventScroll: true });
  }

  build(r, id) {
    const shown = id < 0 || id >= r.nproc || !r.sim ? null : r.guard("node", () => r.sim.node(id));
    // Nothing to change on screen: keep the DOM (a rebuild costs style and layout for nothing).
    const json = shown ? JSON.stringify(shown) : "";
    const shownKey = `${!!r.sim}:${id}:${json}`;
    if (shownKey === this.shownKey && !this.hadChanges && this.root.firstChild) return;
    this.shownKey = shownKey;
    this.hadChanges = false;
    clear(this.root);
    this.root.append(h("h2", { text: "Inspector" }));
    if (!r.sim) return;
    if (id < 0 || id >= r.nproc) {
      this.root.append(h("p", { class: "empty", "data-testid": "inspector-empty", text: "Select a process (click it in the topology or its name in the diagram) to see its state, clocks and timers." }));
      return;
    }
    const d = shown;
    if (!d) return;
    const flat = new Map();
    flatten(d.state, "", flat);
    const key = `${id}`;
    const changed = new Set();
    if (this.prev && this.prevKey === key) {
      for (const [k, v] of flat) if (this.prev.get(k) !== v) changed.add(k);
      for (const k of this.prev.keys()) if (!flat.has(k)) changed.add(k);
    }
    // The highlight shows what changed since the previous refresh (a step, or a frame's worth of playing).
    this.hadChanges = changed.size > 0;
    this.prev = flat;
    this.prevKey = key;
    const menuBtn = h("button", { type: "button", class: "btn small", "data-testid": "inspector-actions", "aria-haspopup": "menu", text: "Actions…" });
    menuBtn.addEventListener("click", () => { const b = menuBtn.getBoundingClientRect(); this.app.topology.openNodeMenu(id, b.left, b.bottom + 4); });
    this.root.append(
      h("div", { class: "insp-head" },
        h("span", { class: "name", "data-testid": "inspector-name", text: d.name }),
        d.crashed ? h("span", { class: "pill bad", text: "crashed" }) : h("span", { class: "pill ok", text: "up" }),
        d.strategy ? h("span", { class: "pill bad", "data-testid": "inspector-strategy", text: `traitor: ${d.strategy}` }) : null,
        h("span", { style: { marginLeft: "auto" } }), menuBtn),
      h("div", { class: "insp-text", "data-testid": "inspector-text", text: d.text }),
      h("h3", { text: "State" }),
      h("div", { "data-testid": "inspector-state" }, renderTree(d.state, "", changed)),
      h("h3", { text: "Clocks" }),
      h("div", { "data-testid": "inspector-clocks" },
        h("div", { class: "meta" }, h("span", {}, "Lamport ", h("b", { text: String(d.lamport) })), h("span", {}, "events ", h("b", { text: String(d.events) })), h("span", {}, "neighbours ", h("b", { text: (d.neighbors || []).length ? (d.neighbors.length > 12 ? `${d.neighbors.length}` : d.neighbors.map((n) => "P" + n).join(" ")) : "none" }))),
        vcView(d.vc || [], id)),
    );
    const extra = Object.keys(d).filter((k) => !KNOWN.has(k)).sort();
    for (const k of extra) {
      this.root.append(h("h3", { text: k[0].toUpperCase() + k.slice(1) }), h("div", { "data-testid": "inspector-" + k }, renderTree(d[k], "#" + k, new Set())));
    }
  }

}

function vcView(vc, own) {
  const n = vc.length;
  if (n > 64) return h("div", { class: "hint", text: `vector clock of ${n} entries; own entry ${vc[own]}` });
  return h("div", { class: "vc", "aria-label": `Vector clock [${vc.join(", ")}]` }, vc.map((v, i) => h("span", { class: i === own ? "own" : "", title: `P${i}`, text: String(v) })));
}

function flatten(v, path, out) {
  if (v !== null && typeof v === "object") {
    const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    if (!keys.length) out.set(path, Array.isArray(v) ? "[]" : "{}");
    for (const k of keys) flatten(v[k], `${path}/${k}`, out);
  } else {
    out.set(path, JSON.stringify(v));
  }
}

function isLeafList(v) {
  return Array.isArray(v) && v.every((x) => x === null || typeof x !== "object");
}

function leafText(v) {
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

function subtreeChanged(path, changed) {
  for (const c of changed) if (c === path || c.startsWith(path + "/")) return true;
  return false;
}

/** Renders plain data as a nested list; marks the parts that changed. */
function renderTree(v, path, changed) {
  if (v === null || typeof v !== "object") {
    return h("span", { class: "v" + (changed.has(path) ? " changed" : ""), text: leafText(v) });
  }
  if (isLeafList(v)) {
    const shown = v.slice(0, MAX_ITEMS).map(leafText).join(", ");
    return h("span", { class: "v" + (subtreeChanged(path, changed) ? " changed" : ""), text: `[${shown}${v.length > MAX_ITEMS ? `, … ${v.length - MAX_ITEMS} more` : ""}]` });
  }
  const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  if (!keys.length) return h("span", { class: "v", text: Array.isArray(v) ? "[]" : "{}" });
  const ul = h("ul", { class: path ? "" : "tree" });
  for (const k of keys.slice(0, MAX_ITEMS)) {
    const p = `${path}/${k}`;
    const child = v[k];
    const simple = child === null || typeof child !== "object" || isLeafList(child);
    ul.append(h("li", {}, h("span", { class: "k", text: `${k}: ` }), simple ? renderTree(child, p, changed) : h("div", {}, renderTree(child, p, changed))));
  }
  if (keys.length > MAX_ITEMS) ul.append(h("li", { class: "hint", text: `… ${keys.length - MAX_ITEMS} more` }));
  return ul;
}
