// The settings panel: protocol picker (grouped by the seed's sections, with
// each protocol's explanation), run settings, the protocol's own parameters
// as typed inputs with the registry's bounds, network settings, scheduled
// faults, the live actions of this run, and the scenario as JSON.
//
// Every change builds a new scenario and hands it to app.applyScenario, which
// validates it and restarts the run from the seed; when that fails the input
// is marked invalid and the previous run stays as it was.

import { h, clear, parseDur, durString } from "./dom.js";
import { clone, describeAction } from "./state.js";
import { typeSwatch } from "./palette.js";

export const SHAPES = ["complete", "ring", "line", "star", "grid", "tree", "random"];

export class ConfigPanel {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.open = { protocol: true, run: true, params: true, network: false, faults: true, workload: false, json: false, summary: false };
  }

  /** Rebuilds the panel for the current run. */
  render() {
    const sc = this.app.state.scenario;
    const info = this.app.runner.info;
    if (!sc || !info) return;
    const keepScroll = this.root.scrollTop;
    // Remember which sections are open.
    for (const d of this.root.querySelectorAll("details[data-key]")) this.open[d.dataset.key] = d.open;
    clear(this.root);
    this.root.append(...[
      this.section("protocol", "Protocol", this.protocolBody(sc, info)),
      this.section("run", "Run", this.runBody(sc, info)),
      info.params.length ? this.section("params", "Parameters", this.paramsBody(sc, info), String(info.params.length)) : null,
      this.section("network", "Network", this.networkBody(sc)),
      this.section("faults", "Faults", this.faultsBody(sc, info), this.faultCount(sc)),
      this.section("workload", "Workload", this.workloadBody(sc, info)),
      this.section("json", "Scenario JSON", this.jsonBody()),
      this.section("summary", "Summary", this.summaryBody()),
    ].filter(Boolean));
    this.root.scrollTop = keepScroll;
  }

  faultCount(sc) {
    const n = (sc.faults || []).length + this.app.runner.liveCount();
    return n ? String(n) : "";
  }

  section(key, title, body, count) {
    const d = h("details", { "data-key": key, "data-testid": "section-" + key },
      h("summary", {}, title, count ? h("span", { class: "count", text: count }) : null),
      h("div", { class: "body" }, body));
    d.open = !!this.open[key];
    return d;
  }

  /** Applies a modified copy of the scenario; marks `input` invalid on failure. */
  async change(mutate, input, reason) {
    const next = clone(this.app.state.scenario);
    try {
      mutate(next);
    } catch (e) {
      this.invalid(input, e.message);
      return false;
    }
    const ok = await this.app.applyScenario(next, { reason });
    if (!ok) this.invalid(input);
    return ok;
  }

  invalid(input, msg) {
    if (!input) return;
    input.setAttribute("aria-invalid", "true");
    if (msg) this.app.notify.error(msg, "Invalid setting");
    input.addEventListener("input", () => input.removeAttribute("aria-invalid"), { once: true });
  }

  // ---- protocol ----
  protocolBody(sc, info) {
    const sel = h("select", { id: "protocol-select", "data-testid": "protocol-select", "aria-label": "Protocol" });
    const groups = new Map();
    for (const p of this.app.protocols) {
      const key = `${p.section}|${p.group}`;
      if (!groups.has(key)) {
        const label = p.section ? `${p.section}. ${p.group || ""}` : p.group || "Other";
        const og = h("optgroup", { label });
        groups.set(key, og);
        sel.append(og);
      }
      groups.get(key).append(h("option", { value: p.name, text: `${p.title} (${p.name})` }));
    }
    sel.value = info.name;
    sel.addEventListener("change", () => this.app.switchProtocol(sel.value, sel));

    const chips = (list, kind) =>
      list.length
        ? h("div", { class: "chips", "aria-label": kind },
            list.map((k) => h("span", { class: "chip", title: k.doc || k.name },
              kind === "Message types" ? this.typeSwatch(k.name) : kind === "Phases" ? h("span", { class: "swatch dot", style: { background: this.app.runner.palette.phase(k.name).color } }) : null,
              k.name)))
        : null;
    const range = info.max_nodes >= 4096 ? `${info.min_nodes}+` : `${info.min_nodes}–${info.max_nodes}`;
    return [
      h("div", { class: "proto-picker" }, h("label", { for: "protocol-select", class: "sr-only", text: "Protocol" }), sel),
      h("div", { class: "proto-title", "data-testid": "protocol-title", text: info.title }),
      h("div", { class: "meta" },
        h("span", {}, "Section ", h("b", { text: info.section || "–" })),
        h("span", {}, "Nodes ", h("b", { text: range })),
        info.connected ? h("span", { text: "needs a connected topology" }) : null),
      h("p", { class: "proto-summary", "data-testid": "protocol-summary", text: info.summary }),
      info.complexity ? h("div", { class: "complexity", "data-testid": "protocol-complexity" }, h("b", { text: "Book: " }), info.complexity) : null,
      info.message_types.length ? h("h3", { text: "Message types" }) : null,
      chips(info.message_types, "Message types"),
      info.phases.length ? h("h3", { text: "Phases" }) : null,
      chips(info.phases, "Phases"),
      info.strategies.length ? h("h3", { text: "Traitor strategies" }) : null,
      info.strategies.length ? h("ul", { class: "list" }, info.strategies.map((s) => h("li", {}, h("b", { text: s.name }), s.doc ? h("span", { class: "grow hint", text: " — " + s.doc }) : null))) : null,
    ];
  }

  typeSwatch(name) {
    return typeSwatch(this.app.runner.palette.type(name));
  }

  // ---- run ----
  runBody(sc, info) {
    const seed = h("input", { type: "number", id: "seed-input", "data-testid": "seed-input", min: "0", step: "1", value: String(sc.seed ?? 1) });
    seed.addEventListener("change", () => {
      const v = Number(seed.value);
      this.change((s) => {
        if (!Number.isInteger(v) || v < 0) throw new Error(`seed: ${seed.value} is not a whole number ≥ 0`);
        s.seed = v;
      }, seed, "seed");
    });
    const dice = h("button", { type: "button", class: "icon-btn", "data-testid": "seed-dice", "aria-label": "New random seed", title: "New random seed (N)", text: "⚄" });
    dice.addEventListener("click", () => this.app.newSeed());

    const nodes = h("input", { type: "number", id: "nodes-input", "data-testid": "nodes-input", min: String(info.min_nodes), max: String(info.max_nodes), step: "1", value: String(this.app.nodeCount()) });
    nodes.addEventListener("change", () => {
      const v = Number(nodes.value);
      this.change((s) => {
        if (!Number.isInteger(v)) throw new Error(`nodes: ${nodes.value} is not a whole number`);
        s.nodes = v;
        const t = s.topology;
        if (t && typeof t === "object" && t.edges) {
          // An edge list names node ids: keep the links among the nodes that remain.
          t.edges = t.edges.filter((e) => e[0] < v && e[1] < v);
        }
      }, nodes, "nodes");
    });

    const until = h("input", { type: "text", id: "until-input", "data-testid": "until-input", value: String(sc.until ?? "10s"), spellcheck: "false" });
    until.addEventListener("change", () => this.change((s) => {
      if (isNaN(parseDur(until.value))) throw new Error(`until: "${until.value}" is not a duration (e.g. 500ms, 2s)`);
      s.until = until.value.trim();
    }, until, "until"));

    const topo = sc.topology;
    const shape = typeof topo === "string" ? topo : topo?.edges ? "edges" : topo?.shape || "complete";
    const sel = h("select", { id: "topology-select", "data-testid": "topology-select" },
      SHAPES.map((s) => h("option", { value: s, text: s })),
      h("option", { value: "edges", text: "custom (edge list)", disabled: shape !== "edges" }));
    sel.value = shape;
    sel.addEventListener("change", () => this.change((s) => {
      s.topology = sel.value === "random" ? { shape: "random", degree: 3 } : sel.value;
    }, sel, "topology"));
    const fields = [
      this.field("Seed", h("div", { class: "pair" }, seed, dice), "seed-input"),
      this.field("Nodes", nodes, "nodes-input", `${info.min_nodes}–${info.max_nodes}`),
      this.field("Run until", until, "until-input", "virtual time, e.g. 500ms or 2s"),
      this.field("Topology", sel, "topology-select", shape === "edges" ? `${topo.edges.length} links${topo.directed ? " (directed)" : ""}; edit them in the topology view` : ""),
    ];
    if (shape === "random") {
      const deg = h("input", { type: "number", id: "degree-input", "data-testid": "degree-input", min: "1", step: "1", value: String(topo.degree ?? 3) });
      deg.addEventListener("change", () => this.change((s) => { s.topology = { shape: "random", degree: Number(deg.value) }; }, deg, "degree"));
      fields.push(this.field("Average degree", deg, "degree-input"));
    }
    return fields;
  }

  field(label, input, id, doc) {
    return h("div", { class: "field" },
      h("label", { for: id, text: label }),
      input,
      doc ? h("div", { class: "doc", text: doc }) : null);
  }

  // ---- params ----
  paramsBody(sc, info) {
    const params = sc.params || {};
    return info.params.map((p) => {
      const id = "param-" + p.name;
      const val = params[p.name] !== undefined ? params[p.name] : p.default;
      let input;
      const bounds = [p.min !== undefined ? `min ${p.min}` : "", p.max !== undefined ? `max ${p.max}` : ""].filter(Boolean).join(", ");
      const doc = [p.doc, bounds].filter(Boolean).join(" · ");
      const set = (v) => this.change((s) => { s.params = s.params || {}; s.params[p.name] = v; }, input, "param");
      switch (p.type) {
        case "bool":
          input = h("input", { type: "checkbox", id, "data-testid": id, checked: !!val });
          input.addEventListener("change", () => set(input.checked));
          break;
        case "enum":
          input = h("select", { id, "data-testid": id }, (p.enum || []).map((e) => h("option", { value: e, text: e })));
          input.value = val ?? "";
          input.addEventListener("change", () => set(input.value));
          break;
        case "int":
        case "float":
          input = h("input", { type: "number", id, "data-testid": id, step: p.type === "int" ? "1" : "any", min: p.min !== undefined ? String(p.min) : undefined, max: p.max !== undefined ? String(p.max) : undefined, value: val === undefined ? "" : String(val) });
          input.addEventListener("change", () => {
            const v = Number(input.value);
            if (input.value.trim() === "" || isNaN(v) || (p.type === "int" && !Number.isInteger(v))) {
              this.invalid(input, `params.${p.name}: "${input.value}" is not ${p.type === "int" ? "a whole number" : "a number"}`);
              return;
            }
            set(v);
          });
          break;
        case "json": {
          input = h("textarea", { id, "data-testid": id, rows: "4", spellcheck: "false", text: JSON.stringify(val ?? null, null, 1) });
          const apply = h("button", { type: "button", class: "btn small", text: "Apply", "data-testid": id + "-apply" });
          apply.addEventListener("click", () => {
            let v;
            try { v = JSON.parse(input.value); } catch (e) { this.invalid(input, `params.${p.name}: not valid JSON: ${e.message}`); return; }
            set(v);
          });
          return h("div", { class: "field wide" }, h("label", { for: id, text: p.name }), input, h("div", { class: "row-actions" }, apply), doc ? h("div", { class: "doc", text: doc }) : null);
        }
        default: // string, duration
          input = h("input", { type: "text", id, "data-testid": id, spellcheck: "false", value: val === undefined ? "" : String(val) });
          input.addEventListener("change", () => {
            if (p.type === "duration" && isNaN(parseDur(input.value))) {
              this.invalid(input, `params.${p.name}: "${input.value}" is not a duration (e.g. 20ms)`);
              return;
            }
            set(input.value.trim());
          });
      }
      return this.field(p.name, input, id, doc);
    });
  }

  // ---- network ----
  networkBody(sc) {
    const net = sc.network || {};
    const lat = String(net.latency ?? "1ms..10ms");
    const [lo, hi] = lat.includes("..") ? lat.split("..") : [lat, lat];
    const mk = (id, value, type = "text", extra = {}) => h("input", { type, id, "data-testid": id, value: String(value), spellcheck: "false", ...extra });
    const lmin = mk("latency-min", lo.trim());
    const lmax = mk("latency-max", hi.trim());
    const setLat = (input) => this.change((s) => {
      for (const x of [lmin, lmax]) if (isNaN(parseDur(x.value))) throw new Error(`network.latency: "${x.value}" is not a duration (e.g. 5ms)`);
      s.network = { ...(s.network || {}) };
      s.network.latency = lmin.value.trim() === lmax.value.trim() ? lmin.value.trim() : `${lmin.value.trim()}..${lmax.value.trim()}`;
    }, input, "network");
    lmin.addEventListener("change", () => setLat(lmin));
    lmax.addEventListener("change", () => setLat(lmax));
    const prob = (id, key) => {
      const i = mk(id, net[key] ?? 0, "number", { min: "0", max: "1", step: "0.01" });
      i.addEventListener("change", () => this.change((s) => {
        const v = Number(i.value);
        if (isNaN(v) || v < 0 || v > 1) throw new Error(`network.${key}: ${i.value} is not a probability between 0 and 1`);
        s.network = { ...(s.network || {}), [key]: v };
      }, i, "network"));
      return i;
    };
    const fifo = h("input", { type: "checkbox", id: "fifo-input", "data-testid": "fifo-input", checked: net.fifo !== false });
    fifo.addEventListener("change", () => this.change((s) => { s.network = { ...(s.network || {}), fifo: fifo.checked }; }, fifo, "network"));
    return [
      this.field("Latency min", lmin, "latency-min"),
      this.field("Latency max", lmax, "latency-max", "each message takes a random delay in this range"),
      this.field("Loss", prob("loss-input", "loss"), "loss-input", "probability a message is lost"),
      this.field("Duplicate", prob("dup-input", "duplicate"), "dup-input", "probability a message arrives twice"),
      this.field("FIFO channels", fifo, "fifo-input", "messages on a channel arrive in the order sent"),
    ];
  }

  // ---- faults ----
  faultsBody(sc, info) {
    const faults = sc.faults || [];
    const sched = faults.length
      ? h("ul", { class: "list", "data-testid": "scheduled-faults" }, faults.map((f, i) => {
          const rm = h("button", { type: "button", class: "icon-btn", "aria-label": `Remove scheduled fault: ${describeAction(f)}`, text: "×" });
          rm.addEventListener("click", () => this.change((s) => { s.faults.splice(i, 1); if (!s.faults.length) delete s.faults; }, rm, "faults"));
          return h("li", {}, h("span", { class: "grow", text: describeAction(f) }), rm);
        }))
      : h("p", { class: "empty", text: "No scheduled faults." });
    const live = this.app.runner.liveActions();
    const liveList = live.length
      ? h("ul", { class: "list", "data-testid": "live-actions" }, live.map((a) => h("li", {}, h("span", { class: "grow", text: describeAction(a) }))))
      : h("p", { class: "empty", text: "None yet: use a node's menu (right-click), click a message in flight, or the partition tool." });
    const keep = h("button", { type: "button", class: "btn small", "data-testid": "live-to-scheduled", text: "Keep as scheduled faults", disabled: !live.length });
    keep.addEventListener("click", () => this.app.liveToScheduled());
    return [
      h("h3", { text: "Scheduled (part of the scenario)" }),
      sched,
      this.addFaultForm(info),
      h("h3", { text: `Live actions in this run (${live.length})` }),
      liveList,
      live.length ? h("div", { class: "row-actions" }, keep) : null,
    ];
  }

  addFaultForm(info) {
    const verbs = ["crash", "recover", ...(info.strategies.length ? ["byzantine"] : []), "partition", "heal", "cut", "hold", "release", "drop", "delay"];
    const verb = h("select", { "data-testid": "fault-verb", "aria-label": "Fault" }, verbs.map((v) => h("option", { value: v, text: v })));
    const at = h("input", { type: "text", "data-testid": "fault-at", value: "10ms", "aria-label": "At (virtual time)", spellcheck: "false" });
    const args = h("div", { class: "fault-args" });
    const n = this.app.nodeCount();
    const nodeSel = (label, tid) => h("select", { "aria-label": label, "data-testid": tid }, Array.from({ length: n }, (_, i) => h("option", { value: String(i), text: `P${i}` })));
    let get = () => ({});
    const build = () => {
      clear(args);
      const v = verb.value;
      if (v === "crash" || v === "recover") {
        const s = nodeSel("Node", "fault-node"); args.append(this.field("Node", s, ""));
        get = () => ({ [v]: Number(s.value) });
      } else if (v === "byzantine") {
        const s = nodeSel("Node", "fault-node");
        const st = h("select", { "aria-label": "Strategy", "data-testid": "fault-strategy" }, info.strategies.map((x) => h("option", { value: x.name, text: x.name })));
        args.append(this.field("Node", s, ""), this.field("Strategy", st, ""));
        get = () => ({ byzantine: Number(s.value), strategy: st.value });
      } else if (v === "partition") {
        const t = h("input", { type: "text", "data-testid": "fault-groups", value: "0,1 | 2", "aria-label": "Groups", spellcheck: "false" });
        args.append(this.field("Groups", t, "", "node ids, groups separated by |"));
        get = () => ({ partition: t.value.split("|").map((g) => g.split(/[\s,]+/).filter(Boolean).map(Number)) });
      } else if (v === "cut" || v === "hold" || v === "release") {
        const a = nodeSel("From", "fault-from"), b = nodeSel("To", "fault-to");
        if (n > 1) b.value = "1";
        args.append(this.field("From", a, ""), this.field("To", b, ""));
        get = () => ({ [v]: [Number(a.value), Number(b.value)] });
      } else if (v === "drop" || v === "delay") {
        const ty = h("select", { "aria-label": "Message type", "data-testid": "fault-type" }, h("option", { value: "", text: "any type" }), info.message_types.map((x) => h("option", { value: x.name, text: x.name })));
        const cnt = h("input", { type: "number", min: "0", step: "1", value: "1", "aria-label": "How many", "data-testid": "fault-count" });
        const by = h("input", { type: "text", value: "20ms", "aria-label": "Delay by", "data-testid": "fault-by" });
        args.append(this.field("Type", ty, ""), this.field("How many", cnt, "", "0: every matching message"));
        if (v === "delay") args.append(this.field("Delay by", by, ""));
        get = () => {
          const f = { count: Number(cnt.value) };
          if (ty.value) f.type = ty.value;
          if (v === "delay") f.by = by.value.trim();
          return { [v]: f };
        };
      } else {
        get = () => ({ heal: true });
      }
    };
    verb.addEventListener("change", build);
    build();
    const add = h("button", { type: "button", class: "btn small", "data-testid": "fault-add", text: "Add scheduled fault" });
    add.addEventListener("click", () => this.change((s) => {
      if (isNaN(parseDur(at.value))) throw new Error(`faults: "${at.value}" is not a time (e.g. 50ms)`);
      s.faults = [...(s.faults || []), { at: at.value.trim(), ...get() }];
    }, at, "faults"));
    return h("div", { class: "add-fault" },
      h("h3", { text: "Schedule a fault" }),
      this.field("Fault", verb, ""), this.field("At", at, "", "virtual time"), args,
      h("div", { class: "row-actions" }, add));
  }

  // ---- workload ----
  workloadBody(sc, info) {
    const ta = h("textarea", { id: "workload-input", "data-testid": "workload-input", rows: "8", spellcheck: "false", "aria-label": "Workload (JSON)", text: sc.workload === undefined ? "" : JSON.stringify(sc.workload, null, 1) });
    const apply = h("button", { type: "button", class: "btn small", "data-testid": "workload-apply", text: "Apply workload" });
    apply.addEventListener("click", () => {
      let v;
      try { v = ta.value.trim() ? JSON.parse(ta.value) : undefined; } catch (e) { this.invalid(ta, `workload: not valid JSON: ${e.message}`); return; }
      this.change((s) => { if (v === undefined) delete s.workload; else s.workload = v; }, ta, "workload");
    });
    return [
      info.workload ? h("p", { class: "hint" }, "Format: ", h("code", { text: info.workload })) : h("p", { class: "hint", text: "This protocol reads no workload." }),
      ta, h("div", { class: "row-actions" }, apply),
    ];
  }

  // ---- scenario JSON ----
  jsonBody() {
    const ta = h("textarea", { id: "scenario-json", "data-testid": "scenario-json", rows: "12", spellcheck: "false", "aria-label": "Scenario JSON" });
    const fill = () => { ta.value = this.app.runner.guard("export", () => this.app.runner.sim.exportScenario()) ?? JSON.stringify(this.app.state.scenario, null, 2); };
    fill();
    const apply = h("button", { type: "button", class: "btn small primary", "data-testid": "scenario-apply", text: "Run this scenario" });
    apply.addEventListener("click", async () => {
      let v;
      try { v = JSON.parse(ta.value); } catch (e) { this.invalid(ta, `scenario: not valid JSON: ${e.message}`); return; }
      const ok = await this.app.applyScenario(v, { reason: "json", replaceLive: true });
      if (!ok) this.invalid(ta);
    });
    const reload = h("button", { type: "button", class: "btn small", text: "Reload from the run", "data-testid": "scenario-reload" });
    reload.addEventListener("click", fill);
    const copy = h("button", { type: "button", class: "btn small", text: "Copy", "data-testid": "scenario-copy" });
    copy.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(ta.value); this.app.notify.info("Scenario copied."); } catch { ta.select(); }
    });
    return [h("p", { class: "hint", text: "The run's scenario with your live actions folded in as faults. Edit and run it, or paste one." }), ta, h("div", { class: "row-actions" }, apply, reload, copy)];
  }

  // ---- summary ----
  summaryBody() {
    const pre = h("pre", { class: "mono", "data-testid": "summary-json", style: { whiteSpace: "pre-wrap", wordBreak: "break-all", fontSize: "11.5px", margin: "6px 0" } });
    const btn = h("button", { type: "button", class: "btn small", "data-testid": "summary-button", text: "Summarise the run so far" });
    btn.addEventListener("click", () => {
      const s = this.app.runner.guard("summary", () => this.app.runner.sim.summary());
      if (s) pre.textContent = JSON.stringify(s);
    });
    return [h("p", { class: "hint", text: "The same object as `distlab run --json` prints for this scenario." }), btn, pre];
  }
}
