// Chandy–Lamport snapshots (protocols/snapshot): for the chosen snapshot,
// the recorded local state of every process and the recorded state of every
// channel (the transfers caught in transit), the conservation check
// (recorded balances + in transit against the money in the bank, green or
// red), the consistency of the cut judged from the trace, and the cut itself
// drawn on the space-time diagram (through the page's selection, so the
// diagram also checks it with sim.checkCut and marks it consistent or not).
//
// Data: the protocol's output {money, directed_channels, snapshots: [{id,
// initiators, complete, balances, in_transit, total, conserved, consistent,
// cut, processes: [{node, name, recorded, balance, at_us}], channels: [{from,
// to, closed, transfers, sum}]}]} (sim.output()), and the trace's "record"
// phase events in the page's event cache, which give each process's
// recording point as an event.

import { h, clear, defineView, badge, table, section, outputOf, eventLink } from "./common.js";
import { fmtTime } from "../app/dom.js";

export const snapshotView = defineView((ctx) => {
  let root, picker, verdicts, procs, chans, cutBtn, cutNote, api;
  let chosen = 0; // snapshot id the user picked (0: follow the latest)
  let shownCut = null; // the prefix array this view put in the selection
  let autoShown = new Set(); // snapshot ids whose cut was drawn automatically once
  let sim = null;
  let lastSnaps = [];

  const sel = ctx.selection;
  const offCut = sel.on("cut", () => {
    if (shownCut && sel.cut !== shownCut) { shownCut = null; syncCutButton(); }
  });

  function syncCutButton() {
    if (!cutBtn) return;
    cutBtn.setAttribute("aria-pressed", String(!!shownCut));
    cutBtn.textContent = shownCut ? "Hide the cut on the diagram" : "Show the cut on the diagram";
  }

  /** Per process, how many of its events are inside snapshot s's cut (null if not every process recorded). */
  function cutPrefix(snap) {
    const c = ctx.runner.cache;
    if (!c || !snap.processes.every((p) => p.recorded)) return null;
    const n = ctx.runner.nproc;
    const prefix = new Array(n).fill(0);
    const initiators = new Set(snap.initiators || []);
    const tag = `s${snap.id}:`;
    for (const p of snap.processes) {
      const ph = c.phases[p.node] || [];
      let rec = null;
      for (const id of ph) {
        const e = c.events[id];
        if (e.phase === "record" && e.t === p.at_us && e.text.startsWith(tag)) { rec = e; break; }
      }
      if (!rec) return null; // not in the cache yet
      // The recorded state holds the process's events up to its own clock at
      // the recording point; for a non-initiator that point is just before
      // the MARKER's receive (the MARKER is not part of the state).
      const own = initiators.has(p.node) ? rec.own : rec.own - 1;
      const list = c.byNode[p.node];
      let k = 0;
      while (k < list.length && c.events[list[k]].own <= own) k++;
      prefix[p.node] = k;
    }
    return prefix;
  }

  function showCut(snap) {
    const prefix = snap && cutPrefix(snap);
    if (!prefix) return false;
    shownCut = prefix;
    sel.setCut(prefix);
    syncCutButton();
    return true;
  }

  function hideCut() {
    if (shownCut && sel.cut === shownCut) { shownCut = null; sel.setCut(null); }
    shownCut = null;
    syncCutButton();
  }

  return {
    mount(el, a) {
      root = el;
      api = a;
      picker = h("div", { class: "snap-pick", role: "group", "aria-label": "Snapshot", "data-testid": "snapshot-picker" });
      verdicts = h("div", { class: "pv-verdicts snap-verdict", "data-testid": "snapshot-verdicts" });
      cutBtn = h("button", { type: "button", class: "btn small", "data-testid": "snapshot-cut-toggle", "aria-pressed": "false" });
      cutBtn.addEventListener("click", () => {
        if (shownCut) { hideCut(); return; }
        const snap = current(lastSnaps);
        if (!showCut(snap)) ctx.app?.notify?.info("This snapshot's cut is not complete yet: not every process has recorded.");
      });
      syncCutButton();
      cutNote = h("span", { class: "hint" });
      procs = h("div", { "data-testid": "snapshot-processes" });
      chans = h("div", { "data-testid": "snapshot-channels" });
      root.append(picker, verdicts, h("div", { class: "row-actions" }, cutBtn, cutNote),
        section("Recorded local states", procs),
        section("Recorded channel states", chans));
    },
    render(d) {
      if (sim !== d.sim) { sim = d.sim; autoShown = new Set(); shownCut = null; syncCutButton(); }
      const out = outputOf(ctx);
      if (out === undefined) return; // playing, and the output costs too much right now
      const snaps = (out && out.snapshots) || [];
      lastSnaps = snaps;
      // Picker.
      clear(picker);
      if (!snaps.length) {
        picker.append(h("span", { class: "empty", text: "No snapshot has started yet." }));
        clear(verdicts); clear(procs); clear(chans);
        if (shownCut) hideCut();
        cutBtn.disabled = true;
        return;
      }
      cutBtn.disabled = false;
      const snap = current(snaps);
      for (const s of snaps) {
        const b = h("button", {
          type: "button", class: "btn small", "aria-pressed": String(s.id === snap.id), "data-testid": `snapshot-pick-${s.id}`,
          title: `started at ${fmtTime(s.started_us)} by ${(s.initiators || []).map((i) => nameOfProc(s, i)).join(", ")}`,
          text: `s${s.id}${s.complete ? (s.conserved ? " ✓" : " ✗") : " …"}`,
        });
        b.addEventListener("click", () => { chosen = s.id; hideCut(); showCut(s); api.refresh(); });
        picker.append(b);
      }

      // Verdicts.
      clear(verdicts);
      verdicts.dataset.snapshot = String(snap.id);
      const money = out.money;
      const cons = snap.complete ? (snap.conserved ? "ok" : "bad") : "pending";
      verdicts.append(h("div", { class: "snap-money", "data-testid": "snapshot-conservation", "data-state": cons },
        badge(cons === "ok" ? "✓ money conserved" : cons === "bad" ? "✗ money not conserved" : "… snapshot in progress", cons === "ok" ? "ok" : cons === "bad" ? "bad" : "muted"),
        " ", h("span", { text: `recorded $${snap.total} = $${snap.balances} in balances + $${snap.in_transit} in transit; the bank holds $${money}` })));
      const allRec = snap.processes.every((p) => p.recorded);
      verdicts.append(h("div", { "data-testid": "snapshot-consistency", "data-state": allRec ? (snap.consistent ? "ok" : "bad") : "pending" },
        badge(allRec ? (snap.consistent ? "✓ consistent cut" : "✗ inconsistent cut") : "… cut not complete", allRec ? (snap.consistent ? "ok" : "bad") : "muted"),
        " ", h("span", { class: "hint", text: allRec && !snap.consistent ? snap.cut : allRec ? "every message received inside the cut was sent inside it" : "" })));

      // Processes.
      clear(procs);
      const inits = new Set(snap.initiators || []);
      const rows = snap.processes.map((p) => h("tr", { "data-testid": `snapshot-proc-${p.node}`, "data-balance": p.recorded ? String(p.balance) : "" },
        h("th", { scope: "row", text: p.name }),
        h("td", { class: "num", text: p.recorded ? `$${p.balance}` : "—" }),
        h("td", {}, p.recorded ? recordLink(p) : badge("not yet", "muted")),
        h("td", {}, inits.has(p.node) ? badge("initiator", "info") : null)));
      procs.append(table(["process", "balance", "recorded at", ""], rows));

      // Channels.
      clear(chans);
      const crow = snap.channels.map((c) => {
        const name = `${nameOfProc(snap, c.from)}→${nameOfProc(snap, c.to)}`;
        const rec = snap.processes.find((p) => p.node === c.to)?.recorded;
        const state = !rec ? "not recording yet" : c.closed ? "closed" : "recording";
        return h("tr", { "data-testid": `snapshot-chan-${c.from}-${c.to}`, "data-transfers": c.transfers.join(","), "data-closed": String(c.closed), class: c.transfers.length ? "" : "snap-channel-empty" },
          h("th", { scope: "row", text: name }),
          h("td", { class: "snap-msgs", text: c.transfers.length ? "{" + c.transfers.map((a) => `$${a}`).join(", ") + "}" : "∅" }),
          h("td", { class: "num", text: `$${c.sum}` }),
          h("td", {}, badge(state, c.closed ? "ok" : rec ? "warn" : "muted")));
      });
      chans.append(table(["channel", "in transit", "sum", ""], crow));
      const inTransit = snap.channels.filter((c) => c.transfers.length).length;
      chans.append(h("p", { class: "hint", text: `${inTransit} of ${snap.channels.length} channels had transfers in transit; the rest recorded ∅.` }));

      // The cut: drawn once automatically when every process has recorded;
      // kept in step when the run moves (it disappears after a seek back).
      const synced = ctx.runner.cache && ctx.runner.cache.length === d.sim.eventCount();
      if (allRec && synced && !autoShown.has(snap.id) && !sel.cutMode && (!sel.cut || sel.cut === shownCut)) {
        if (showCut(snap)) autoShown.add(snap.id);
      } else if (allRec && !synced && !autoShown.has(snap.id)) {
        setTimeout(() => api.refresh(), 120); // the page's event cache is still catching up
      }
      if (shownCut && !allRec) hideCut();
      cutNote.textContent = allRec ? "" : "the cut appears once every process has recorded";
    },
    unmount() {
      offCut();
      if (shownCut && sel.cut === shownCut) sel.setCut(null);
    },
  };

  function current(snaps) {
    return snaps.find((s) => s.id === chosen) || snaps[snaps.length - 1];
  }

  function recordLink(p) {
    // The "record" phase event in the cache, to jump to it.
    const c = ctx.runner.cache;
    const ph = c?.phases[p.node] || [];
    for (const id of ph) {
      const e = c.events[id];
      if (e.phase === "record" && e.t === p.at_us) return eventLink(ctx, e.id, fmtTime(p.at_us));
    }
    return h("span", { text: fmtTime(p.at_us) });
  }
});

function nameOfProc(snap, id) {
  return snap.processes.find((p) => p.node === id)?.name || `P${id}`;
}
