package browsertest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
)

// The UI tests drive the page as a user does and check what it shows. They
// read the DOM (data-testid attributes) and, for the canvas diagram, the
// data-* attributes it keeps up to date, plus window.distlabUI for
// coordinates of events to click.

// evCount is how many events the page has shown so far.
func evCount(t *testing.T, p *Page) int {
	t.Helper()
	return Eval[int](p, `window.distlabUI.app.runner.cache.length`)
}

func nowUS(t *testing.T, p *Page) float64 {
	t.Helper()
	return Eval[float64](p, `window.distlabUI.app.runner.now()`)
}

// clickEvent clicks event id's dot in the space-time diagram.
func clickEvent(t *testing.T, p *Page, id int, shift bool) {
	t.Helper()
	pt := Eval[[]float64](p, fmt.Sprintf(`(() => { const q = window.distlabUI.eventPoint(%d); return q ? [q.x, q.y] : [-1, -1]; })()`, id))
	if pt[0] < 0 {
		t.Fatalf("event %d is not drawn in the diagram", id)
	}
	var mods int64
	if shift {
		mods = modShift
	}
	mouseClick(t, p, pt[0], pt[1], input.MouseButtonLeft, mods)
	settle(t, p)
}

// switchProtocol picks a protocol in the picker and waits for its run.
func switchProtocol(t *testing.T, p *Page, name string) {
	t.Helper()
	selectOption(t, p, "protocol-select", name)
	p.WaitFor(`window.distlabUI.app.runner.info.name === `+jsq(name)+` && !document.querySelector("dialog[open]")`, 0)
	settle(t, p)
}

// protocolWithStrategies returns a registered protocol that offers traitor strategies, or "".
func protocolWithStrategies(t *testing.T, p *Page) (string, []string) {
	t.Helper()
	var res struct {
		Name       string   `json:"name"`
		Strategies []string `json:"strategies"`
	}
	raw := Eval[string](p, `JSON.stringify((() => { const q = DistLab.protocols().find(x => x.strategies.length && x.params.length); return q ? {name: q.name, strategies: q.strategies.map(s => s.name)} : {name: "", strategies: []}; })())`)
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		t.Fatal(err)
	}
	return res.Name, res.Strategies
}

// TestUIWorkflow goes through the page the way a lecturer would: pick a
// protocol, change a parameter and the node count, add a node and a link,
// crash a node and make another a traitor through the node menu, play, step,
// scrub back, select two events, draw a cut, and read the invariants.
func TestUIWorkflow(t *testing.T) {
	p := openUI(t, false)

	// The picker lists every protocol of the registry, grouped by the seed's sections.
	names := Eval[[]string](p, `[...document.querySelectorAll('[data-testid=protocol-select] option')].map(o => o.value)`)
	reg := Eval[[]string](p, `DistLab.protocols().map(x => x.name)`)
	if strings.Join(names, ",") != strings.Join(reg, ",") {
		t.Fatalf("picker lists %v, registry has %v", names, reg)
	}
	groups := Eval[int](p, `document.querySelectorAll('[data-testid=protocol-select] optgroup').length`)
	wantGroups := Eval[int](p, `new Set(DistLab.protocols().map(x => x.section + "|" + x.group)).size`)
	if groups != wantGroups {
		t.Fatalf("picker has %d groups, registry %d sections", groups, wantGroups)
	}

	proto, strategies := protocolWithStrategies(t, p)
	if proto == "" {
		proto = "script"
		t.Log("no protocol with parameters and traitor strategies is registered yet: the traitor step is skipped")
	}
	switchProtocol(t, p, proto)
	waitText(t, p, "protocol-summary", Eval[string](p, `DistLab.protocol(`+jsq(proto)+`).summary.slice(0, 30)`))

	// Change a parameter: the first enum, int or bool parameter of the protocol.
	param := Eval[string](p, `JSON.stringify(DistLab.protocol(`+jsq(proto)+`).params.find(x => x.type === "enum" || x.type === "bool") || null)`)
	if param != "null" {
		var ps struct {
			Name string   `json:"name"`
			Type string   `json:"type"`
			Enum []string `json:"enum"`
		}
		json.Unmarshal([]byte(param), &ps)
		tid := "param-" + ps.Name
		if ps.Type == "enum" {
			cur := Eval[string](p, `document.querySelector(`+jsq(sel(tid))+`).value`)
			next := ps.Enum[0]
			if next == cur && len(ps.Enum) > 1 {
				next = ps.Enum[1]
			}
			selectOption(t, p, tid, next)
			p.WaitFor(`window.distlabUI.state().scenario.params[`+jsq(ps.Name)+`] === `+jsq(next), 0)
			if got := Eval[string](p, `document.querySelector(`+jsq(sel(tid))+`).value`); got != next {
				t.Fatalf("param %s shows %q after the restart, want %q", ps.Name, got, next)
			}
		} else {
			click(t, p, tid)
			p.WaitFor(`window.distlabUI.state().scenario.params[`+jsq(ps.Name)+`] !== undefined`, 0)
		}
	}

	// Node count: 5 processes.
	setValue(t, p, "nodes-input", "5")
	p.WaitFor(`window.distlabUI.state().scenario.nodes === 5 && document.querySelector('[data-testid=node-4]')`, 0)
	p.Screenshot("ui-workflow-1-configured")

	// Add a node (edit mode) and a link between two nodes by dragging.
	click(t, p, "mode-edit")
	click(t, p, "node-0")
	click(t, p, "add-node")
	p.WaitFor(`window.distlabUI.state().scenario.nodes === 6 && document.querySelector('[data-testid=node-5]')`, 0)
	if v := Eval[string](p, `document.querySelector('[data-testid=topology-select]').value`); v != "edges" {
		t.Fatalf("after adding a node the topology is %q, want an edge list", v)
	}
	links := Eval[int](p, `+document.querySelector('[data-testid=topology]').dataset.links`)
	x0, y0 := center(t, p, sel("node-5"))
	x1, y1 := center(t, p, sel("node-2"))
	if Eval[bool](p, `window.distlabUI.state().scenario.topology.edges.some(e => (e[0] === 5 && e[1] === 2) || (e[0] === 2 && e[1] === 5))`) {
		x1, y1 = center(t, p, sel("node-3"))
	}
	drag(t, p, x0, y0, x1, y1)
	p.WaitFor(`+document.querySelector('[data-testid=topology]').dataset.links === `+fmt.Sprint(links+1), 0)
	click(t, p, "mode-select")
	p.Screenshot("ui-workflow-2-edited")

	// Crash P1 through its menu.
	rightClick(t, p, "node-1")
	click(t, p, "menu-crash")
	p.WaitFor(`document.querySelector('[data-testid=node-1]').dataset.crashed === "true"`, 0)
	click(t, p, "node-1")
	waitText(t, p, "inspector", "crashed")

	// Make P2 a traitor.
	if len(strategies) > 0 {
		st := strategies[len(strategies)-1]
		rightClick(t, p, "node-2")
		click(t, p, "menu-traitor-"+st)
		p.WaitFor(`document.querySelector('[data-testid=node-2]').dataset.strategy === `+jsq(st), 0)
		waitText(t, p, "live-actions", "traitor ("+st+")")
	} else {
		t.Log("skipped: no registered protocol has traitor strategies")
	}

	// Play for a while, pause.
	before := evCount(t, p)
	click(t, p, "play")
	p.WaitFor(fmt.Sprintf(`window.distlabUI.app.runner.cache.length > %d + 20 || window.distlabUI.app.runner.sim.done()`, before), 20*time.Second)
	click(t, p, "play")
	waitIdle(t, p, 10*time.Second)
	p.Screenshot("ui-workflow-3-played")

	// Step one event.
	if !Eval[bool](p, `window.distlabUI.app.runner.sim.done()`) {
		n := evCount(t, p)
		click(t, p, "step")
		p.WaitFor(fmt.Sprintf(`window.distlabUI.app.runner.cache.length > %d`, n), 0)
	}
	// Run to the end (progress bar), then scrub back to a quarter of the timeline.
	click(t, p, "run-end")
	waitIdle(t, p, 60*time.Second)
	endEvents, endNow := evCount(t, p), nowUS(t, p)
	sx, sy := center(t, p, sel("scrubber"))
	w := Eval[float64](p, `document.querySelector('[data-testid=scrubber]').getBoundingClientRect().width`)
	mouseClick(t, p, sx-w/4, sy, input.MouseButtonLeft, 0)
	p.WaitFor(fmt.Sprintf(`window.distlabUI.app.runner.now() < %f`, endNow*0.6), 0)
	waitIdle(t, p, 10*time.Second)
	if n := evCount(t, p); n >= endEvents {
		t.Fatalf("after scrubbing back the page shows %d events, as many as at the end (%d)", n, endEvents)
	}
	if got := Eval[int](p, `+document.querySelector('[data-testid=clock]').dataset.events`); got != evCount(t, p) {
		t.Fatalf("clock shows %d events, cache has %d", got, evCount(t, p))
	}
	// The crash and the traitor are still there: they replay.
	if Eval[string](p, `document.querySelector('[data-testid=node-1]').dataset.crashed`) != "true" && Eval[bool](p, `window.distlabUI.app.runner.cache.events.some(e => e.kind === "crash")`) {
		t.Fatalf("after scrubbing back past nothing, P1 should still be crashed")
	}

	// Run to the end again and select two events: a send and its receive.
	click(t, p, "run-end")
	waitIdle(t, p, 60*time.Second)
	click(t, p, "diagram-fit")
	settle(t, p)
	pair := Eval[[]int](p, `(() => { const c = window.distlabUI.app.runner.cache; const m = c.msgList.find(m => m.end >= 0 && m.endKind === "receive" && m.from !== m.to); return m ? [m.send, m.end] : [-1, -1]; })()`)
	if pair[0] < 0 {
		t.Fatal("no delivered message to select")
	}
	// Zoom in around the pair so the dots are well apart.
	Eval[bool](p, fmt.Sprintf(`(() => { const a = window.distlabUI.app; const c = a.runner.cache; a.diagram.reveal(%d, false); const t0 = c.events[%d].t, t1 = c.events[%d].t; const pad = Math.max(200, (t1 - t0)); a.diagram.t0 = Math.max(0, t0 - pad); a.diagram.t1 = t1 + pad; a.diagram.follow = "free"; a.diagram.dirty = true; return true; })()`, pair[0], pair[0], pair[1]))
	settle(t, p)
	clickEvent(t, p, pair[0], false)
	clickEvent(t, p, pair[1], false)
	if a, b := attr(t, p, "diagram", "data-a"), attr(t, p, "diagram", "data-b"); a != fmt.Sprint(pair[0]) || b != fmt.Sprint(pair[1]) {
		t.Fatalf("selected a=%s b=%s, want %d and %d", a, b, pair[0], pair[1])
	}
	waitText(t, p, "relation", "a → b")

	// A cut: toggle cut mode; the page gives a verdict.
	click(t, p, "cut-toggle")
	p.WaitFor(`document.querySelector('[data-testid=diagram]').dataset.cut !== ""`, 0)
	verdict := text(t, p, "cut-verdict")
	if !strings.Contains(verdict, "consistent") {
		t.Fatalf("cut verdict %q", verdict)
	}
	p.Screenshot("ui-workflow-4-selected")

	// Invariants: a badge each, none pending at the end.
	states := Eval[[]string](p, `[...document.querySelectorAll('[data-testid=invariants] li')].map(li => li.dataset.state)`)
	if len(states) == 0 {
		t.Fatal("no invariant badges")
	}
	for _, s := range states {
		if s != "ok" && s != "violated" {
			t.Fatalf("invariant badge in state %q at the end of the run", s)
		}
	}
	// Each badge agrees with the engine.
	engine := Eval[[]bool](p, `window.distlabUI.app.runner.sim.invariants().map(i => i.ok)`)
	for i, ok := range engine {
		want := "violated"
		if ok {
			want = "ok"
		}
		if states[i] != want {
			t.Fatalf("invariant %d shows %s, engine says ok=%v", i, states[i], ok)
		}
	}
}
