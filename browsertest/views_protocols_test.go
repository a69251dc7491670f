package browsertest

import (
	"fmt"
	"strings"
	"testing"
)

// The protocol views (web/views/) read each protocol's data through the
// bridge and draw it beside the diagram. These tests run scripted scenarios
// in the page and check what the views show against what the protocol
// computed, then save a screenshot of each view to artifacts/.

// TestViewOM: the seed's generals (four generals, L3 an equivocating
// traitor): each lieutenant's tree of relayed values, and the decisions —
// both loyal lieutenants ATTACK, IC1 and IC2 hold.
func TestViewOM(t *testing.T) {
	p := openScenario(t, `{"protocol": "om", "seed": 1, "nodes": 4, "until": "100ms",
		"network": {"latency": "1ms..10ms"},
		"faults": [{"at": "0s", "byzantine": 3, "strategy": "equivocate"}]}`)
	viewShown(t, p, "om-decision-table")
	runToEnd(t, p)
	for _, l := range []string{"L1", "L2"} {
		got := attr(t, p, "om-decision-"+l, "data-decision")
		if got != "attack" {
			t.Errorf("%s decision shown = %q, want attack", l, got)
		}
		if attr(t, p, "om-decision-"+l, "data-loyal") != "true" {
			t.Errorf("%s is not shown loyal", l)
		}
	}
	if attr(t, p, "om-decision-L3", "data-loyal") != "false" {
		t.Errorf("L3 (the traitor) is shown loyal")
	}
	if attr(t, p, "om-ic1", "data-ok") != "true" || attr(t, p, "om-ic2", "data-ok") != "true" {
		t.Errorf("IC1/IC2 verdicts: %q", text(t, p, "om-verdict"))
	}
	// L1's tree: G said ATTACK, L2 relays ATTACK, L3 (equivocating, L1 is odd) relays RETREAT; majority ATTACK.
	tree := Eval[[]string](p, `[...document.querySelectorAll('[data-testid="om-tree-L1"] .om-entry')].map(li => li.dataset.path + "=" + li.querySelector("[data-value]").dataset.value)`)
	want := []string{"G=attack", "G,L2=attack", "G,L3=retreat"}
	if strings.Join(tree, " ") != strings.Join(want, " ") {
		t.Errorf("L1's tree = %v, want %v", tree, want)
	}
	if !strings.Contains(text(t, p, "om-tree-L1"), "majority ATTACK") {
		t.Errorf("L1's tree does not show the majority: %q", text(t, p, "om-tree-L1"))
	}
	screenshotPanel(t, p, "view-om")
	Eval[bool](p, `(document.documentElement.dataset.theme = "dark", window.distlabUI.app.diagram.themeChanged(), window.distlabUI.app.topology.themeChanged(), true)`)
	screenshotPanel(t, p, "view-om-dark")
	Eval[bool](p, `(document.documentElement.dataset.theme = "light", window.distlabUI.app.diagram.themeChanged(), window.distlabUI.app.topology.themeChanged(), true)`)

	// Three generals and a traitor: the loyal lieutenant is fooled (IC2 breaks), and the view says so.
	loadScenario(t, p, `{"protocol": "om", "seed": 1, "nodes": 3, "until": "100ms", "params": {"m": 1},
		"faults": [{"at": "0s", "byzantine": 2, "strategy": "opposite"}]}`)
	viewShown(t, p, "om-decision-table")
	runToEnd(t, p)
	if attr(t, p, "om-ic2", "data-ok") != "false" {
		t.Errorf("n = 3 with a traitor: IC2 verdict %q, want broken", text(t, p, "om-verdict"))
	}
	if !strings.Contains(text(t, p, "om-head"), "n < 3m+1") {
		t.Errorf("the head does not warn that n < 3m+1: %q", text(t, p, "om-head"))
	}

	// A protocol without a view of its own keeps the generic panels only.
	loadScenario(t, p, `{"protocol": "script"}`)
	if Eval[bool](p, `!document.querySelector('[data-testid="protocol-view"]').hidden`) {
		t.Errorf("the script protocol (no view) shows the protocol-view panel")
	}
}

// TestViewPBFT: four replicas, R3 sends wrong digests (the seed's figure),
// six requests with a checkpoint every four: every correct replica's cells
// reach committed/executed (1–4 below the stable checkpoint), R3 is shown as
// the traitor with its strategy, the view is 0 and the stable checkpoint 4.
func TestViewPBFT(t *testing.T) {
	p := openScenario(t, `{"protocol": "pbft", "seed": 1, "nodes": 4, "until": "2s",
		"network": {"latency": "1ms..10ms"}, "params": {"checkpoint": 4},
		"workload": {"requests": 6, "clients": 1},
		"faults": [{"at": "0s", "byzantine": 3, "strategy": "wrong-digest"}]}`)
	viewShown(t, p, "pbft-table")

	// Part way: stop after the first PRE-PREPAREs and look at an unfinished grid.
	Eval[bool](p, `(window.distlabUI.app.runner.seekTime(14000), true)`)
	waitIdle(t, p, 0)
	settle(t, p)
	screenshotPanel(t, p, "view-pbft-midway")

	runToEnd(t, p)
	for n := 1; n <= 6; n++ {
		for r := 0; r < 3; r++ {
			got := attr(t, p, fmt.Sprintf("pbft-cell-%d-%d", n, r), "data-stage")
			switch got {
			case "committed", "executed", "checkpointed":
			default:
				t.Errorf("n=%d R%d: stage %q, want committed or beyond", n, r, got)
			}
		}
	}
	if got := attr(t, p, "pbft-cell-5-0", "data-stage"); got != "executed" {
		t.Errorf("n=5 R0 (above the checkpoint) = %q, want executed", got)
	}
	if got := attr(t, p, "pbft-cell-2-1", "data-stage"); got != "checkpointed" {
		t.Errorf("n=2 R1 (below the stable checkpoint) = %q, want checkpointed", got)
	}
	if got := attr(t, p, "pbft-replica-3", "data-strategy"); got != "wrong-digest" {
		t.Errorf("R3's strategy shown = %q, want wrong-digest", got)
	}
	if !strings.Contains(text(t, p, "pbft-replica-3"), "traitor: wrong-digest") {
		t.Errorf("R3's chip: %q", text(t, p, "pbft-replica-3"))
	}
	if got := attr(t, p, "pbft-view", "data-view"); got != "0" {
		t.Errorf("view = %q, want 0", got)
	}
	if got := text(t, p, "pbft-stable-0"); got != "4" {
		t.Errorf("R0's stable checkpoint = %q, want 4", got)
	}
	screenshotPanel(t, p, "view-pbft")
	Eval[bool](p, `(document.documentElement.dataset.theme = "dark", window.distlabUI.app.diagram.themeChanged(), window.distlabUI.app.topology.themeChanged(), true)`)
	screenshotPanel(t, p, "view-pbft-dark")
	Eval[bool](p, `(document.documentElement.dataset.theme = "light", window.distlabUI.app.diagram.themeChanged(), window.distlabUI.app.topology.themeChanged(), true)`)

	// A silent primary is replaced: the view shows view 1 and its primary R1.
	loadScenario(t, p, `{"protocol": "pbft", "seed": 1, "nodes": 4, "until": "2s",
		"workload": {"requests": 2, "clients": 1},
		"faults": [{"at": "0s", "byzantine": 0, "strategy": "silent"}]}`)
	viewShown(t, p, "pbft-table")
	runToEnd(t, p)
	if got := attr(t, p, "pbft-view", "data-view"); got != "1" {
		t.Errorf("after a silent primary: view = %q, want 1", got)
	}
	if !strings.Contains(text(t, p, "pbft-views"), "VIEW-CHANGE") {
		t.Errorf("the views section lists no view change: %q", text(t, p, "pbft-views"))
	}
	for r := 1; r < 4; r++ {
		if got := attr(t, p, fmt.Sprintf("pbft-cell-1-%d", r), "data-stage"); got != "executed" {
			t.Errorf("view 1: n=1 R%d = %q, want executed", r, got)
		}
	}
	screenshotPanel(t, p, "view-pbft-viewchange")
}

// snapshotScripted is a Chandy–Lamport run worked out by hand: three
// processes, every message takes 10ms, FIFO, no random transfers. P0
// records at 5ms ($100); P1 and P2 record when P0's MARKER reaches them at
// 15ms (P1: 100−7+3−4 = $92, P2: 100−3 = $97). The $7 that P1 sent P0 at 1ms
// arrives at 11ms, after P0 recorded and before P1's MARKER (25ms): in
// transit on P1→P0. The $4 P1 sent P2 at 12ms, before P1 recorded, arrives
// at 22ms, after P2 recorded: in transit on P1→P2. The $5 P2 sends at 16ms
// is after P2's recording and behind its MARKER: not recorded. Total
// 100+92+97+7+4 = $300, the bank's money.
const snapshotScripted = `{"protocol": "snapshot", "seed": 1, "nodes": 3, "until": "200ms", "topology": "complete",
	"network": {"latency": "10ms", "fifo": true},
	"params": {"initiate": [{"at": "5ms", "node": 0}], "transfer_every": "0s"},
	"workload": {"transfers": [
		{"at": "1ms", "from": 1, "to": 0, "amount": 7},
		{"at": "2ms", "from": 2, "to": 1, "amount": 3},
		{"at": "12ms", "from": 1, "to": 2, "amount": 4},
		{"at": "16ms", "from": 2, "to": 1, "amount": 5}]}`

// TestViewSnapshot: the recorded local and channel states of the scripted
// run above, the conservation check green, the cut drawn on the diagram
// (and judged consistent by the diagram); then the same run with P1's $7
// lost: the check turns red.
func TestViewSnapshot(t *testing.T) {
	p := openScenario(t, snapshotScripted+`}`)
	viewShown(t, p, "snapshot-processes")
	runToEnd(t, p)

	for id, want := range map[int]string{0: "100", 1: "92", 2: "97"} {
		if got := attr(t, p, fmt.Sprintf("snapshot-proc-%d", id), "data-balance"); got != want {
			t.Errorf("P%d recorded balance shown = %q, want %s", id, got, want)
		}
	}
	chans := map[string]string{"0-1": "", "0-2": "", "1-0": "7", "1-2": "4", "2-0": "", "2-1": ""}
	for ch, want := range chans {
		if got := attr(t, p, "snapshot-chan-"+ch, "data-transfers"); got != want {
			t.Errorf("channel %s: recorded %q, want %q", ch, got, want)
		}
		if attr(t, p, "snapshot-chan-"+ch, "data-closed") != "true" {
			t.Errorf("channel %s is not shown closed at the end", ch)
		}
	}
	if got := attr(t, p, "snapshot-conservation", "data-state"); got != "ok" {
		t.Errorf("conservation = %q (%s), want ok", got, text(t, p, "snapshot-conservation"))
	}
	if !strings.Contains(text(t, p, "snapshot-conservation"), "recorded $300 = $289 in balances + $11 in transit") {
		t.Errorf("conservation text: %q", text(t, p, "snapshot-conservation"))
	}
	// The cut on the diagram: P0 up to its recording, P1 and P2 up to just before their MARKER's receive.
	p.WaitFor(`document.querySelector('[data-testid="diagram"]').dataset.cut === "consistent"`, 0)
	cut := Eval[[]int](p, `window.distlabUI.app.selection.cut`)
	want := Eval[[]int](p, `(() => { const c = window.distlabUI.app.runner.cache;
		return [0, 1, 2].map(q => { const l = c.byNode[q]; let k = 0;
			// events strictly before the recording point: the initiator's record phase is inside, a MARKER receive is not
			while (k < l.length) { const e = c.events[l[k]]; if (q === 0 ? (e.kind === "phase" && e.phase === "record") : (e.kind === "receive" && e.msg.type === "MARKER")) break; k++; }
			return q === 0 ? k + 1 : k; }); })()`)
	if fmt.Sprint(cut) != fmt.Sprint(want) {
		t.Errorf("cut on the diagram = %v, want %v", cut, want)
	}
	if !strings.Contains(text(t, p, "cut-verdict"), "consistent") {
		t.Errorf("the diagram's cut verdict: %q", text(t, p, "cut-verdict"))
	}
	screenshotPanel(t, p, "view-snapshot")

	// The toggle hides and shows the cut.
	click(t, p, "snapshot-cut-toggle")
	settle(t, p)
	if Eval[bool](p, `window.distlabUI.app.selection.cut !== null`) {
		t.Errorf("hiding the cut left it in the selection")
	}
	click(t, p, "snapshot-cut-toggle")
	p.WaitFor(`document.querySelector('[data-testid="diagram"]').dataset.cut === "consistent"`, 0)

	// A lost transfer: money is destroyed, the check is red.
	loadScenario(t, p, snapshotScripted+`, "faults": [{"at": "0s", "drop": {"type": "TRANSFER", "from": 1, "to": 0, "count": 1}}]}`)
	viewShown(t, p, "snapshot-processes")
	runToEnd(t, p)
	if got := attr(t, p, "snapshot-conservation", "data-state"); got != "bad" {
		t.Errorf("with a lost transfer: conservation = %q, want bad", got)
	}
	if got := attr(t, p, "snapshot-chan-1-0", "data-transfers"); got != "" {
		t.Errorf("with P1's $7 lost, channel 1-0 recorded %q", got)
	}
	screenshotPanel(t, p, "view-snapshot-lost")

	// The default scenario: two snapshots, the second with two initiators.
	loadScenario(t, p, `{"protocol": "snapshot"}`)
	viewShown(t, p, "snapshot-processes")
	runToEnd(t, p)
	click(t, p, "snapshot-pick-2")
	settle(t, p)
	if got := attr(t, p, "snapshot-verdicts", "data-snapshot"); got != "2" {
		t.Errorf("picked s2, the view shows s%s", got)
	}
	if got := attr(t, p, "snapshot-conservation", "data-state"); got != "ok" {
		t.Errorf("default s2: conservation %q", got)
	}
	p.WaitFor(`document.querySelector('[data-testid="diagram"]').dataset.cut === "consistent"`, 0)
	screenshotPanel(t, p, "view-snapshot-default")
}

// seekToEvent stops the page's run right after event id (as clicking back in
// time does) and waits for the views to draw.
func seekToEvent(t *testing.T, p *Page, id int) {
	t.Helper()
	Eval[bool](p, fmt.Sprintf(`(() => { const r = window.distlabUI.app.runner; r.pause(); r.sim.seek({event: %d}); r._sync(50); r._changed("seek"); return true; })()`, id))
	waitIdle(t, p, 0)
	settle(t, p)
}

// TestViewDeadlockCMH: the seed's cycle P0→P1→P2→P0 (plus P3 waiting for
// P0). Stopped at the declaration: the wait-for graph holds the cycle, drawn
// as the declared one, P2 (the largest id) is the victim; while the probe
// goes round, PROBEs in flight are drawn on the graph's edges. At the end
// the graph is empty and the declaration is listed as real and resolved.
func TestViewDeadlockCMH(t *testing.T) {
	p := openScenario(t, `{"protocol": "deadlock-cmh"}`)
	viewShown(t, p, "deadlock-graphs")
	runToEnd(t, p)
	decl := sel("deadlock-decl-0")
	if got := Eval[string](p, `document.querySelector(`+jsq(decl)+`).dataset.cycle`); got != "0,1,2" {
		t.Errorf("declared cycle %q, want 0,1,2", got)
	}
	if got := attr(t, p, "deadlock-decl-0", "data-victim"); got != "2" {
		t.Errorf("victim %q, want 2 (the largest id on the cycle)", got)
	}
	if got := attr(t, p, "deadlock-decl-0", "data-real"); got != "true" {
		t.Errorf("declaration real = %q", got)
	}
	if !strings.Contains(text(t, p, "deadlock-summary"), "0 wait-for edges") {
		t.Errorf("at the end: %q, want an empty graph", text(t, p, "deadlock-summary"))
	}
	screenshotPanel(t, p, "view-deadlock-cmh-end")

	// At the declaration: the cycle stands, drawn as the declared one, and P2 is marked the victim.
	id := Eval[int](p, `window.distlabUI.app.runner.cache.events.find(e => e.kind === "decide" && e.text.startsWith("deadlock:")).id`)
	seekToEvent(t, p, id)
	edges := Eval[[]string](p, `[...document.querySelectorAll('[data-testid="deadlock-true-graph"] path.pv-edge.cycle')].map(e => e.dataset.edge).sort()`)
	if strings.Join(edges, " ") != "0-1 1-2 2-0" {
		t.Errorf("cycle edges drawn at the declaration: %v, want 0-1 1-2 2-0", edges)
	}
	if !Eval[bool](p, `document.querySelector('[data-testid="deadlock-true-graph"] [data-node="2"]').classList.contains("victim")`) {
		t.Errorf("P2 is not drawn as the victim")
	}
	if !Eval[bool](p, `!!document.querySelector('[data-testid="deadlock-true-graph"] path.pv-edge[data-edge="3-0"]:not(.cycle)')`) {
		t.Errorf("P3→P0, a wait-for edge off the cycle, is not drawn")
	}
	screenshotPanel(t, p, "view-deadlock-cmh-declared")
	Eval[bool](p, `(document.documentElement.dataset.theme = "dark", window.distlabUI.app.diagram.themeChanged(), window.distlabUI.app.topology.themeChanged(), true)`)
	screenshotPanel(t, p, "view-deadlock-cmh-declared-dark")
	Eval[bool](p, `(document.documentElement.dataset.theme = "light", window.distlabUI.app.diagram.themeChanged(), window.distlabUI.app.topology.themeChanged(), true)`)

	// While P0's probe goes round: a PROBE in flight along a wait-for edge.
	probe := Eval[int](p, `(() => { const c = window.distlabUI.app.runner.cache; const s = c.events.filter(e => e.kind === "send" && e.msg.type === "PROBE" && e.text.includes("PROBE(P0, P1, P2)")); return s.length ? s[0].id : -1; })()`)
	if probe < 0 {
		t.Fatal("no PROBE(P0, P1, P2) in the trace")
	}
	seekToEvent(t, p, probe)
	if got := Eval[[]string](p, `[...document.querySelectorAll('[data-testid="deadlock-true-graph"] path.pv-edge.probe')].map(e => e.dataset.edge)`); len(got) == 0 || got[0] != "1-2" {
		t.Errorf("PROBE edges drawn: %v, want 1-2", got)
	}
	screenshotPanel(t, p, "view-deadlock-cmh-probe")
}

// TestViewDeadlockCentralPhantom: the README's phantom. Site P1's reports
// are delayed; at 44.3ms the controller joins its stale P0→P1 with P0's fresh
// P1→P0 and declares a cycle that never existed. The view shows, at that
// moment, the controller's graph with P0→P1 marked stale beside the true
// graph without it, and the declaration as a phantom.
func TestViewDeadlockCentralPhantom(t *testing.T) {
	p := openScenario(t, `{"protocol": "deadlock-central", "seed": 1, "nodes": 3, "until": "300ms",
		"network": {"latency": "1ms"}, "params": {"hold": "30ms", "report_every": "10ms"},
		"workload": {"waits": [{"at": "1ms", "waiter": 0, "holder": 1}, {"at": "40ms", "waiter": 1, "holder": 0}]},
		"faults": [{"at": "25ms", "delay": {"type": "REPORT", "from": 1, "count": 0, "by": "60ms"}}]}`)
	viewShown(t, p, "deadlock-graphs")
	runToEnd(t, p)
	if got := attr(t, p, "deadlock-decl-0", "data-real"); got != "false" {
		t.Errorf("the phantom is listed as real = %q", got)
	}
	id := Eval[int](p, `window.distlabUI.app.runner.cache.events.find(e => e.kind === "decide" && e.text.startsWith("deadlock:")).id`)
	at := Eval[int](p, `window.distlabUI.app.runner.cache.events[`+itoa(id)+`].t`)
	// A moment before the declaration: the controller holds site P1's stale
	// P0→P1; the true graph has only P1→P0, which the controller has not heard of yet.
	Eval[bool](p, `(() => { const r = window.distlabUI.app.runner; r.pause(); r.sim.seek({time: `+itoa(at-1)+`}); r._sync(50); r._changed("seek"); return true; })()`)
	waitIdle(t, p, 0)
	stale := Eval[[]string](p, `[...document.querySelectorAll('[data-testid="deadlock-controller-graph"] path.pv-edge.stale')].map(e => e.dataset.edge)`)
	if strings.Join(stale, " ") != "0-1" {
		t.Errorf("stale edges in the controller's view: %v, want 0-1", stale)
	}
	missing := Eval[[]string](p, `[...document.querySelectorAll('[data-testid="deadlock-controller-graph"] path.pv-edge.missing')].map(e => e.dataset.edge)`)
	if strings.Join(missing, " ") != "1-0" {
		t.Errorf("true edges the controller has not heard of: %v, want 1-0", missing)
	}
	truth := Eval[[]string](p, `[...document.querySelectorAll('[data-testid="deadlock-true-graph"] path.pv-edge')].map(e => e.dataset.edge)`)
	if strings.Join(truth, " ") != "1-0" {
		t.Errorf("true graph edges: %v, want only 1-0", truth)
	}
	if attr(t, p, "deadlock-graphs", "data-stale") != "1" {
		t.Errorf("stale count %q", attr(t, p, "deadlock-graphs", "data-stale"))
	}
	screenshotPanel(t, p, "view-deadlock-central-before")
	// At the declaration: a phantom, the true graph shows half the declared cycle gone.
	seekToEvent(t, p, id)
	if got := attr(t, p, "deadlock-verdict", "data-real"); got != "false" || !strings.Contains(text(t, p, "deadlock-verdict"), "Phantom") {
		t.Errorf("verdict: %q (real=%s)", text(t, p, "deadlock-verdict"), got)
	}
	if got := Eval[[]string](p, `[...document.querySelectorAll('[data-testid="deadlock-true-graph"] path.pv-edge.cycle.gone')].map(e => e.dataset.edge)`); strings.Join(got, " ") != "0-1" {
		t.Errorf("the true graph's missing half of the phantom cycle: %v, want 0-1", got)
	}
	screenshotPanel(t, p, "view-deadlock-central-phantom")
}
