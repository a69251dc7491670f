// The app state that defines what the page shows, in one place: the scenario
// (what DistLab.create receives), the live actions the user injected (mirrored
// from sim.liveActions() so that they survive a restart when the user asks),
// and the node positions the user dragged. A later "share link" feature
// serialises exactly this object into the URL fragment; nothing else is needed
// to reproduce the page.

import { Emitter } from "./dom.js";

export class AppState extends Emitter {
  constructor() {
    super();
    /** @type {object|null} the scenario of the current run (normalised by the engine) */
    this.scenario = null;
    /** @type {object[]} live actions of the current run, as sim.liveActions() gives them */
    this.live = [];
    /** @type {Record<string, [number, number]>} dragged node positions, normalised to 0..1 */
    this.positions = {};
  }

  /** Everything needed to rebuild the page, as plain JSON-able data. */
  serialize() {
    return {
      v: 1,
      scenario: this.scenario,
      live: this.live,
      positions: this.positions,
    };
  }

  /** The inverse of serialize (validation happens when the scenario is created). */
  static parse(obj) {
    if (!obj || typeof obj !== "object" || obj.v !== 1) throw new Error("not a distlab page state (expected {v: 1, scenario, ...})");
    const st = new AppState();
    st.scenario = obj.scenario ?? null;
    st.live = Array.isArray(obj.live) ? obj.live : [];
    st.positions = obj.positions && typeof obj.positions === "object" ? obj.positions : {};
    return st;
  }
}

/** Deep copy for plain JSON data. */
export function clone(x) {
  return x === undefined ? undefined : JSON.parse(JSON.stringify(x));
}

/** The verb of an action ("crash", "partition", ...). */
export function actionVerb(a) {
  for (const k of ["crash", "recover", "byzantine", "partition", "heal", "cut", "hold", "release", "drop", "delay", "input"]) {
    if (k in a) return k;
  }
  return "?";
}

/** Whether an action only makes sense in the run it was injected in (it names a message by id). */
export function isRunSpecific(a) {
  const f = a.drop || a.delay;
  return !!(f && typeof f === "object" && f.id !== undefined);
}

/**
 * Turns live actions into scheduled faults of a new scenario: each keeps its
 * virtual time (`at`) and loses its engine step, which only means something in
 * the run it was recorded in. Returns {kept, dropped}.
 */
export function liveToScheduled(live) {
  const kept = [], dropped = [];
  for (const a of live) {
    if (isRunSpecific(a)) { dropped.push(a); continue; }
    const f = clone(a);
    delete f.step;
    if (f.at === undefined) f.at = "0s";
    kept.push(f);
  }
  return { kept, dropped };
}

/** A short human description of an action, for lists and dialogs. */
export function describeAction(a) {
  const v = actionVerb(a);
  const at = a.at ? ` at ${a.at}` : "";
  const P = (i) => `P${i}`;
  switch (v) {
    case "crash": return `crash ${P(a.crash)}${at}`;
    case "recover": return `recover ${P(a.recover)}${at}`;
    case "byzantine": return `${P(a.byzantine)} turns traitor (${a.strategy})${at}`;
    case "partition": return `partition ${a.partition.map((g) => "{" + g.join(", ") + "}").join(" | ")}${at}`;
    case "heal": return `heal the network${at}`;
    case "cut": case "hold": return `${v} channel ${P(a[v][0])}→${P(a[v][1])}${at}`;
    case "release": return a.release === true ? `release every held channel${at}` : `release channel ${P(a.release[0])}→${P(a.release[1])}${at}`;
    case "drop": case "delay": {
      const f = a[v] || {};
      const parts = [];
      if (f.id !== undefined) parts.push(`message #${f.id}`);
      if (f.type) parts.push(f.type);
      if (f.from !== undefined) parts.push(`from ${P(f.from)}`);
      if (f.to !== undefined) parts.push(`to ${P(f.to)}`);
      return `${v} ${parts.join(" ")}${v === "delay" ? ` by ${f.by}` : ""}${at}`;
    }
    case "input": return `input to ${P(a.input)}${a.data ? ": " + a.data : ""}${at}`;
  }
  return JSON.stringify(a);
}

/**
 * Renumbers node ids in a list of faults after node `removed` is deleted.
 * Faults that name the removed node are returned in `lost`.
 */
export function renumberFaults(faults, removed) {
  const map = (i) => (i > removed ? i - 1 : i);
  const out = [], lost = [];
  for (const f0 of faults) {
    const f = clone(f0);
    const v = actionVerb(f);
    let touches = false;
    const chk = (i) => { if (i === removed) touches = true; return map(i); };
    switch (v) {
      case "crash": case "recover": case "byzantine": case "input": f[v] = chk(f[v]); break;
      case "cut": case "hold": f[v] = f[v].map(chk); break;
      case "release": if (Array.isArray(f[v])) f[v] = f[v].map(chk); break;
      case "partition": f[v] = f[v].map((g) => g.filter((i) => i !== removed).map(map)); if (f[v].filter((g) => g.length).length < 2) touches = true; break;
      case "drop": case "delay": {
        const fl = f[v];
        if (fl.from !== undefined) fl.from = chk(fl.from);
        if (fl.to !== undefined) fl.to = chk(fl.to);
        break;
      }
    }
    (touches ? lost : out).push(touches ? f0 : f);
  }
  return { faults: out, lost };
}
