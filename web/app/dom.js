// Small DOM helpers. Everything the page shows that comes from a protocol,
// a scenario or the user goes through textContent or attributes, never
// through HTML strings (see notes/HELPERS.md).

const SVG_NS = "http://www.w3.org/2000/svg";

/** Sets attributes/properties on an element. Keys starting with "on" add listeners. */
function apply(el, attrs) {
  if (!attrs) return el;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") el.textContent = String(v);
    else if (k === "class") el.setAttribute("class", v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value" || k === "checked" || k === "selected" || k === "disabled" && el instanceof HTMLElement) el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** h("button", {class: "x", onclick}, "label", child...) */
export function h(tag, attrs, ...children) {
  return append(apply(document.createElement(tag), attrs), children);
}

/** s("circle", {cx: 1}) builds an SVG element. */
export function s(tag, attrs, ...children) {
  return append(apply(document.createElementNS(SVG_NS, tag), attrs), children);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function $(sel, root = document) {
  return root.querySelector(sel);
}

export function $$(sel, root = document) {
  return Array.from(root.querySelectorAll(sel));
}

/** Formats virtual microseconds for people: 0, 850µs, 12.5ms, 1.25s. */
export function fmtTime(us) {
  if (us === undefined || us === null || us < 0 || !isFinite(us)) return "–";
  if (us === 0) return "0";
  if (us < 1000) return `${trim(us)}µs`;
  if (us < 1e6) return `${trim(us / 1000)}ms`;
  return `${trim(us / 1e6)}s`;
}

function trim(x) {
  const r = x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
  return r.includes(".") ? r.replace(/0+$/, "").replace(/\.$/, "") : r;
}

/** Parses a duration the way scenarios write them ("1.5ms", "2s", "300us") into µs; NaN if not one. */
export function parseDur(str) {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ns|us|µs|ms|s|m|h)?\s*$/.exec(String(str));
  if (!m) return NaN;
  const v = parseFloat(m[1]);
  const unit = m[2] || "ms";
  const mul = { ns: 1e-3, us: 1, "µs": 1, ms: 1e3, s: 1e6, m: 6e7, h: 3.6e9 }[unit];
  return v * mul;
}

/** µs to a scenario duration string ("2ms", "1.5s", "250us"). */
export function durString(us) {
  if (!isFinite(us) || us <= 0) return "0s";
  if (us % 1e6 === 0) return `${us / 1e6}s`;
  if (us % 1000 === 0) return `${us / 1000}ms`;
  if (us >= 1000) return `${+(us / 1000).toFixed(3)}ms`;
  return `${+us.toFixed(3)}us`;
}

/** Runs fn at most once per animation frame. */
export function rafThrottle(fn) {
  let pending = false;
  return (...args) => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      fn(...args);
    });
  };
}

/** A tiny event emitter. */
export class Emitter {
  constructor() { this._h = new Map(); }
  on(name, fn) {
    if (!this._h.has(name)) this._h.set(name, new Set());
    this._h.get(name).add(fn);
    return () => this._h.get(name).delete(fn);
  }
  emit(name, ...args) {
    const set = this._h.get(name);
    if (!set) return;
    for (const fn of [...set]) fn(...args);
  }
}

export function clamp(x, lo, hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Turns an unknown thrown value into a readable message. */
export function errorMessage(e) {
  if (e instanceof Error) return e.message || String(e);
  if (typeof e === "string") return e;
  try { return JSON.stringify(e); } catch { return String(e); }
}
