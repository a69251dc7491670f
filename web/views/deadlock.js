// Deadlock detection (protocols/deadlock: deadlock-cmh, deadlock-central):
// the wait-for graph as it stands (from the sites' lock tables, the ground
// truth), the PROBEs in flight drawn along its edges, every declared
// deadlock with its cycle and victim (real, or a phantom), and — for the
// central detector — the controller's view, joined from site reports of
// different ages, beside the true graph: an edge the controller still
// believes but that is gone is drawn as stale, so a phantom cycle is there to
// see.
//
// Data: the protocol's output {declarations: [{at_us, by, cycle, victim,
// real, phantom, detail, wait_edges, resolved}], wait_for: [[waiter, holder,
// res]], locks}; each process's node state {blocked, working, active, holds,
// waits_for: [{res, holder}], aborts}; the controller's {reports: {site:
// {seq, edges}}, edges: ["P0→P1 (R1)"], aborted, declared}; PROBE and ABORT
// messages in flight (sim.inFlight()); decide events in the page's cache to
// jump to a declaration.

import { h, clear, put, putSpaced, defineView, badge, table, section, outputOf, graphSVG, circleLayout, eventLink, scenarioNodes } from "./common.js";
import { fmtTime } from "../app/dom.js";

const EDGE_RE = /^P(\d+)→P(\d+)(?: \(R(\d+)\))?$/;

function cycleText(cycle) {
  return cycle.length ? cycle.map((p) => `P${p}`).join("→") + `→P${cycle[0]}` : "()";
}

export const deadlockView = defineView((ctx) => {
  let root, head, graphs, decls, procs, api;
  let chosen = -1; // index of the declaration the user picked (-1: the latest)
  const central = ctx.runner.info?.name === "deadlock-central";
  return {
    mount(el, a) {
      root = el;
      api = a;
      head = h("div", { class: "pv-head", "data-testid": "deadlock-head" });
      graphs = h("div", { class: "pv-graphs", "data-testid": "deadlock-graphs" });
      decls = h("div", { "data-testid": "deadlock-declarations" });
      procs = h("div", { "data-testid": "deadlock-processes" });
      const key = h("div", { class: "pv-key", "aria-label": "Key" },
        keyItem("wait-for edge", ""), keyItem("on the declared cycle", "cycle"), keyItem("PROBE in flight", "probe"),
        central ? keyItem("stale: the controller believes it, it is gone", "stale") : null,
        central ? keyItem("true but not yet reported", "missing") : null);
      root.append(head, section(central ? "Controller's view and the true graph" : "Wait-for graph", graphs, key),
        section("Declared deadlocks", decls), section("Processes", procs));
    },
    render(d) {
      const out = outputOf(ctx);
      if (out === undefined) return;
      const nodes = d.nodes();
      const n = Math.min(scenarioNodes(ctx), nodes.length);
      const declarations = (out && out.declarations) || [];
      const truth = ((out && out.wait_for) || []).map(([w, hh, r]) => ({ from: w, to: hh, res: r }));
      const states = [];
      for (let i = 0; i < n; i++) states.push(d.node(i)?.state || {});
      const inflight = d.sim.inFlight ? (ctx.runner.guard("in flight", () => d.sim.inFlight()) || []) : [];
      const probes = inflight.filter((m) => m.type === "PROBE" && m.from < n && m.to < n);
      const aborts = inflight.filter((m) => m.type === "ABORT");

      // Head.
      const pick = chosen >= 0 && chosen < declarations.length ? chosen : declarations.length - 1;
      const decl = pick >= 0 ? declarations[pick] : null;
      const blocked = states.filter((s) => s.blocked).length;
      clear(head);
      putSpaced(head,
        h("span", { class: "pv-title", text: central ? "Centralized detector" : "Chandy–Misra–Haas (AND model)" }),
        h("span", { "data-testid": "deadlock-summary", text: `${truth.length} wait-for edge${truth.length === 1 ? "" : "s"} now · ${blocked} blocked · ${declarations.length} declared` }),
        probes.length ? badge(`${probes.length} PROBE${probes.length > 1 ? "s" : ""} in flight`, "info", { "data-testid": "deadlock-probes" }) : null,
        aborts.length ? badge(`ABORT in flight`, "warn") : null);

      // Graphs.
      clear(graphs);
      const size = Math.max(200, Math.min(300, 120 + n * 22));
      const posArr = circleLayout(n, size, size, 30);
      const pos = new Map(posArr.map((p, i) => [i, p]));
      const onCycle = new Set(decl ? decl.cycle : []);
      const cycleEdges = new Set();
      if (decl) decl.cycle.forEach((p, i) => cycleEdges.add(`${p}>${decl.cycle[(i + 1) % decl.cycle.length]}`));
      const nodeList = (extraCls) => states.map((s, i) => ({
        id: i, label: nodes[i]?.name || `P${i}`,
        cls: [s.blocked ? "blocked" : "", onCycle.has(i) ? "on-cycle" : "", decl && decl.victim === i ? "victim" : "", nodes[i]?.crashed ? "crashed" : "", extraCls || ""].join(" "),
        mark: decl && decl.victim === i ? "victim" : nodes[i]?.crashed ? "crashed" : "",
        title: `${nodes[i]?.name || `P${i}`}: ${nodes[i]?.text || ""}`,
      }));
      const truthKeys = new Set(truth.map((e) => `${e.from}>${e.to}`));
      const edgesOf = (list, extra = []) => {
        const seen = new Set();
        const out2 = [];
        for (const e of list) {
          const k = `${e.from}>${e.to}`;
          if (seen.has(k)) continue;
          seen.add(k);
          out2.push({ ...e, cls: [e.cls || "", cycleEdges.has(k) ? "cycle" : ""].join(" "), label: e.label ?? (e.res !== undefined ? `R${e.res}` : "") });
        }
        for (const e of extra) out2.push(e);
        return out2;
      };
      const probeEdges = probes.map((m) => ({ from: m.from, to: m.to, cls: "probe", label: m.text.replace(/^PROBE/, "").replace(/\s+/g, ""), title: m.text }));
      // The declared cycle's edges that are no longer in the graph, so the cycle always shows whole.
      const declEdges = decl ? decl.cycle.map((p, i) => ({ from: p, to: decl.cycle[(i + 1) % decl.cycle.length] })).filter((e) => !truthKeys.has(`${e.from}>${e.to}`)).map((e) => ({ ...e, cls: "cycle gone", label: "", title: "on the declared cycle; no longer in the graph" })) : [];

      const fig = (title, svg, testid, note) => h("figure", { "data-testid": testid }, svg, h("figcaption", {}, h("b", { text: title }), note ? h("span", { text: " — " + note }) : null));
      if (central) {
        const ctrl = d.node(n)?.state || {};
        const believed = (ctrl.edges || []).map((t) => EDGE_RE.exec(t)).filter(Boolean).map((m) => ({ from: Number(m[1]), to: Number(m[2]), res: m[3] !== undefined ? Number(m[3]) : undefined }));
        const bKeys = new Set(believed.map((e) => `${e.from}>${e.to}`));
        const ctrlEdges = believed.map((e) => ({ ...e, cls: truthKeys.has(`${e.from}>${e.to}`) ? "" : "stale", title: truthKeys.has(`${e.from}>${e.to}`) ? "" : "stale: in a report the controller holds, but no longer true" }));
        const missing = truth.filter((e) => !bKeys.has(`${e.from}>${e.to}`)).map((e) => ({ ...e, cls: "missing", label: "", title: "true now, not in the controller's reports yet" }));
        const stale = ctrlEdges.filter((e) => e.cls === "stale").length;
        const ages = Object.entries(ctrl.reports || {}).map(([site, r]) => `${site}#${r.seq}`).join(" ");
        graphs.append(
          fig(`Controller ${nodes[n]?.name || "C0"}'s view`, graphSVG({ w: size, h: size, nodes: nodeList(), pos, edges: edgesOf(ctrlEdges, missing), label: "The controller's wait-for graph", testid: "deadlock-controller-graph" }), "deadlock-controller",
            `${believed.length} edge${believed.length === 1 ? "" : "s"}${stale ? `, ${stale} stale` : ""}; reports ${ages || "none yet"}`),
          fig("True wait-for graph", graphSVG({ w: size, h: size, nodes: nodeList(), pos, edges: edgesOf(truth, [...declEdges, ...probeEdges]), label: "The true wait-for graph", testid: "deadlock-true-graph" }), "deadlock-truth",
            "from the sites' lock tables, now"));
        graphs.dataset.stale = String(stale);
      } else {
        graphs.append(fig("Wait-for graph", graphSVG({ w: size, h: size, nodes: nodeList(), pos, edges: edgesOf(truth, [...declEdges, ...probeEdges]), label: "The wait-for graph", testid: "deadlock-true-graph" }), "deadlock-truth",
          "from the sites' lock tables, now; PROBEs in flight in blue"));
      }

      // Declarations.
      clear(decls);
      if (!declarations.length) {
        decls.append(h("p", { class: "empty", "data-testid": "deadlock-none", text: "No deadlock declared so far." }));
      } else {
        const decideEvents = decideIndex(ctx);
        const rows = declarations.map((x, i) => {
          const ev = decideEvents.get(x.at_us);
          const tr = h("tr", {
            class: i === pick ? "pv-picked" : "", "data-testid": `deadlock-decl-${i}`,
            "data-cycle": x.cycle.join(","), "data-victim": String(x.victim), "data-real": String(x.real),
          },
            h("td", {}, ev !== undefined ? eventLink(ctx, ev, fmtTime(x.at_us)) : fmtTime(x.at_us)),
            h("td", { text: x.by }),
            h("td", { class: "mono", text: cycleText(x.cycle) }),
            h("td", {}, badge(`P${x.victim}`, "bad")),
            h("td", {}, x.real ? badge("real", "ok") : badge("phantom", "bad", { title: x.detail })),
            h("td", {}, x.resolved ? badge("resolved", "ok") : badge("standing", "warn")));
          tr.addEventListener("click", (e) => { if (e.target.closest("button")) return; chosen = i; api.refresh(); });
          return tr;
        });
        decls.append(table(["at", "by", "cycle", "victim", "", ""], rows, { class: "pv-table pv-clickable" }));
        if (decl) {
          decls.append(h("p", { class: decl.real ? "hint" : "pv-warn", "data-testid": "deadlock-verdict", "data-real": String(decl.real) },
            decl.real
              ? `${decl.by} declared ${cycleText(decl.cycle)} at ${fmtTime(decl.at_us)}: a real cycle of the wait-for graph then (${decl.wait_edges} edge${decl.wait_edges === 1 ? "" : "s"}); victim P${decl.victim}.`
              : `Phantom deadlock: ${decl.by} declared ${cycleText(decl.cycle)} at ${fmtTime(decl.at_us)}, but ${decl.detail.replace(/^not a cycle of the wait-for graph: /, "")} at that moment. P${decl.victim} was aborted for nothing.`));
        }
      }

      // Processes.
      clear(procs);
      procs.append(table(["process", "", "holds", "waits for", "jobs", "aborts"], states.map((s, i) => h("tr", { "data-testid": `deadlock-proc-${i}` },
        h("th", { scope: "row", text: nodes[i]?.name || `P${i}` }),
        h("td", {}, nodes[i]?.crashed ? badge("crashed", "bad") : s.blocked ? badge("blocked", "warn") : s.working ? badge("working", "ok") : badge(s.active ? "asking" : "idle", "muted")),
        h("td", { class: "mono", text: (s.holds || []).map((r) => `R${r}`).join(" ") || "—" }),
        h("td", { class: "mono", text: (s.waits_for || []).map((w) => `R${w.res}${w.holder >= 0 ? ` (P${w.holder})` : " (?)"}`).join(" ") || "—" }),
        h("td", { class: "num", text: String(s.jobs_done ?? 0) }),
        h("td", { class: "num", text: String(s.aborts ?? 0) })))));
    },
  };
});

function keyItem(label, cls) {
  const svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("width", "26");
  svg.setAttribute("height", "8");
  svg.setAttribute("class", "pv-graph-key");
  svg.setAttribute("aria-hidden", "true");
  const l = document.createElementNS(svgNS, "line");
  for (const [k, v] of [["x1", "1"], ["x2", "25"], ["y1", "4"], ["y2", "4"], ["class", "pv-edge " + cls]]) l.setAttribute(k, v);
  svg.append(l);
  return h("span", { class: "k" }, svg, label);
}

const decideMemo = new WeakMap(); // cache -> {length, map}

/** Decide events ("deadlock: …") in the page's cache, by time, to link declarations to the diagram. */
function decideIndex(ctx) {
  const c = ctx.runner.cache;
  if (!c) return new Map();
  let m = decideMemo.get(c);
  if (!m || m.length > c.length) m = { length: 0, map: new Map() };
  for (let i = m.length; i < c.length; i++) {
    const e = c.events[i];
    if (e.kind === "decide" && e.text.startsWith("deadlock:") && !m.map.has(e.t)) m.map.set(e.t, e.id);
  }
  m.length = c.length;
  decideMemo.set(c, m);
  return m.map;
}
