// OM(m), the Byzantine generals with oral messages (protocols/om): for every
// lieutenant, the tree of relayed values it holds ("L3 says L2 says G said
// RETREAT"), with the majority taken at each inner node once it decides, and
// the decision table: who is loyal, what each lieutenant decided, and whether
// the loyal ones agree (IC1) on the loyal commander's order (IC2).
//
// Data: each lieutenant's node state {role, round, decision, passive, tree:
// [{path, value, missing?, majority?}]} (the tree in depth-first order, as the
// votes are taken); the commander's {order, sent}; traitors from sim.nodes().

import { h, clear, put, putSpaced, defineView, badge, table, section, OI } from "./common.js";

const VALUE_CLASS = { attack: "om-attack", retreat: "om-retreat" };

function valueChip(v, extra = "") {
  if (!v) return badge("—", "muted");
  return badge(v.toUpperCase(), (VALUE_CLASS[v] || "") + " " + extra, { "data-value": v });
}

/** "G,L2,L3" -> "L3 says L2 says G said" */
function pathReading(path) {
  const parts = path.split(",");
  if (parts.length === 1) return `${parts[0]} said`;
  const rev = parts.slice().reverse();
  return rev.slice(0, -1).map((p) => `${p} says`).join(" ") + ` ${rev[rev.length - 1]} said`;
}

export const omView = defineView((ctx) => {
  let root, head, decisions, trees, focusSel;
  let focus = -1; // lieutenant shown large (-1: all)
  return {
    mount(el, api) {
      root = el;
      head = h("div", { class: "pv-head", "data-testid": "om-head" });
      decisions = h("div", { "data-testid": "om-decisions" });
      focusSel = h("select", { "data-testid": "om-focus", "aria-label": "Lieutenant whose tree to show" });
      focusSel.addEventListener("change", () => { focus = Number(focusSel.value); api.refresh(); });
      trees = h("div", { class: "om-trees", "data-testid": "om-trees" });
      root.append(head,
        section("Decisions", decisions),
        h("section", { class: "pv-section" },
          h("div", { class: "pv-row" }, h("h3", { text: "Relayed values" }), h("label", { class: "pv-inline" }, "show ", focusSel)),
          h("p", { class: "hint", text: "Each row is a value a lieutenant holds: “L3 says L2 says G said RETREAT”. An inner node takes the majority of its own value and the votes below it; a missing value counts as RETREAT." }),
          trees));
    },
    render(d) {
      const nodes = d.nodes();
      const n = nodes.length;
      const g = d.node(0);
      const order = g?.state?.order || "";
      const gTraitor = nodes[0] && (nodes[0].strategy || nodes[0].crashed);
      const sc = ctx.app?.state?.scenario || {};
      const m = sc.params?.m ?? Math.floor((n - 1) / 3);
      clear(head);
      putSpaced(head,
        h("span", { class: "pv-title", text: `OM(${m}) · ${n} generals` }),
        h("span", {}, "commander G ", gTraitor ? badge(nodes[0].strategy ? `traitor: ${nodes[0].strategy}` : "crashed", "bad") : badge("loyal", "ok"), " order ", valueChip(order)),
        h("span", { class: n >= 3 * m + 1 ? "hint" : "pv-warn", text: n >= 3 * m + 1 ? `n ≥ 3m+1 (${n} ≥ ${3 * m + 1})` : `n < 3m+1 (${n} < ${3 * m + 1}): OM(${m}) is not guaranteed` }));

      // Decisions.
      const rows = [];
      const loyalDecisions = [];
      let pending = 0;
      for (let i = 1; i < n; i++) {
        const nd = nodes[i];
        const st = d.node(i)?.state || {};
        const traitor = nd.strategy || (nd.crashed ? "crashed" : "") || (st.passive ? "recovered" : "");
        if (!traitor) {
          if (st.decision) loyalDecisions.push(st.decision); else pending++;
        }
        rows.push(h("tr", { "data-testid": `om-decision-${nd.name}`, "data-decision": st.decision || "", "data-loyal": String(!traitor) },
          h("th", { scope: "row", text: nd.name }),
          h("td", {}, traitor ? badge(traitor === "crashed" || traitor === "recovered" ? traitor : `traitor: ${traitor}`, "bad") : badge("loyal", "ok")),
          h("td", {}, st.decision ? valueChip(st.decision) : badge(`round ${st.round || 0}`, "muted"))));
      }
      clear(decisions);
      decisions.append(table(["lieutenant", "", "decision"], rows, { "data-testid": "om-decision-table" }));
      const agree = loyalDecisions.length > 0 && loyalDecisions.every((x) => x === loyalDecisions[0]);
      const verdict = h("div", { class: "pv-verdicts", "data-testid": "om-verdict" });
      if (pending && !loyalDecisions.length) verdict.append(badge("waiting for round " + (m + 1), "muted"));
      else {
        verdict.append(badge(agree ? "IC1 ✓ loyal lieutenants agree" : "IC1 ✗ loyal lieutenants disagree", agree ? "ok" : "bad", { "data-testid": "om-ic1", "data-ok": String(agree) }));
        if (!gTraitor) {
          const ic2 = loyalDecisions.every((x) => x === order);
          verdict.append(" ", badge(ic2 ? "IC2 ✓ they obey G" : "IC2 ✗ not G's order", ic2 ? "ok" : "bad", { "data-testid": "om-ic2", "data-ok": String(ic2) }));
        }
        if (pending) verdict.append(" ", badge(`${pending} still deciding`, "muted"));
      }
      decisions.append(verdict);

      // The focus selector.
      const want = [h("option", { value: "-1", text: "every lieutenant" }), ...nodes.slice(1).map((nd) => h("option", { value: String(nd.id), text: nd.name }))];
      if (focusSel.options.length !== want.length) { clear(focusSel); focusSel.append(...want); }
      focusSel.value = String(focus);

      // Trees.
      clear(trees);
      for (let i = 1; i < n; i++) {
        if (focus >= 0 && focus !== i) continue;
        const nd = nodes[i];
        const st = d.node(i)?.state || {};
        const card = h("div", { class: "om-card", "data-testid": `om-tree-${nd.name}` },
          putSpaced(h("div", { class: "om-card-head" }), h("b", { text: nd.name }), nd.strategy ? badge(`traitor: ${nd.strategy}`, "bad") : null, h("span", { class: "grow" }), st.decision ? h("span", {}, "decides ", valueChip(st.decision)) : badge(`round ${st.round || 0}`, "muted")));
        const list = h("ol", { class: "om-tree" });
        const entries = st.tree || [];
        if (!entries.length) list.append(h("li", { class: "empty", text: "nothing heard yet" }));
        for (const e of entries) {
          const depth = e.path.split(",").length - 1;
          const li = putSpaced(h("li", { class: `om-entry depth-${Math.min(depth, 6)}${e.missing ? " missing" : ""}`, title: pathReading(e.path) + " " + (e.value || "").toUpperCase(), "data-path": e.path }),
            h("span", { class: "om-path", text: e.path.replace(/,/g, " → ") }),
            valueChip(e.value, e.missing ? "missing" : ""),
            e.missing ? h("span", { class: "hint", text: "none came (default)" }) : null,
            e.majority ? h("span", { class: "om-maj" }, "⇒ majority ", valueChip(e.majority)) : null);
          li.style.paddingLeft = `${4 + depth * 14}px`;
          list.append(li);
        }
        card.append(list);
        trees.append(card);
      }
    },
  };
});

export const OM_COLORS = { attack: OI.blue, retreat: OI.vermillion };
