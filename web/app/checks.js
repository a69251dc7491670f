// Invariants and metrics: each invariant as a green, red or pending badge (a
// red one links to the first event that broke it), message counts by type,
// and the protocol's metrics measured against what the book states
// (ProtocolInfo.complexity and each metric's `expected`, evaluated for this
// run's N where it is a formula).

import { h, clear } from "./dom.js";
import { evalExpected } from "./expected.js";

export class ChecksPanel {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.lastVersion = -1;
    this.lastAt = 0;
    this.summary = null; // last sim.summary() (metrics), refreshed when the run is paused or ended
    this.summaryVersion = -1;
  }

  reset() {
    this.summary = null;
    this.summaryVersion = -1;
    this.lastVersion = -1;
    this.lastKey = "";
    this.shape = "";
    this.render();
  }

  frame(ts) {
    const r = this.app.runner;
    if (!r.sim) return;
    const busy = !!(r.playing || r.task);
    // Invariants and counts change with events only; the metrics when the run stops.
    const key = `${r.stateVersion}:${r.cache.length}:${busy}`;
    if (key === this.lastKey) return;
    if (busy && ts - this.lastAt < 250) return;
    this.lastAt = ts;
    this.lastKey = key;
    // The summary hashes the whole trace: only ask for it when the run stands still.
    if (!busy && this.summaryVersion !== r.version) {
      this.summary = r.guard("summary", () => r.sim.summary()) || this.summary;
      this.summaryVersion = r.version;
    }
    this.render();
  }

  render() {
    const r = this.app.runner;
    this.lastVersion = r.version;
    if (!r.sim) { clear(this.root); this.shape = ""; return; }
    const info = r.info;
    const invs = r.guard("invariants", () => r.sim.invariants()) || [];
    const c0 = r.cache;
    const sum0 = this.summary && this.summaryVersion === r.version ? this.summary : null;
    const types0 = [...new Set([...info.message_types.map((t) => t.name), ...c0.sentByType.keys()])];
    // While only the message counts move (a playing run), update those cells
    // in place instead of rebuilding the panel.
    const shape = JSON.stringify([info.name, invs, types0, sum0 ? sum0.metrics : null, !!(r.playing || r.task)]);
    if (shape === this.shape && this.countCells) {
      for (const t of types0) {
        const td = this.countCells.get(t);
        const v = String(c0.sentByType.get(t) || 0);
        if (td && td.textContent !== v) td.textContent = v;
      }
      const tot = `${c0.sent} / ${c0.delivered} / ${c0.dropped}`;
      if (this.totalsCell.textContent !== tot) this.totalsCell.textContent = tot;
      return;
    }
    this.shape = shape;
    this.countCells = new Map();
    const focused = this.root.contains(document.activeElement) ? document.activeElement.dataset.testid : "";
    clear(this.root);
    const bad = invs.filter((i) => !i.ok && !i.pending).length;
    this.root.append(h("h2", { text: "Invariants" }));
    if (!invs.length) this.root.append(h("p", { class: "empty", text: "This protocol declares no invariants." }));
    const ul = h("ul", { class: "inv-list", "data-testid": "invariants", "aria-label": `${invs.length} invariants, ${bad} violated` });
    for (const inv of invs) {
      const state = inv.pending ? "pending" : inv.ok ? "ok" : "violated";
      const doc = info.invariants.find((k) => k.name === inv.name)?.doc || "";
      const li = h("li", { class: "inv " + state, "data-testid": `invariant-${inv.name}`, "data-state": state, title: doc },
        h("span", { class: "icon", "aria-hidden": "true", text: state === "ok" ? "✓" : state === "violated" ? "✗" : "…" }),
        h("span", { class: "name" }, inv.name, h("span", { class: "sr-only", text: ` ${state}` }), inv.final ? h("span", { class: "hint", text: " (at the end)" }) : null),
        inv.detail || (!inv.ok && doc) ? h("span", { class: "detail", text: inv.detail || doc }) : null);
      if (!inv.ok && !inv.pending && inv.event >= 0) {
        const go = h("button", { type: "button", class: "btn small goto", "data-testid": `invariant-goto-${inv.name}`, text: `First broken at event #${inv.event} →` });
        go.addEventListener("click", () => this.app.revealEvent(inv.event));
        li.append(go);
      }
      ul.append(li);
    }
    this.root.append(ul);

    // Messages by type (from the event cache: cheap every frame).
    const c = r.cache;
    const n = this.app.nodeCount();
    const sum = this.summary && this.summaryVersion === r.version ? this.summary : null;
    this.root.append(h("h2", { text: "Messages" }));
    const types = new Set([...info.message_types.map((t) => t.name), ...c.sentByType.keys()]);
    const tbl = h("table", { class: "kv", "data-testid": "message-counts" },
      h("thead", {}, h("tr", {}, h("th", { text: "type" }), h("th", { text: "sent", style: { textAlign: "right" } }))));
    const tb = h("tbody");
    for (const t of types) {
      const k = c.sentByType.get(t) || 0;
      const td = h("td", { class: "num", text: String(k) });
      this.countCells.set(t, td);
      tb.append(h("tr", { "data-testid": `msg-count-${t}` },
        h("td", {}, h("span", { class: "swatch dot", style: { background: r.palette.type(t).color, marginRight: "6px" } }), t),
        td));
    }
    this.totalsCell = h("td", { class: "num", "data-testid": "msg-totals", text: `${c.sent} / ${c.delivered} / ${c.dropped}` });
    tb.append(h("tr", {}, h("td", { text: "total sent / delivered / dropped" }), this.totalsCell));
    tbl.append(tb);
    this.root.append(tbl);

    // Metrics against the book.
    this.root.append(h("h2", { text: "Against the book", style: { marginTop: "12px" } }));
    if (info.complexity) this.root.append(h("div", { class: "complexity", text: info.complexity }));
    const metrics = sum?.metrics || {};
    const names = new Set([...info.metrics.map((m) => m.name), ...Object.keys(metrics)]);
    if (names.size) {
      const mt = h("table", { class: "kv", "data-testid": "metrics" },
        h("thead", {}, h("tr", {}, h("th", { text: "metric" }), h("th", { text: "measured", style: { textAlign: "right" } }), h("th", { text: "book" }))));
      const mb = h("tbody");
      for (const name of names) {
        const spec = info.metrics.find((m) => m.name === name) || {};
        const v = metrics[name];
        const exp = spec.expected ? evalExpected(spec.expected, n) : null;
        let mark = null;
        if (v !== undefined && exp !== null && isFinite(exp)) {
          const close = Math.abs(v - exp) <= Math.max(1e-9, Math.abs(exp) * 0.05);
          mark = h("span", { class: close ? "match" : "miss", title: close ? "matches the book" : "differs from the book", text: close ? " ✓" : " ≠" });
        }
        mb.append(h("tr", { "data-testid": `metric-${name}`, title: spec.doc || "" },
          h("td", { text: name }),
          h("td", { class: "num", text: v === undefined ? (r.playing || r.task ? "…" : "–") : fmtNum(v) }),
          h("td", {}, spec.expected ? `${spec.expected}${exp !== null && isFinite(exp) && !/^[\d.]+$/.test(spec.expected) ? ` = ${fmtNum(exp)}` : ""}` : "", mark)));
      }
      mt.append(mb);
      this.root.append(mt);
      if (!sum) this.root.append(h("p", { class: "hint", text: "Metrics are computed when the run is paused or ends." }));
    } else {
      this.root.append(h("p", { class: "empty", text: "No metrics for this protocol." }));
    }
    if (focused) this.root.querySelector(`[data-testid="${focused}"]`)?.focus({ preventScroll: true });
  }
}

function fmtNum(v) {
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(Math.abs(v) >= 100 ? 1 : 3).replace(/0+$/, "").replace(/\.$/, "");
}
