// Share links: the whole page state in the URL fragment, so that a link
// reproduces exactly what its sender saw.
//
// Format (version 1):  #s1.<base64url(deflate-raw(JSON))>
// (or #j1.<base64url(JSON)> where the browser has no CompressionStream), the
// JSON being
//
//   {v: 1,
//    sc:   the scenario (as the engine normalised it: defaults written out),
//    live: the user's live actions, as sim.liveActions() gives them (each with
//          its virtual time `at` and engine `step`: faults injected, messages
//          dropped or delayed, traitors made — the branch the user took),
//    at:   {step, t, events}: where the run stood (engine steps, virtual µs,
//          trace events), so the recipient lands at the same instant,
//    ui:   {positions, node, a, b, cut, clocks, view: {t0, t1, follow}}: what
//          was selected and how the diagram was zoomed}
//
// Opening a link creates the scenario with the live actions as recorded
// actions (faults carrying their `step`, which the engine applies after that
// many steps, exactly as a replay of the live run does), seeks to `at`, and
// restores the selection. The trace is the sender's to the byte (same
// trace_sha256). A damaged or tampered fragment is refused with a readable
// message and the page keeps its default run; nothing in a fragment is
// trusted: it is size-limited, parsed as JSON, checked field by field, and
// the scenario goes through the engine's validation like any other.

import { h, s, clear, errorMessage, fmtTime } from "./app/dom.js";

export const FRAGMENT_VERSION = 1;
const MAX_FRAGMENT = 400_000; // characters
const MAX_JSON = 4_000_000; // bytes after decompression

/** An error in a share link, with a message meant for people. */
export class ShareError extends Error {
  constructor(message) {
    super(message);
    this.name = "ShareError";
  }
}

// ---- encoding ----

function toBase64url(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new ShareError("the link is damaged: its data has characters a share link never contains (was it cut or edited?)");
  if (s.length % 4 === 1) throw new ShareError("the link is damaged: its data has the wrong length (was it cut short?)");
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  let bin;
  try {
    bin = atob(b64);
  } catch {
    throw new ShareError("the link is damaged: its data is not valid base64url");
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function pipe(bytes, stream, limit) {
  const reader = new Blob([bytes]).stream().pipeThrough(stream).getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      reader.cancel().catch(() => {});
      throw new ShareError(`the link's data is larger than ${limit} bytes once unpacked: refused`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

const canCompress = typeof CompressionStream === "function" && typeof DecompressionStream === "function";

/** The fragment (without "#") for a state object. */
export async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify(state));
  if (canCompress) {
    const z = await pipe(json, new CompressionStream("deflate-raw"), Infinity);
    return `s${FRAGMENT_VERSION}.` + toBase64url(z);
  }
  return `j${FRAGMENT_VERSION}.` + toBase64url(json);
}

/** Whether a fragment (with or without "#") looks like a share link at all. */
export function isShareFragment(frag) {
  return /^#?[sj]\d+\./.test(frag || "");
}

/**
 * Decodes and checks a fragment; returns the state object or throws a
 * ShareError whose message says what is wrong.
 */
export async function decodeFragment(frag) {
  let f = String(frag || "");
  if (f.startsWith("#")) f = f.slice(1);
  const m = /^([sj])(\d+)\.(.*)$/s.exec(f);
  if (!m) throw new ShareError("this is not a distlab share link (it should start with #s1.)");
  if (Number(m[2]) !== FRAGMENT_VERSION) throw new ShareError(`the link is of version ${m[2]}; this page reads version ${FRAGMENT_VERSION}`);
  if (f.length > MAX_FRAGMENT) throw new ShareError(`the link is too long (${f.length} characters; at most ${MAX_FRAGMENT})`);
  let bytes = fromBase64url(m[3]);
  if (m[1] === "s") {
    if (!canCompress) throw new ShareError("this browser cannot unpack compressed links (no DecompressionStream)");
    try {
      bytes = await pipe(bytes, new DecompressionStream("deflate-raw"), MAX_JSON);
    } catch (e) {
      if (e instanceof ShareError) throw e;
      throw new ShareError("the link is damaged: its data does not unpack (was it cut short or edited?)");
    }
  } else if (bytes.length > MAX_JSON) {
    throw new ShareError("the link's data is too large");
  }
  let text, obj;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    obj = JSON.parse(text);
  } catch {
    throw new ShareError("the link is damaged: its data is not valid JSON");
  }
  return checkState(obj);
}

const isObj = (x) => x !== null && typeof x === "object" && !Array.isArray(x);
const isCount = (x) => Number.isSafeInteger(x) && x >= 0;

/** Checks the shape of a decoded state; returns a clean copy with only known fields. */
export function checkState(o) {
  const bad = (what) => { throw new ShareError(`the link is damaged: ${what}`); };
  if (!isObj(o)) bad("expected an object");
  if (o.v !== FRAGMENT_VERSION) bad(`unknown state version ${JSON.stringify(o.v)}`);
  if (!isObj(o.sc)) bad("it has no scenario");
  if (typeof o.sc.protocol !== "string") bad("its scenario names no protocol");
  const out = { v: o.v, sc: o.sc, live: [], at: null, ui: {} };
  if (o.live !== undefined) {
    if (!Array.isArray(o.live) || o.live.length > 10000) bad("live actions: expected a list");
    o.live.forEach((a, i) => {
      if (!isObj(a)) bad(`live[${i}]: expected an action object`);
      if (a.step !== undefined && !isCount(a.step)) bad(`live[${i}].step: expected a whole number ≥ 0`);
    });
    out.live = o.live;
  }
  if (o.at !== undefined && o.at !== null) {
    if (!isObj(o.at)) bad("at: expected {step, t}");
    const { step, t, events } = o.at;
    if (!isCount(step)) bad("at.step: expected a whole number ≥ 0");
    if (t !== undefined && !(Number.isFinite(t) && t >= 0)) bad("at.t: expected a time ≥ 0");
    if (events !== undefined && !isCount(events)) bad("at.events: expected a whole number ≥ 0");
    out.at = { step, t: t ?? -1, events: events ?? -1 };
  }
  if (o.ui !== undefined) {
    if (!isObj(o.ui)) bad("ui: expected an object");
    const ui = o.ui;
    const u = {};
    if (isObj(ui.positions)) {
      u.positions = {};
      for (const [k, v] of Object.entries(ui.positions)) {
        if (/^\d{1,5}$/.test(k) && Array.isArray(v) && v.length === 2 && v.every((x) => Number.isFinite(x))) u.positions[k] = [Math.min(1, Math.max(0, v[0])), Math.min(1, Math.max(0, v[1]))];
      }
    }
    for (const k of ["node", "a", "b"]) if (Number.isSafeInteger(ui[k]) && ui[k] >= -1) u[k] = ui[k];
    if (Array.isArray(ui.cut) && ui.cut.length <= 100000 && ui.cut.every(isCount)) u.cut = ui.cut;
    if (["off", "lamport", "vector"].includes(ui.clocks)) u.clocks = ui.clocks;
    if (isObj(ui.view) && Number.isFinite(ui.view.t0) && Number.isFinite(ui.view.t1) && ui.view.t1 > ui.view.t0 && ["fit", "tail", "free"].includes(ui.view.follow)) {
      u.view = { t0: ui.view.t0, t1: ui.view.t1, follow: ui.view.follow };
    }
    out.ui = u;
  }
  return out;
}

// ---- the page's state ----

// sim.liveActions() lists the live actions applied so far: after a seek
// back, the ones recorded later are still queued in the engine (playing
// forward re-applies them) but no longer listed. The link must carry them,
// so the page remembers the longest list seen for each run: a seek back
// shortens the engine's list to a prefix of it; an injection after a seek
// back starts a new branch (the engine drops the queued ones), and the list
// stops being a prefix.
const liveMemo = new WeakMap(); // sim -> the live actions of its branch, queued ones included

function noteLive(runner) {
  const sim = runner.sim;
  if (!sim) return [];
  const cur = runner.guard("live actions", () => sim.liveActions()) || [];
  const known = liveMemo.get(sim) || [];
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const prefix = cur.length <= known.length && cur.every((a, i) => same(a, known[i]));
  const branch = prefix ? known : cur;
  liveMemo.set(sim, branch);
  return branch;
}

/** The live actions of the current branch, those still queued after a seek back included. */
export function branchLiveActions(app) {
  return noteLive(app.runner).slice();
}

/** The state to share: the scenario, the live actions, the position and the view. */
export function captureState(app, { position = true } = {}) {
  const r = app.runner;
  const sim = r.sim;
  if (!sim) throw new Error("there is no run to share yet");
  const st = {
    v: FRAGMENT_VERSION,
    sc: sim.scenario(),
    live: branchLiveActions(app),
  };
  if (position) st.at = { step: sim.steps(), t: sim.now(), events: sim.eventCount() };
  const ui = {};
  const pos = app.state?.positions;
  if (pos && Object.keys(pos).length) ui.positions = pos;
  const sel = app.selection;
  if (sel) {
    if (sel.node >= 0) ui.node = sel.node;
    if (position && sel.a >= 0) { ui.a = sel.a; if (sel.b >= 0) ui.b = sel.b; }
    if (position && sel.cut) ui.cut = sel.cut;
  }
  const d = app.diagram;
  if (d) {
    if (d.clocks && d.clocks !== "off") ui.clocks = d.clocks;
    if (position && d.follow !== "fit") ui.view = { t0: Math.round(d.t0), t1: Math.round(d.t1), follow: d.follow };
  }
  if (Object.keys(ui).length) st.ui = ui;
  return st;
}

/** The page's own address without fragment (and without embed parameters unless asked). */
export function pageURL(keepQuery = false) {
  const u = new URL(location.href);
  u.hash = "";
  if (!keepQuery) u.search = "";
  return u.href.replace(/#$/, "");
}

/** A link to this page that reproduces the current state. */
export async function shareLink(app, opts = {}) {
  const frag = await encodeState(captureState(app, opts));
  return { url: pageURL(opts.keepQuery) + "#" + frag, fragment: frag };
}

/**
 * Installs a decoded state in the page: creates the run (refused like any
 * scenario when invalid), seeks to the recorded position, restores the
 * selection. Throws an Error with a readable message; the current run is
 * untouched then.
 */
export function applyState(app, st) {
  const sc = JSON.parse(JSON.stringify(st.sc));
  if (st.live.length) sc.faults = [...(Array.isArray(sc.faults) ? sc.faults : []), ...st.live];
  let sim;
  try {
    sim = app.api.create(sc);
  } catch (e) {
    throw new ShareError(`the link's scenario was not accepted: ${errorMessage(e)}`);
  }
  let landed = true;
  try {
    if (st.at) {
      sim.seek({ step: st.at.step });
      if (st.at.t > sim.now()) sim.runUntil(st.at.t);
      if (st.at.events >= 0 && sim.eventCount() !== st.at.events) landed = false;
    }
  } catch (e) {
    try { sim.dispose(); } catch { /* gone */ }
    throw new ShareError(`the link's position could not be reached: ${errorMessage(e)}`);
  }
  const ui = st.ui || {};
  app.install(sim, { keepPositions: true });
  if (ui.positions) {
    app.state.positions = { ...ui.positions };
    app.topology?.reset?.();
  }
  const r = app.runner;
  r.horizon = Math.max(r.horizon || 0, sim.now());
  // The cache must hold the selected events before the selection points at them.
  const need = Math.max(ui.a ?? -1, ui.b ?? -1);
  if (need >= 0) r.cache.pull(sim, 1000);
  const n = sim.eventCount();
  const sel = app.selection;
  if (ui.clocks && app.diagram?.setClocks) app.diagram.setClocks(ui.clocks);
  if (Number.isSafeInteger(ui.node) && ui.node < r.nproc) sel.setNode(ui.node);
  if (ui.a >= 0 && ui.a < n && ui.a < r.cache.length) sel.setEvents(ui.a, ui.b >= 0 && ui.b < n && ui.b < r.cache.length ? ui.b : -1);
  if (ui.cut && ui.cut.length === r.nproc) {
    const per = sim.nodes().map((x) => sim.nodeEvents(x.id).length);
    if (ui.cut.every((k, i) => k <= per[i])) sel.setCut(ui.cut);
  }
  if (ui.view && app.diagram) {
    Object.assign(app.diagram, { t0: ui.view.t0, t1: ui.view.t1, follow: ui.view.follow, dirty: true });
  }
  r.version++;
  return { landed };
}

/** Reads location.hash; if it is a share link, installs it. Shows errors readably. */
export async function restoreFromFragment(app) {
  const frag = location.hash;
  if (!frag || frag === "#") return false;
  if (!isShareFragment(frag)) {
    showFragmentError(app, new ShareError("the part of the address after # is not a distlab share link (it should start with #s1.)"));
    return false;
  }
  try {
    const st = await decodeFragment(frag);
    const { landed } = applyState(app, st);
    lastApplied = frag;
    clearFragmentError();
    if (!landed) app.notify.info("The link's run was recreated, but the engine did not land on exactly the same event: the page may have a different engine version.");
    return true;
  } catch (e) {
    showFragmentError(app, e);
    return false;
  }
}

let lastApplied = "";
let errorEl = null;

function clearFragmentError() {
  errorEl?.remove();
  errorEl = null;
}

/** Shows why the page's address could not be opened, above the workspace (the page keeps its default run). */
export function showLinkError(app, e) {
  showFragmentError(app, e);
}

function showFragmentError(app, e) {
  clearFragmentError();
  const msg = errorMessage(e);
  const close = h("button", { type: "button", class: "btn small", "data-testid": "fragment-error-close", text: "Dismiss" });
  errorEl = h("div", { class: "fragment-error", role: "alert", "data-testid": "fragment-error" },
    h("div", { class: "grow" },
      h("b", { text: "This link could not be opened. " }),
      h("span", { "data-testid": "fragment-error-message", text: msg.charAt(0).toUpperCase() + msg.slice(1) + "." }),
      h("div", { class: "hint", text: "The page shows its default scenario instead." })),
    close);
  close.addEventListener("click", clearFragmentError);
  const anchor = document.querySelector(".status-line") || document.querySelector("main");
  if (anchor && anchor.parentNode) anchor.parentNode.insertBefore(errorEl, anchor);
  else document.body.prepend(errorEl);
}

// ---- the share dialog ----

/** Human size of a string in bytes. */
function size(s) {
  const n = new TextEncoder().encode(s).length;
  return n < 1024 ? `${n} bytes` : `${(n / 1024).toFixed(1)} KiB`;
}

/** Opens the "Share" dialog: the link (copied), and an embed snippet. */
export async function openShareDialog(app, dialog) {
  let link;
  try {
    link = await shareLink(app);
  } catch (e) {
    app.notify.error(errorMessage(e), "Could not make a link");
    return;
  }
  clear(dialog);
  dialog.classList.add("share-dialog");
  const input = h("input", { type: "text", readonly: true, value: link.url, "data-testid": "share-link", "aria-label": "Link to this run" });
  const info = h("p", { class: "share-size", "data-testid": "share-size" });
  const withPos = h("input", { type: "checkbox", id: "share-pos", checked: true, "data-testid": "share-position" });
  const r = app.runner;
  const live = branchLiveActions(app).length;
  const describe = () => {
    info.textContent = `${size(input.value)} · ${live} live action${live === 1 ? "" : "s"} · ${withPos.checked ? `opens at ${fmtTime(r.now())}, event ${r.sim.eventCount()}` : "opens at the start"}`;
  };
  const snippet = h("textarea", { readonly: true, rows: "4", "data-testid": "share-embed", "aria-label": "Embed snippet", spellcheck: "false" });
  const locked = h("input", { type: "checkbox", id: "share-locked", checked: true });
  const autoplay = h("input", { type: "checkbox", id: "share-autoplay" });
  const view = h("select", { "aria-label": "Starting view" },
    ["full", "diagram", "protocol", "topology"].map((v) => h("option", { value: v, text: v === "full" ? "all panels" : v })));
  const remake = async () => {
    try {
      link = await shareLink(app, { position: withPos.checked });
    } catch (e) {
      app.notify.error(errorMessage(e), "Could not make a link");
      return;
    }
    input.value = link.url;
    describe();
    const q = new URLSearchParams({ embed: "1" });
    if (locked.checked) q.set("locked", "1");
    if (autoplay.checked) q.set("autoplay", "1");
    if (view.value !== "full") q.set("view", view.value);
    const src = pageURL() + "?" + q.toString() + "#" + link.fragment;
    snippet.value = `<iframe src="${src.replace(/"/g, "%22")}" title="distlab: ${String(r.info?.title || "").replace(/[<>"&]/g, "")}" width="960" height="600" style="border:1px solid #ccc;border-radius:8px" loading="lazy"></iframe>`;
  };
  for (const x of [withPos, locked, autoplay, view]) x.addEventListener("change", remake);
  const copy = async (text, what) => {
    try {
      await navigator.clipboard.writeText(text);
      app.notify.info(`${what} copied.`);
    } catch {
      app.notify.info(`Select the ${what.toLowerCase()} and copy it (the browser refused clipboard access).`);
    }
  };
  const copyLink = h("button", { type: "button", class: "btn primary", "data-testid": "share-copy", text: "Copy link" });
  copyLink.addEventListener("click", () => {
    lastApplied = "#" + link.fragment;
    history.replaceState(null, "", lastApplied);
    copy(input.value, "Link");
  });
  const copySnippet = h("button", { type: "button", class: "btn small", "data-testid": "share-copy-embed", text: "Copy snippet" });
  copySnippet.addEventListener("click", () => copy(snippet.value, "Snippet"));
  const close = h("button", { type: "button", class: "btn", "data-testid": "share-close", text: "Close" });
  close.addEventListener("click", () => dialog.close());
  dialog.append(
    h("h2", { id: "share-title", text: "Share this run" }),
    h("p", { text: "The link holds the scenario, every action you injected (with the engine step it happened at) and where you are: whoever opens it sees exactly this run, to the same trace." }),
    input, info,
    h("label", { class: "export-options" }, withPos, " open at the current position (otherwise at the start)"),
    h("h3", { text: "Embed in a course page" }),
    h("div", { class: "export-options" },
      h("label", {}, locked, " locked (no edits)"), h("label", {}, autoplay, " autoplay"), h("label", {}, "start with ", view)),
    snippet,
    h("div", { class: "actions" }, copySnippet, copyLink, close));
  dialog.setAttribute("aria-labelledby", "share-title");
  await remake();
  dialog.showModal();
  input.focus();
  input.select();
}

/**
 * Wires share links into the page: a "Share" button in the top bar, and
 * fragments pasted into the address bar of an open page (hashchange).
 */
export function installShare(app, { button = true } = {}) {
  noteLive(app.runner);
  app.runner.on("change", (reason) => {
    if (reason === "inject" || reason === "seek" || reason === "reset") noteLive(app.runner);
  });
  if (button) {
    const dlg = document.getElementById("share-dialog") || document.body.appendChild(h("dialog", { id: "share-dialog", class: "dialog", "data-testid": "share-dialog" }));
    const btn = h("button", { type: "button", class: "icon-btn", id: "btn-share", "data-testid": "share-button", title: "Share: a link to exactly this run, or an embed snippet", "aria-label": "Share a link to this run" },
      s("svg", { viewBox: "0 0 20 20", "aria-hidden": "true" }, s("path", { d: "M8.5 11.5a3.5 3.5 0 0 0 5 0l2.5-2.5a3.5 3.5 0 0 0-5-5l-1 1M11.5 8.5a3.5 3.5 0 0 0-5 0L4 11a3.5 3.5 0 0 0 5 5l1-1" })));
    btn.addEventListener("click", () => openShareDialog(app, dlg));
    const bar = document.querySelector(".top-actions");
    if (bar) bar.insertBefore(btn, bar.querySelector("#theme-toggle") || null);
  }
  window.addEventListener("hashchange", () => {
    if (location.hash === lastApplied || !isShareFragment(location.hash)) return;
    restoreFromFragment(app);
  });
}
