// Exports and imports, all inside the page (Blob + object URL + <a
// download>; no request leaves it):
//
//   - the space-time diagram as SVG or PNG, drawn afresh from the page's
//     event cache at sizes that read on a slide (a white-background "slide"
//     style, or the current theme): one line per process with its name,
//     every event, every message as an arrow in its type's colour and dash
//     pattern, dropped messages ending in ×, messages in flight dashed, the
//     selected cut, a legend of message types, and the clocks when the
//     diagram shows them;
//   - the trace (JSON Lines, as `distlab run --trace`), the ShiViz log, and
//     the scenario (with the live actions folded in, as sim.exportScenario);
//   - "Load scenario": a file or pasted JSON, validated by DistLab.validate,
//     which throws the same messages as the command line.

import { h, s, clear, errorMessage, fmtTime } from "./app/dom.js";
import { themeColors } from "./app/palette.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const MODEL = new Set(["local", "send", "receive"]);

// Slide style: white paper, dark ink, Okabe–Ito for meaning.
const SLIDE = {
  bg: "#ffffff", fg: "#1b1f24", muted: "#5b6570", faint: "#c9d0d6", grid: "#eef1f4",
  ok: "#009E73", bad: "#D55E00", warn: "#E69F00", accent: "#0072B2",
};

/** A file name for this run: protocol-seed-what.ext */
export function fileName(app, what, ext) {
  const sc = app.state?.scenario || {};
  const proto = String(app.runner?.info?.name || sc.protocol || "distlab").replace(/[^a-z0-9-]/gi, "");
  const seed = sc.seed !== undefined ? `-seed${String(sc.seed).replace(/[^0-9]/g, "")}` : "";
  return `${proto}${seed}-${what}.${ext}`;
}

/** Downloads text or a Blob as a file, without any request. */
export function download(name, data, type = "text/plain;charset=utf-8") {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return { name, size: blob.size };
}

/**
 * Builds the diagram as an <svg> element (not attached).
 * opts: {style: "slide" | "theme", window: "view" | "all", width, clocks}
 */
export function diagramSVG(app, opts = {}) {
  const r = app.runner;
  const c = r.cache;
  const sim = r.sim;
  if (!sim || !c) throw new Error("there is no run to export");
  if (c.length < sim.eventCount()) c.pull(sim, 2000, 20000);
  const style = opts.style === "theme" ? "theme" : "slide";
  const col = style === "slide" ? SLIDE : (() => { const t = themeColors(); return { bg: t.panel, fg: t.fg, muted: t.muted, faint: t.faint, grid: t.grid, ok: t.ok, bad: t.bad, warn: t.warn, accent: t.accent }; })();
  const pal = r.palette;
  const n = r.nproc;
  const names = (r.guard("nodes", () => sim.nodes()) || []).map((x) => x.name);
  const d = app.diagram;
  const end = Math.max(sim.now(), c.lastTime, 1);
  let t0 = 0, t1 = end * 1.03;
  if (opts.window !== "all" && d && d.follow !== "fit") { t0 = Math.max(0, d.t0); t1 = Math.max(d.t1, t0 + 1); }
  const clocks = opts.clocks ?? (d?.clocks || "off");

  // Sizes chosen to read on a projected slide.
  const W = opts.width || 1600;
  const font = 20, small = 16;
  const gutter = Math.max(90, 14 + font * 0.62 * Math.max(2, ...names.map((x) => x.length)));
  const right = 40, top = 84;
  const rowH = n <= 8 ? 90 : n <= 16 ? 60 : n <= 40 ? 34 : 18;
  const types = [...new Set([...(r.info?.message_types || []).map((t) => t.name), ...c.sentByType.keys()])].filter((t) => (c.sentByType.get(t) || 0) > 0);
  const legendRows = Math.ceil(types.length / 4);
  const H = top + n * rowH + 30 + (types.length ? 24 + legendRows * 30 : 0);
  const plotW = W - gutter - right;
  const tx = (t) => gutter + ((t - t0) / (t1 - t0)) * plotW;
  const ry = (p) => top + (p + 0.5) * rowH;
  const nudge = (e) => Math.min(e.nudge || 0, 6) * 6;
  const ex = (e) => tx(e.t) + nudge(e);
  const R = rowH >= 34 ? 6 : 3.5;

  const svg = s("svg", { xmlns: SVG_NS, width: String(W), height: String(H), viewBox: `0 0 ${W} ${H}`, "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif", "data-testid": "export-svg" });
  const title = `${r.info?.title || sim.scenario().protocol} — seed ${app.state?.scenario?.seed ?? ""}, ${fmtTime(t0)}–${fmtTime(Math.min(t1, end))}`;
  svg.append(s("title", { text: title }));
  svg.append(s("rect", { x: "0", y: "0", width: String(W), height: String(H), fill: col.bg }));
  svg.append(s("text", { x: "16", y: "32", "font-size": String(font + 2), "font-weight": "700", fill: col.fg, text: title }));

  // Markers: one arrowhead per message type colour.
  const defs = s("defs");
  const markerFor = new Map();
  const marker = (color) => {
    if (markerFor.has(color)) return markerFor.get(color);
    const id = `m${markerFor.size}`;
    defs.append(s("marker", { id, viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "9", markerHeight: "9", markerUnits: "userSpaceOnUse", orient: "auto" }, s("path", { d: "M0,0 L10,5 L0,10 z", fill: color })));
    markerFor.set(color, id);
    return id;
  };
  svg.append(defs);

  // Time axis.
  const gAxis = s("g", { class: "axis" });
  const span = t1 - t0;
  const target = span / Math.max(2, plotW / 160);
  const pow = Math.pow(10, Math.floor(Math.log10(Math.max(target, 1e-9))));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((v) => v >= target) || pow * 10;
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    const x = tx(t);
    gAxis.append(s("line", { x1: f(x), x2: f(x), y1: String(top - 10), y2: String(top + n * rowH), stroke: col.grid, "stroke-width": "1" }));
    gAxis.append(s("text", { x: f(x + 4), y: String(top - 16), "font-size": String(small), fill: col.muted, text: fmtTime(t) }));
  }
  svg.append(gAxis);

  // Process lines and names.
  const gProc = s("g", { class: "processes" });
  for (let p = 0; p < n; p++) {
    const y = ry(p);
    gProc.append(s("line", { class: "process", "data-process": String(p), x1: f(gutter - 6), x2: f(W - right + 10), y1: f(y), y2: f(y), stroke: col.muted, "stroke-width": "2" }));
    gProc.append(s("text", { class: "process-name", "data-process": String(p), x: f(gutter - 16), y: f(y), "text-anchor": "end", "dominant-baseline": "central", "font-size": String(font), "font-weight": "700", fill: col.fg, text: names[p] || `P${p}` }));
    // Crash spans.
    let crashAt = null;
    for (const id of c.byNode[p]) {
      const e = c.events[id];
      if (e.kind === "crash") crashAt = ex(e);
      else if (e.kind === "recover" && crashAt !== null) { gProc.append(crashLine(crashAt, ex(e), y, col)); crashAt = null; }
    }
    if (crashAt !== null) gProc.append(crashLine(crashAt, tx(Math.min(end, t1)), y, col));
  }
  svg.append(gProc);

  const inWin = (t) => t >= t0 - 1 && t <= t1 + 1;
  // Messages.
  const gMsg = s("g", { class: "messages" });
  let drawn = 0;
  for (const m of c.msgList) {
    const se = c.events[m.send];
    const ee = m.end >= 0 ? c.events[m.end] : null;
    if (!ee || !(inWin(se.t) || inWin(ee.t) || (se.t < t0 && ee.t > t1))) continue;
    const t = pal.type(m.type);
    const line = s("line", {
      class: "message", "data-type": m.type, x1: f(ex(se)), y1: f(ry(m.from)), x2: f(ex(ee)), y2: f(ry(ee.node >= 0 ? ee.node : m.to)),
      stroke: t.color, "stroke-width": "2.5",
    });
    if (t.dash.length) line.setAttribute("stroke-dasharray", t.dash.map((x) => x * 1.6).join(" "));
    if (m.endKind !== "drop") line.setAttribute("marker-end", `url(#${marker(t.color)})`);
    line.append(s("title", { text: `${m.type} #${m.id}: ${names[m.from] || m.from} → ${names[m.to] || m.to}${m.endKind === "drop" ? " (dropped)" : ""}` }));
    gMsg.append(line);
    if (m.endKind === "drop") gMsg.append(cross(ex(ee), ry(ee.node >= 0 ? ee.node : m.to), 8, col.bad));
    drawn++;
  }
  // In flight: dashed from the send to the current time.
  const inflight = r.guard("", () => sim.inFlight()) || [];
  const now = sim.now();
  for (const m of inflight) {
    const rec = c.msgs.get(m.id);
    const se = rec && rec.send >= 0 ? c.events[rec.send] : null;
    const x1 = se ? ex(se) : tx(m.sent);
    const fr = m.due > m.sent ? Math.min(1, Math.max(0, (now - m.sent) / (m.due - m.sent))) : 1;
    const x2 = x1 + (tx(m.due) - x1) * fr, y1 = ry(m.from), y2 = y1 + (ry(m.to) - y1) * fr;
    const t = pal.type(m.type);
    gMsg.append(s("line", { class: "message in-flight", "data-type": m.type, x1: f(x1), y1: f(y1), x2: f(x2), y2: f(y2), stroke: t.color, "stroke-width": "2.5", "stroke-dasharray": "4 5" }),
      s("circle", { cx: f(x2), cy: f(y2), r: "5", fill: t.color }));
  }
  svg.append(gMsg);

  // Events.
  const gEv = s("g", { class: "events" });
  let labels = 0;
  for (let p = 0; p < n; p++) {
    const y = ry(p);
    for (const id of c.byNode[p]) {
      const e = c.events[id];
      if (!inWin(e.t)) continue;
      const x = ex(e);
      const g = glyph(e, x, y, R, pal, col);
      if (g) gEv.append(g);
      if (clocks !== "off" && MODEL.has(e.kind) && labels < 3000 && rowH >= 34) {
        let txt = "";
        if (clocks === "lamport") txt = String(e.lamport);
        else {
          const full = r.guard("", () => sim.event(e.id));
          if (full && full.vc) txt = full.vc.length <= 8 ? `[${full.vc.join(",")}]` : `[…${full.own}…]`;
        }
        if (txt) { gEv.append(s("text", { x: f(x), y: f(y - R - 8), "text-anchor": "middle", "font-size": String(small - 2), fill: col.fg, "font-family": "ui-monospace, Menlo, Consolas, monospace", text: txt })); labels++; }
      }
    }
  }
  svg.append(gEv);

  // The selected cut.
  const cut = app.selection?.cut;
  if (cut && cut.length === n) {
    const verdict = r.guard("", () => sim.checkCut(cut));
    const color = verdict ? (verdict.consistent ? col.ok : col.bad) : col.accent;
    let dpath = "";
    for (let p = 0; p < n; p++) {
      const list = c.byNode[p];
      const k = cut[p];
      const left = k > 0 ? ex(c.events[list[k - 1]]) : gutter - 4;
      const rightX = k < list.length ? ex(c.events[list[k]]) : left + 24;
      const x = k >= list.length ? left + 10 : k === 0 ? Math.max(gutter + 2, rightX - 12) : (left + rightX) / 2;
      dpath += `${p ? "L" : "M"}${f(x)},${f(ry(p) - rowH / 2)} L${f(x)},${f(ry(p) + rowH / 2)} `;
    }
    svg.append(s("path", { class: "cut", d: dpath.trim(), fill: "none", stroke: color, "stroke-width": "4", "data-consistent": verdict ? String(verdict.consistent) : "" }));
    if (verdict) svg.append(s("text", { x: String(W - right), y: "32", "text-anchor": "end", "font-size": String(small), "font-weight": "700", fill: color, text: verdict.consistent ? "✓ consistent cut" : "✗ inconsistent cut" }));
  }

  // Legend.
  if (types.length) {
    const gL = s("g", { class: "legend" });
    const y0 = top + n * rowH + 40;
    types.forEach((name, i) => {
      const t = pal.type(name);
      const x = 16 + (i % 4) * Math.floor((W - 32) / 4), y = y0 + Math.floor(i / 4) * 30;
      const l = s("line", { x1: f(x), x2: f(x + 44), y1: f(y), y2: f(y), stroke: t.color, "stroke-width": "4" });
      if (t.dash.length) l.setAttribute("stroke-dasharray", t.dash.map((v) => v * 1.6).join(" "));
      gL.append(l, s("text", { x: f(x + 54), y: f(y), "dominant-baseline": "central", "font-size": String(small), fill: col.fg, text: `${name} (${c.sentByType.get(name) || 0})` }));
    });
    svg.append(gL);
  }
  svg.dataset.messages = String(drawn);
  return svg;
}

function f(x) { return (Math.round(x * 10) / 10).toString(); }

function crashLine(x0, x1, y, col) {
  return s("line", { class: "crashed", x1: f(x0), x2: f(x1), y1: f(y), y2: f(y), stroke: col.bad, "stroke-width": "3", "stroke-dasharray": "5 6" });
}

function cross(x, y, r, color) {
  return s("path", { d: `M${f(x - r)},${f(y - r)} L${f(x + r)},${f(y + r)} M${f(x + r)},${f(y - r)} L${f(x - r)},${f(y + r)}`, stroke: color, "stroke-width": "3", fill: "none" });
}

function glyph(e, x, y, R, pal, col) {
  switch (e.kind) {
    case "send":
    case "receive":
      return s("circle", { class: "event " + e.kind, cx: f(x), cy: f(y), r: f(R), fill: e.msg ? pal.type(e.msg.type).color : col.fg, stroke: e.kind === "receive" ? col.bg : "none", "stroke-width": "1.5" });
    case "local":
      return s("circle", { class: "event local", cx: f(x), cy: f(y), r: f(R), fill: col.fg });
    case "decide":
      return s("path", { class: "event decide", d: `M${f(x)},${f(y - R * 1.6)} L${f(x + R * 1.6)},${f(y)} L${f(x)},${f(y + R * 1.6)} L${f(x - R * 1.6)},${f(y)} z`, fill: col.ok });
    case "crash":
    case "drop":
      return cross(x, y, R, col.bad);
    case "recover":
      return s("circle", { class: "event recover", cx: f(x), cy: f(y), r: f(R * 1.2), fill: "none", stroke: col.ok, "stroke-width": "2.5" });
    case "fault":
      return s("path", { class: "event fault", d: `M${f(x)},${f(y - R * 1.7)} L${f(x + R * 1.5)},${f(y + R)} L${f(x - R * 1.5)},${f(y + R)} z`, fill: col.bad });
    case "phase":
      return s("line", { class: "event phase", x1: f(x), x2: f(x), y1: f(y - R * 2), y2: f(y + R * 2), stroke: pal.phase(e.phase || "").color, "stroke-width": "3" });
    case "start":
      return s("rect", { class: "event start", x: f(x - R * 0.8), y: f(y - R * 0.8), width: f(R * 1.6), height: f(R * 1.6), fill: "none", stroke: col.muted, "stroke-width": "1.5" });
  }
  return null; // timers and notes: not drawn on a slide
}

/** The diagram as SVG text. */
export function diagramSVGText(app, opts) {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(diagramSVG(app, opts));
}

/** The diagram as a PNG Blob (scale 2 by default, for sharp slides). */
export async function diagramPNG(app, opts = {}) {
  const svg = diagramSVG(app, opts);
  const W = Number(svg.getAttribute("width")), H = Number(svg.getAttribute("height"));
  const text = new XMLSerializer().serializeToString(svg);
  // A data: URL, not a blob: URL: an image from it never taints the canvas,
  // also on a page opened from disk.
  const url = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
  const img = new Image();
  img.decoding = "sync";
  img.src = url;
  await img.decode();
  const scale = opts.scale || 2;
  const cv = document.createElement("canvas");
  cv.width = Math.round(W * scale);
  cv.height = Math.round(H * scale);
  const ctx = cv.getContext("2d");
  ctx.scale(scale, scale);
  ctx.drawImage(img, 0, 0, W, H);
  return await new Promise((resolve, reject) => cv.toBlob((b) => (b ? resolve(b) : reject(new Error("the browser could not encode the PNG"))), "image/png"));
}

// ---- the export menu and the load dialog ----

/** Runs one export by name; returns {name, size} of the file. */
export async function exportAs(app, what, opts = {}) {
  const r = app.runner;
  const sim = r.sim;
  if (!sim) throw new Error("there is no run to export");
  switch (what) {
    case "svg":
      return download(fileName(app, "diagram", "svg"), diagramSVGText(app, opts), "image/svg+xml;charset=utf-8");
    case "png":
      return download(fileName(app, "diagram", "png"), await diagramPNG(app, opts));
    case "trace":
      return download(fileName(app, "trace", "jsonl"), sim.exportTrace(), "application/x-ndjson;charset=utf-8");
    case "shiviz":
      return download(fileName(app, "shiviz", "log"), sim.exportShiViz());
    case "scenario":
      return download(fileName(app, "scenario", "json"), sim.exportScenario() + "\n", "application/json;charset=utf-8");
  }
  throw new Error(`unknown export ${what}`);
}

/**
 * Validates a scenario given as text exactly as the command line does
 * (DistLab.validate throws the same messages); returns the parsed object.
 */
export function checkScenarioText(api, text) {
  const t = String(text || "").trim();
  if (!t) throw new Error("scenario: empty: paste a scenario (JSON) or choose a file");
  api.validate(t); // throws "scenario: …" with a path and a suggestion
  return JSON.parse(t);
}

/** Opens the "Load scenario" dialog (file or pasted JSON). */
export function openLoadDialog(app, dialog, initialText = "") {
  clear(dialog);
  dialog.classList.add("load-dialog");
  const ta = h("textarea", { "data-testid": "load-text", rows: "12", spellcheck: "false", "aria-label": "Scenario JSON", placeholder: '{"protocol": "snapshot", "nodes": 4, ...}' });
  ta.value = initialText;
  const file = h("input", { type: "file", accept: ".json,application/json,text/plain", "data-testid": "load-file", "aria-label": "Scenario file" });
  const err = h("div", { class: "load-error", role: "alert", "data-testid": "load-error", hidden: true });
  const showErr = (m) => { err.textContent = m; err.hidden = !m; if (m) ta.setAttribute("aria-invalid", "true"); else ta.removeAttribute("aria-invalid"); };
  file.addEventListener("change", async () => {
    const f0 = file.files && file.files[0];
    if (!f0) return;
    if (f0.size > 5_000_000) { showErr(`scenario: ${f0.name} is ${f0.size} bytes; a scenario is a small JSON file`); return; }
    ta.value = await f0.text();
    check();
  });
  const check = () => {
    try { checkScenarioText(app.api, ta.value); showErr(""); return true; } catch (e) { showErr(errorMessage(e)); return false; }
  };
  const load = h("button", { type: "button", class: "btn primary", "data-testid": "load-run", text: "Run this scenario" });
  load.addEventListener("click", async () => {
    let sc;
    try { sc = checkScenarioText(app.api, ta.value); } catch (e) { showErr(errorMessage(e)); return; }
    const ok = await app.applyScenario(sc, { reason: "json", replaceLive: true });
    if (ok) dialog.close();
  });
  const validate = h("button", { type: "button", class: "btn", "data-testid": "load-validate", text: "Check" });
  validate.addEventListener("click", () => { if (check()) app.notify.info("The scenario is valid."); });
  const close = h("button", { type: "button", class: "btn", text: "Cancel" });
  close.addEventListener("click", () => dialog.close());
  dialog.append(
    h("h2", { id: "load-title", text: "Load a scenario" }),
    h("p", { text: "Choose a scenario file or paste its JSON. It is checked exactly as the command line checks it (distlab run FILE)." }),
    h("div", { class: "export-options" }, file), ta, err,
    h("div", { class: "actions" }, validate, close, load));
  dialog.setAttribute("aria-labelledby", "load-title");
  if (!dialog.open) dialog.showModal();
  ta.focus();
  if (initialText) check();
}

/** The "Export" menu: what can be saved, and "Load scenario…". */
export function exportMenuItems(app, loadDialog) {
  const run = (what, opts) => async () => {
    try {
      const f0 = await exportAs(app, what, opts);
      app.notify.announce?.(`Saved ${f0.name}`);
    } catch (e) {
      app.notify.error(errorMessage(e), "Export failed");
    }
  };
  return [
    { title: "Diagram" },
    { label: "SVG, for slides (white)", testid: "export-svg-slide", onSelect: run("svg", { style: "slide" }) },
    { label: "SVG, current theme", testid: "export-svg-theme", onSelect: run("svg", { style: "theme" }) },
    { label: "PNG, for slides (white)", testid: "export-png-slide", onSelect: run("png", { style: "slide" }) },
    { label: "PNG, current theme", testid: "export-png-theme", onSelect: run("png", { style: "theme" }) },
    "-",
    { title: "Run" },
    { label: "Trace (JSON Lines)", testid: "export-trace", onSelect: run("trace") },
    { label: "ShiViz log", testid: "export-shiviz", onSelect: run("shiviz") },
    { label: "Scenario file", testid: "export-scenario", onSelect: run("scenario") },
    "-",
    { label: "Load scenario…", testid: "load-scenario", onSelect: () => openLoadDialog(app, loadDialog) },
  ];
}

/**
 * Wires exports into the page: an "Export" button in the top bar (a menu,
 * built with the page's menu module), and dropping a .json file on the
 * page opens it in the load dialog.
 */
export function installExport(app, { openMenu, locked = false } = {}) {
  const dlg = document.getElementById("load-dialog") || document.body.appendChild(h("dialog", { id: "load-dialog", class: "dialog", "data-testid": "load-dialog" }));
  const btn = h("button", { type: "button", class: "icon-btn", id: "btn-export", "data-testid": "export-button", "aria-haspopup": "menu", title: "Export the diagram, the trace or the scenario; load a scenario", "aria-label": "Export or load" },
    s("svg", { viewBox: "0 0 20 20", "aria-hidden": "true" }, s("path", { d: "M10 3v9M6 8.5l4 4 4-4M4 14.5V17h12v-2.5" })));
  btn.addEventListener("click", () => {
    const b = btn.getBoundingClientRect();
    const items = exportMenuItems(app, dlg).filter((it) => !(locked && it && it.testid === "load-scenario"));
    openMenu(b.left, b.bottom + 4, items, { label: "Export", testid: "export-menu", returnFocus: btn });
  });
  const bar = document.querySelector(".top-actions");
  if (bar) bar.insertBefore(btn, bar.querySelector("#theme-toggle") || null);
  if (!locked) {
    document.addEventListener("dragover", (e) => { if (e.dataTransfer?.types?.includes("Files")) e.preventDefault(); });
    document.addEventListener("drop", async (e) => {
      const f0 = e.dataTransfer?.files?.[0];
      if (!f0) return;
      e.preventDefault();
      if (f0.size > 5_000_000) { app.notify.error(`${f0.name} is too large to be a scenario`); return; }
      openLoadDialog(app, dlg, await f0.text());
    });
  }
  return btn;
}
