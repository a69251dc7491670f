// PBFT (protocols/pbft): the grid of sequence numbers × replicas that the
// paper's proofs reason about. Each cell says how far that replica got with
// that sequence number — pre-prepared, prepared (with its PREPARE count
// against 2f), committed (COMMITs against 2f+1), executed — and which digest
// it holds, so a replica that accepted a different request stands out. Around
// the grid: the current view and its primary, replicas changing view (with
// the VIEW-CHANGE messages they hold per view), stable checkpoints, the
// traitors and their strategies, and what each client has accepted.
//
// Data: each replica's node state {view, primary, view_changing,
// stable_checkpoint, last_executed, log: [{n, view, digest, request,
// pre_prepared, prepared, committed, executed, prepares, commits}],
// view_changes: {view: count}}; clients' {accepted, timestamp, done}; traitors
// and crashes from sim.nodes(); view-change and checkpoint moments from the
// page's event cache (phase events).

import { h, clear, put, putSpaced, defineView, badge, table, section, scenarioNodes, eventLink } from "./common.js";
import { fmtTime } from "../app/dom.js";

const MAX_ROWS = 80;
const STAGES = [
  ["none", "·", "nothing logged"],
  ["pre-prepared", "PP", "pre-prepared: the primary's PRE-PREPARE accepted"],
  ["prepared", "P", "prepared: pre-prepare and 2f matching PREPAREs"],
  ["committed", "C", "committed-local: prepared and 2f+1 matching COMMITs"],
  ["executed", "E", "executed in sequence order"],
  ["checkpointed", "E⚑", "executed and below the stable checkpoint (log discarded)"],
];

function stageOf(row, lastExec, stable, n) {
  if (!row) {
    if (n <= stable) return "checkpointed";
    if (n <= lastExec) return "executed";
    return "none";
  }
  if (row.executed) return "executed";
  if (row.committed) return "committed";
  if (row.prepared) return "prepared";
  if (row.pre_prepared) return "pre-prepared";
  return "none";
}

export const pbftView = defineView((ctx) => {
  let root, head, replicasEl, grid, views, checkpoints, clients, note;
  return {
    mount(el) {
      root = el;
      head = h("div", { class: "pv-head", "data-testid": "pbft-head" });
      replicasEl = h("div", { class: "pbft-replicas", "data-testid": "pbft-replicas" });
      grid = h("div", { class: "pbft-grid-wrap", "data-testid": "pbft-grid" });
      note = h("p", { class: "hint" });
      views = h("div", { "data-testid": "pbft-views" });
      checkpoints = h("div", { "data-testid": "pbft-checkpoints" });
      clients = h("div", { "data-testid": "pbft-clients" });
      const legend = h("div", { class: "pbft-legend", "aria-label": "Legend" },
        STAGES.map(([k, letter, doc]) => h("span", { class: "pbft-leg", title: doc }, h("span", { class: `pbft-cell-chip st-${k}`, text: letter }), k)));
      // The grid first: it is the figure the proofs reason about, and a short panel shows it without scrolling.
      root.append(head,
        section("Sequence numbers × replicas", legend, grid, note),
        section("Replicas", replicasEl),
        section("Views", views),
        section("Checkpoints", checkpoints),
        section("Clients", clients));
    },
    render(d) {
      const nodes = d.nodes();
      const nR = Math.min(scenarioNodes(ctx), nodes.length);
      const sc = ctx.app?.state?.scenario || {};
      const f = Number.isInteger(sc.params?.f) ? sc.params.f : Math.floor((nR - 1) / 3);
      const q = Math.ceil((nR + f + 1) / 2);
      const K = sc.params?.checkpoint ?? 4;
      const reps = [];
      for (let i = 0; i < nR; i++) {
        const nd = nodes[i];
        const st = d.node(i)?.state || {};
        reps.push({ id: i, name: nd.name, strategy: nd.strategy, crashed: nd.crashed, st, byN: new Map((st.log || []).map((r) => [r.n, r])) });
      }
      const correct = reps.filter((r) => !r.strategy && !r.crashed);
      const view = Math.max(0, ...correct.map((r) => r.st.view ?? 0));
      const primary = view % Math.max(1, nR);

      clear(head);
      putSpaced(head,
        h("span", { class: "pv-title", text: `n = ${nR} replicas, f = ${f}` }),
        h("span", { class: "hint", text: `quorum ${q}${q === 2 * f + 1 ? " = 2f+1" : ""} · prepared needs ${q - 1} PREPAREs · checkpoint every ${K}` }),
        h("span", { "data-testid": "pbft-view", "data-view": String(view) }, "view ", h("b", { text: String(view) }), ", primary ", h("b", { text: `R${primary}` })),
        nR < 3 * f + 1 ? h("span", { class: "pv-warn", text: `n < 3f+1 (${nR} < ${3 * f + 1}): not guaranteed` }) : null);

      clear(replicasEl);
      for (const r of reps) {
        const isPrimary = (r.st.primary ?? -1) === r.id;
        replicasEl.append(h("span", { class: "pbft-rep" + (r.strategy ? " traitor" : "") + (r.crashed ? " crashed" : ""), "data-testid": `pbft-replica-${r.id}`, "data-strategy": r.strategy || "" },
          h("b", { text: r.name }),
          isPrimary ? badge("primary", "info") : null,
          r.strategy ? badge(`traitor: ${r.strategy}`, "bad") : null,
          r.crashed ? badge("crashed", "bad") : null,
          r.st.view_changing ? badge(`→ view ${r.st.view + 1}`, "warn") : null,
          h("span", { class: "hint", text: ` v${r.st.view ?? 0} · exec ${r.st.last_executed ?? 0}` })));
      }

      // The grid.
      let maxN = 0;
      for (const r of reps) {
        maxN = Math.max(maxN, r.st.last_executed || 0);
        for (const n of r.byN.keys()) maxN = Math.max(maxN, n);
      }
      const first = Math.max(1, maxN - MAX_ROWS + 1);
      const tbl = h("table", { class: "pbft-grid", "data-testid": "pbft-table" });
      tbl.append(h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "n" }),
        reps.map((r) => h("th", { scope: "col", class: r.strategy || r.crashed ? "traitor" : "", title: r.strategy ? `traitor: ${r.strategy}` : r.crashed ? "crashed" : "correct", text: r.name + (r.strategy ? " ✗" : "") })),
        h("th", { scope: "col", text: "request" }))));
      const tb = h("tbody");
      for (let n = first; n <= maxN; n++) {
        // The digest most correct replicas hold: a cell with another one is marked.
        const votes = new Map();
        let request = "";
        for (const r of correct) {
          const row = r.byN.get(n);
          if (row && row.pre_prepared) {
            votes.set(row.digest, (votes.get(row.digest) || 0) + 1);
            if (!request && row.request) request = row.request;
          }
        }
        let common = "", best = 0;
        for (const [dg, c] of votes) if (c > best) { best = c; common = dg; }
        const isCkpt = n % K === 0;
        const tr = h("tr", { class: isCkpt ? "ckpt-row" : "" }, h("th", { scope: "row", text: String(n) + (isCkpt ? " ⚑" : ""), title: isCkpt ? "a checkpoint is taken after this sequence number" : "" }));
        for (const r of reps) {
          const row = r.byN.get(n);
          const stage = stageOf(row, r.st.last_executed || 0, r.st.stable_checkpoint || 0, n);
          const letter = STAGES.find((x) => x[0] === stage)[1];
          const odd = row && row.pre_prepared && common && row.digest !== common;
          const td = h("td", {
            class: `pbft-cell st-${stage}${odd ? " odd" : ""}${r.strategy || r.crashed ? " traitor" : ""}`,
            "data-testid": `pbft-cell-${n}-${r.id}`, "data-stage": stage,
          });
          td.append(h("span", { class: "pbft-stage", text: letter }));
          if (row && row.pre_prepared && !row.executed) {
            td.append(h("span", { class: "pbft-q", text: `p${row.prepares}/${q - 1} c${row.commits}/${q}` }));
          }
          const tip = [`${r.name}, n=${n}: ${STAGES.find((x) => x[0] === stage)[2]}`];
          if (row) {
            tip.push(`view ${row.view}, d=${row.digest}${row.request ? " " + row.request : ""}`);
            tip.push(`PREPAREs ${row.prepares} of ${q - 1} needed; COMMITs ${row.commits} of ${q}`);
            if (odd) tip.push(`this digest differs from the other correct replicas' (${common})`);
          }
          td.title = tip.join("\n");
          tr.append(td);
        }
        tr.append(h("td", { class: "pbft-req", text: request || (n <= Math.min(...correct.map((r) => r.st.stable_checkpoint || 0), Infinity) ? "(checkpointed)" : "") }));
        tb.append(tr);
      }
      if (maxN === 0) tb.append(h("tr", {}, h("td", { colspan: String(nR + 2), class: "empty", text: "No sequence number assigned yet." })));
      tbl.append(tb);
      clear(grid);
      grid.append(tbl);
      note.textContent = first > 1 ? `Showing sequence numbers ${first}–${maxN}.` : "";

      // Views and view changes.
      clear(views);
      const vrows = reps.map((r) => {
        const vc = r.st.view_changes || {};
        const held = Object.keys(vc).map(Number).sort((a, b) => a - b).map((v) => `v${v}: ${vc[v]}/${q}`).join(", ");
        return [h("b", { text: r.name }), String(r.st.view ?? 0), r.st.view_changing ? badge(`changing to ${r.st.view + 1}`, "warn") : badge("in view", "ok"), held || "—"];
      });
      views.append(table(["replica", "view", "", "VIEW-CHANGEs held"], vrows));
      const moments = phaseMoments(ctx, nR, new Set(["view-change", "new-view"]), 8);
      if (moments.length) views.append(h("ul", { class: "pv-events", "data-testid": "pbft-view-events" }, moments.map((e) => h("li", {}, eventLink(ctx, e.id, fmtTime(e.t)), " ", e.text))));
      else views.append(h("p", { class: "hint", text: "No view change so far." }));

      // Checkpoints.
      clear(checkpoints);
      checkpoints.append(table(["replica", "stable checkpoint", "last executed", "log"],
        reps.map((r) => [h("b", { text: r.name }), h("span", { "data-testid": `pbft-stable-${r.id}`, text: String(r.st.stable_checkpoint ?? 0) }), String(r.st.last_executed ?? 0), `${(r.st.log || []).length} entries`])));

      // Clients.
      clear(clients);
      const crow = [];
      for (let i = nR; i < nodes.length; i++) {
        const st = d.node(i)?.state || {};
        const acc = st.accepted || [];
        crow.push([h("b", { text: nodes[i].name }), `${acc.length} accepted`, st.done ? badge("done", "ok") : badge(st.request ? `waiting: ${st.request}` : "idle", "muted"), acc.slice(-3).join(", ")]);
      }
      if (crow.length) clients.append(table(["client", "", "", "last results"], crow));
      else clients.append(h("p", { class: "hint", text: "No clients." }));
    },
  };
});

/** The latest phase events of the given names among processes 0..n-1, newest last. */
function phaseMoments(ctx, n, names, limit) {
  const c = ctx.runner.cache;
  if (!c) return [];
  const out = [];
  for (let p = 0; p < Math.min(n, c.phases.length); p++) {
    for (const id of c.phases[p]) {
      const e = c.events[id];
      if (e && names.has(e.phase)) out.push(e);
    }
  }
  out.sort((a, b) => a.id - b.id);
  return out.slice(-limit);
}
