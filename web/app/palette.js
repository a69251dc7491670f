// Colours. Message types and phases take the colour their protocol's registry
// entry gives; anything without one gets the next colour of the Okabe–Ito
// palette, which stays distinguishable with the common colour-vision
// deficiencies. Line styles (dashes) double-code message types so that colour
// is never the only cue.

export const OKABE_ITO = {
  orange: "#E69F00",
  sky: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  purple: "#CC79A7",
  black: "#000000",
};

const CYCLE = [OKABE_ITO.blue, OKABE_ITO.orange, OKABE_ITO.green, OKABE_ITO.vermillion, OKABE_ITO.purple, OKABE_ITO.sky, OKABE_ITO.yellow];

/** Dash patterns, one per message type index (solid first). */
const DASHES = [[], [6, 3], [2, 3], [8, 3, 2, 3], [4, 4], [1, 2], [10, 4]];

/** Colours and dashes for one protocol, derived from its ProtocolInfo. */
export class Palette {
  constructor(info) {
    this.types = new Map();
    this.phases = new Map();
    let i = 0;
    for (const t of info?.message_types || []) {
      this.types.set(t.name, { color: t.color || CYCLE[i % CYCLE.length], dash: DASHES[i % DASHES.length], doc: t.doc || "" });
      i++;
    }
    this._nextType = i;
    let j = 0;
    for (const p of info?.phases || []) {
      this.phases.set(p.name, { color: p.color || CYCLE[(j + 3) % CYCLE.length], doc: p.doc || "" });
      j++;
    }
    this._nextPhase = j;
  }
  type(name) {
    let t = this.types.get(name);
    if (!t) {
      const i = this._nextType++;
      t = { color: CYCLE[i % CYCLE.length], dash: DASHES[i % DASHES.length], doc: "" };
      this.types.set(name, t);
    }
    return t;
  }
  phase(name) {
    let p = this.phases.get(name);
    if (!p) {
      const i = this._nextPhase++;
      p = { color: CYCLE[(i + 3) % CYCLE.length], doc: "" };
      this.phases.set(name, p);
    }
    return p;
  }
}

/** Reads the theme's CSS custom properties for canvas drawing. */
export function themeColors() {
  const cs = getComputedStyle(document.documentElement);
  const v = (n, d) => (cs.getPropertyValue(n).trim() || d);
  return {
    bg: v("--bg", "#fff"),
    panel: v("--panel", "#fff"),
    fg: v("--fg", "#1b1f24"),
    muted: v("--muted", "#5b6570"),
    faint: v("--faint", "#d6dbe0"),
    grid: v("--grid", "#eef1f4"),
    accent: v("--accent", OKABE_ITO.blue),
    ok: v("--ok", OKABE_ITO.green),
    bad: v("--bad", OKABE_ITO.vermillion),
    warn: v("--warn", OKABE_ITO.orange),
    past: v("--past", "rgba(0,114,178,0.16)"),
    future: v("--future", "rgba(230,159,0,0.18)"),
    selA: v("--sel-a", OKABE_ITO.blue),
    selB: v("--sel-b", OKABE_ITO.purple),
  };
}

/** Adds alpha to a #rrggbb colour. */
export function alpha(hex, a) {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex;
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${a})`;
}

/** A short line in a message type's colour and dash pattern (legends, chips). */
export function typeSwatch(t) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", "18");
  svg.setAttribute("height", "6");
  svg.setAttribute("aria-hidden", "true");
  const l = document.createElementNS(NS, "line");
  for (const [k, v] of [["x1", "0"], ["x2", "18"], ["y1", "3"], ["y2", "3"], ["stroke", t.color], ["stroke-width", "3"]]) l.setAttribute(k, v);
  if (t.dash.length) l.setAttribute("stroke-dasharray", t.dash.join(" "));
  svg.append(l);
  return svg;
}
