// The page: wires the runner, the shared selection and the views together,
// and is the one place where runs are created. Every way of changing the
// scenario (a setting, the topology editor, a new seed, a pasted scenario)
// ends in applyScenario, which asks what to do with the user's live actions
// before it throws a run away, and leaves the previous run untouched when the
// new scenario is refused.

import { Runner } from "./runner.js";
import { Selection } from "./selection.js";
import { AppState, clone, liveToScheduled, describeAction, renumberFaults } from "./state.js";
import { Notifier, ask } from "./notify.js";
import { ConfigPanel } from "./config.js";
import { TopologyView } from "./topology.js";
import { SpaceTime } from "./spacetime.js";
import { Inspector } from "./inspector.js";
import { ChecksPanel } from "./checks.js";
import { Controls, Theme } from "./controls.js";
import { ProtocolViewPanel } from "./protoview.js";
import { h, errorMessage, parseDur } from "./dom.js";

export class App {
  constructor() {
    this.state = new AppState();
    this.runner = new Runner();
    this.selection = new Selection();
    this.notify = new Notifier(document.getElementById("toasts"), document.getElementById("announce"));
    this.protocols = [];
    this.workspace = document.getElementById("workspace");
    this.confirmDialog = document.getElementById("confirm");
    this.busy = false;
    /** An embedded, locked scenario (web/embed.js): playback only, no change to the run. */
    this.locked = false;
  }

  /** Tells the user that a locked (embedded) scenario cannot be changed. */
  refuseLocked() {
    this.notify.info("This embedded scenario is locked: open it in distlab to change it.");
  }

  /** Called once the engine is ready. */
  start(api) {
    this.api = api;
    this.protocols = api.protocols();
    this.config = new ConfigPanel(document.getElementById("config"), this);
    this.topology = new TopologyView(document.getElementById("topo-body"), document.getElementById("topo-tools"), this);
    this.diagram = new SpaceTime(document.getElementById("diagram"), this);
    this.inspector = new Inspector(document.getElementById("inspector"), this);
    this.checks = new ChecksPanel(document.getElementById("checks"), this);
    this.protoView = new ProtocolViewPanel(document.getElementById("protocol-view"), this);
    this.controls = new Controls(this);
    this.theme = new Theme(() => { this.topology.themeChanged(); this.diagram.themeChanged(); });

    const r = this.runner;
    r.on("error", (msg) => this.notify.error(msg));
    r.on("info", (msg) => this.notify.info(msg));
    r.on("ended", () => this.notify.announce("The run has ended."));
    r.on("change", (reason) => {
      if (reason === "seek" || reason === "inject") {
        const n = r.cache.length;
        this.selection.trim(n);
        this.diagram.trimmed(n);
        this.topology.invalidateChannels();
      }
      if (reason === "inject" || reason === "seek") this.state.live = r.liveActions();
    });
    r.on("frame", (ts) => {
      this.controls.frame();
      this.topology.frame();
      this.diagram.frame();
      this.inspector.frame(ts);
      this.checks.frame(ts);
      this.protoView.frame();
    });

    // Escape closes the open dialog even where the browser would not (no
    // user activation yet), and even when the focus is not inside it (the
    // dialog's content was rebuilt under the focus, or the page lost it):
    // one listener for the whole document, dialogs added later included.
    document.addEventListener("keydown", (e) => {
      if (e.key !== "Escape" || e.defaultPrevented) return;
      const open = [...document.querySelectorAll("dialog[open]")];
      const d = open[open.length - 1];
      if (!d) return;
      e.preventDefault();
      d.close();
    }, true);
    document.getElementById("sidebar-toggle").addEventListener("click", () => this.toggleSidebar());
    if (matchMedia("(max-width: 760px)").matches) this.toggleSidebar(false);

    const first = this.protocols[0];
    if (!first) throw new Error("the registry lists no protocols");
    return this.applyScenario(clone(first.default), { reason: "start" });
  }

  // ---- runs ----

  /**
   * Creates a run from `sc` and installs it. Returns true on success; on
   * failure shows the error and leaves the current run as it was.
   * opts.replaceLive: the scenario already says everything (no question about live actions).
   * opts.forbidKeep: live actions cannot be carried over (another protocol).
   */
  async applyScenario(sc, opts = {}) {
    if (this.locked) { this.refuseLocked(); return false; }
    if (this.busy) return false;
    this.busy = true;
    try {
      return await this._apply(sc, opts);
    } finally {
      this.busy = false;
    }
  }

  async _apply(sc, opts) {
    const live = this.runner.sim && !opts.replaceLive ? this.runner.liveActions() : [];
    let next = clone(sc);
    if (live.length) {
      const { kept, dropped } = liveToScheduled(live);
      const list = h("ul", { class: "list" }, live.slice(0, 8).map((a) => h("li", { text: describeAction(a) })), live.length > 8 ? h("li", { text: `… and ${live.length - 8} more` }) : null);
      const body = [
        `This restarts the run from the seed. You injected ${live.length} live action${live.length > 1 ? "s" : ""} in the current run:`,
        list,
      ];
      const choices = [];
      if (!opts.forbidKeep && kept.length) {
        body.push(`Keep them as scheduled faults at the same virtual times${dropped.length ? ` (${dropped.length} that name a message by id cannot be kept: ids differ in a new run)` : ""}, or discard them.`);
        choices.push({ label: "Keep as scheduled faults", value: "keep", primary: true });
      } else {
        body.push(opts.forbidKeep ? "They belong to another protocol's run and will be discarded." : "They name messages of this run only and will be discarded.");
      }
      choices.push({ label: "Discard them", value: "discard", danger: true }, { label: "Cancel", value: "cancel" });
      const choice = await ask(this.confirmDialog, "Restart the run?", body, choices);
      if (choice === null || choice === "cancel") return false;
      if (choice === "keep") {
        next.faults = [...(next.faults || []), ...kept];
        if (dropped.length) this.notify.info(`${dropped.length} message-specific action${dropped.length > 1 ? "s were" : " was"} discarded.`);
      }
    }
    let sim;
    try {
      sim = this.api.create(next);
    } catch (e) {
      this.notify.error(errorMessage(e), "The scenario was not accepted — the previous run is unchanged");
      return false;
    }
    try {
      this.install(sim, opts);
    } catch (e) {
      this.notify.error(errorMessage(e), "Could not show the new run");
      return false;
    }
    return true;
  }

  install(sim, opts = {}) {
    const prevProto = this.runner.info?.name;
    const prevN = this.nodeCountOf(this.state.scenario);
    this.runner.setSim(sim);
    this.state.scenario = this.runner.guard("scenario", () => sim.scenario()) || this.state.scenario;
    this.state.live = this.runner.liveActions();
    const n = this.nodeCount();
    if (prevProto !== this.runner.info.name || (!opts.keepPositions && n !== prevN)) this.state.positions = {};
    this.runner.setUntil(parseDur(this.state.scenario.until ?? "10s"));
    document.getElementById("brand-proto").textContent = this.runner.info.title;
    document.title = `${this.runner.info.title} — distlab`;
    if (this.selection.node >= this.runner.nproc) this.selection.setNode(-1);
    this.topology.reset();
    this.diagram.reset();
    this.inspector.reset();
    this.checks.reset();
    this.protoView.reset();
    this.config.render();
    const lat = String(this.state.scenario.network?.latency ?? "1ms..10ms").split("..");
    this.controls.suggestSpeed(parseDur(lat[lat.length - 1]));
    document.getElementById("loading").hidden = true;
  }

  nodeCountOf(sc) {
    if (!sc) return -1;
    if (typeof sc.nodes === "number") return sc.nodes;
    return -1;
  }

  /** The scenario's node count (processes 0..n-1; protocols may add more, such as clients). */
  nodeCount() {
    const n = this.nodeCountOf(this.state.scenario);
    return n >= 0 ? n : this.runner.nproc;
  }

  shape() {
    const t = this.state.scenario?.topology;
    if (typeof t === "string") return t;
    if (t && t.edges) return "edges";
    return t?.shape || "complete";
  }

  switchProtocol(name, select) {
    const p = this.protocols.find((q) => q.name === name);
    if (!p) return;
    this.applyScenario(clone(p.default), { reason: "protocol", forbidKeep: true }).then((ok) => {
      if (!ok && select) select.value = this.runner.info.name;
    });
  }

  newSeed() {
    const next = clone(this.state.scenario);
    next.seed = Math.floor(Math.random() * 2 ** 31);
    return this.applyScenario(next, { reason: "seed", keepPositions: true });
  }

  /** Restart from the seed: keep the live actions (replay them) or discard them. */
  async resetRun() {
    const r = this.runner;
    if (!r.sim) return;
    const live = r.liveActions();
    if (!live.length) {
      r.rewind();
      this.selection.clearAll();
      return;
    }
    const choice = await ask(this.confirmDialog, "Reset the run?", [
      `Restart from the seed. The ${live.length} live action${live.length > 1 ? "s" : ""} you injected can replay at the same steps, or be discarded.`,
    ], [
      { label: "Replay them", value: "keep", primary: true },
      { label: "Discard them", value: "discard", danger: true },
      { label: "Cancel", value: "cancel" },
    ]);
    if (choice === "keep") { r.rewind(); this.selection.clearAll(); }
    else if (choice === "discard") this.applyScenario(clone(this.state.scenario), { replaceLive: true, keepPositions: true });
  }

  /** Moves the live actions into the scenario's scheduled faults (and restarts). */
  liveToScheduled() {
    const { kept, dropped } = liveToScheduled(this.runner.liveActions());
    const next = clone(this.state.scenario);
    next.faults = [...(next.faults || []), ...kept];
    this.applyScenario(next, { replaceLive: true, keepPositions: true }).then((ok) => {
      if (ok && dropped.length) this.notify.info(`${dropped.length} message-specific action${dropped.length > 1 ? "s were" : " was"} discarded (message ids differ in a new run).`);
    });
  }

  /** Injects a live action; returns whether the engine took it. */
  inject(action) {
    const r = this.runner;
    if (!r.sim) return false;
    if (this.locked) { this.refuseLocked(); return false; }
    const ok = r.inject(action);
    if (ok) {
      this.state.live = r.liveActions();
      this.config.render();
      this.notify.announce(describeAction(action));
    }
    return ok;
  }

  /**
   * Edits the topology as an explicit edge list. `mutate(edges, directed)`
   * changes the list in place; opts.addNode / opts.removeNode change the node
   * count (renumbering the nodes above a removed one).
   */
  editTopology(mutate, opts = {}) {
    const sc = clone(this.state.scenario);
    const n = this.nodeCount();
    let edges, directed = false;
    const t = sc.topology;
    if (t && typeof t === "object" && Array.isArray(t.edges)) {
      edges = clone(t.edges);
      directed = !!t.directed;
    } else {
      // Derive the edge list from the run's channels among the scenario's nodes.
      const chans = this.runner.guard("channels", () => this.runner.sim.channels()) || [];
      const set = new Set(chans.filter((c) => c.from < n && c.to < n).map((c) => c.from * 65536 + c.to));
      directed = [...set].some((k) => !set.has((k % 65536) * 65536 + Math.floor(k / 65536)));
      edges = [];
      for (const k of [...set].sort((a, b) => a - b)) {
        const a = Math.floor(k / 65536), b = k % 65536;
        if (directed || a < b) edges.push([a, b]);
      }
    }
    mutate(edges, directed);
    const next = sc;
    next.topology = directed ? { edges, directed: true } : { edges };
    if (opts.addNode) next.nodes = n + 1;
    if (opts.removeNode !== undefined) {
      const i = opts.removeNode;
      next.nodes = n - 1;
      const { faults, lost } = renumberFaults(next.faults || [], i);
      if (faults.length) next.faults = faults; else delete next.faults;
      if (lost.length) this.notify.info(`${lost.length} scheduled fault${lost.length > 1 ? "s" : ""} naming P${i} removed.`);
      const pos = {};
      for (const [k, v] of Object.entries(this.state.positions)) {
        const id = Number(k);
        if (id < i) pos[id] = v; else if (id > i) pos[id - 1] = v;
      }
      this.state.positions = pos;
    }
    return this.applyScenario(next, { reason: "topology", keepPositions: true });
  }

  // ---- navigation ----
  revealEvent(id) {
    if (id < 0) return;
    if (id >= this.runner.cache.length) this.runner.cache.pull(this.runner.sim, 200);
    this.diagram.reveal(id, true);
    this.diagram.canvas.focus({ preventScroll: true });
    this.diagram.canvas.scrollIntoView({ block: "nearest" });
  }

  revealFirstViolation() {
    const invs = this.runner.guard("invariants", () => this.runner.sim.invariants()) || [];
    const bad = invs.find((i) => !i.ok && !i.pending && i.event >= 0);
    if (bad) this.revealEvent(bad.event);
    else this.notify.info("Every invariant holds so far.");
  }

  focusInspector() {
    const el = document.getElementById("inspector");
    el.scrollIntoView({ block: "nearest" });
    (el.querySelector("button") || el).focus?.({ preventScroll: true });
  }

  toggleSidebar(show) {
    const hidden = show === undefined ? !this.workspace.classList.contains("no-config") : !show;
    this.workspace.classList.toggle("no-config", hidden);
    document.getElementById("sidebar-toggle").setAttribute("aria-expanded", String(!hidden));
  }
}
