package browsertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"distlab/core"
	"distlab/protocols"
)

// scriptEvent finds the id of the script run's event on process node whose text contains s.
func scriptEvent(t *testing.T, p *Page, node int, s string) int {
	t.Helper()
	id := Eval[int](p, fmt.Sprintf(`(() => { const e = window.distlabUI.app.runner.cache.events.find(e => e.node === %d && e.text.includes(%s)); return e ? e.id : -1; })()`, node, jsq(s)))
	if id < 0 {
		t.Fatalf("no event %q on P%d", s, node)
	}
	return id
}

// TestUICausalityAndCuts uses the seed's sections 1–3 example (the script
// protocol's default: P0 sends m1 to P1 at 1ms, P1 sends m2 to P2 at 4ms, P0
// has a local event e2 at 5ms; latency 2ms) and checks the relations and cut
// verdicts the page shows against what the book says: send(m1) → receive(m2)
// at P2 by transitivity, e2 ∥ receive(m2) (VC [2,0,0] vs [1,2,1]); a cut
// that holds P1's receive of m1 but not P0's send is inconsistent because of m1.
func TestUICausalityAndCuts(t *testing.T) {
	p := openUI(t, false)
	switchProtocol(t, p, "script")
	click(t, p, "run-end")
	waitIdle(t, p, 30*time.Second)
	click(t, p, "diagram-fit")
	settle(t, p)

	send1 := scriptEvent(t, p, 0, "send m1")
	recv2 := scriptEvent(t, p, 2, "receive m2")
	e2 := scriptEvent(t, p, 0, "e2")

	clickEvent(t, p, send1, false)
	clickEvent(t, p, recv2, false)
	waitText(t, p, "relation", "a → b")
	if r := attr(t, p, "diagram", "data-relation"); r != "before" {
		t.Fatalf("send m1 vs receive m2: relation %q, want before", r)
	}
	// A third click starts again; then e2 and the receive are concurrent.
	clickEvent(t, p, e2, false)
	clickEvent(t, p, recv2, false)
	waitText(t, p, "relation", "concurrent")
	// Shift+click picks b directly: receive m2 then send m1 is "after".
	clickEvent(t, p, recv2, false)
	clickEvent(t, p, send1, true)
	waitText(t, p, "relation", "b → a")

	// Clocks on demand.
	selectOption(t, p, "clocks-select", "vector")
	settle(t, p)
	p.Screenshot("ui-causal-vector-clocks")
	selectOption(t, p, "clocks-select", "lamport")

	// A vertical cut at 2ms (Alt+click): m1 sent, not yet received: consistent.
	press(t, p, "Escape")
	click(t, p, "cut-toggle")
	at := func(node int, us float64) (float64, float64) {
		pt := Eval[[]float64](p, fmt.Sprintf(`(() => { const q = window.distlabUI.rowPoint(%d, %f); return [q.x, q.y]; })()`, node, us))
		return pt[0], pt[1]
	}
	x, y := at(1, 2000)
	mouseClick(t, p, x, y, input.MouseButtonLeft, modAlt)
	p.WaitFor(`document.querySelector('[data-testid=diagram]').dataset.cut === "consistent"`, 0)
	waitText(t, p, "cut-verdict", "consistent")
	// Move P1's point past its receive of m1 (3ms): still consistent (the send is inside).
	x, y = at(1, 3600)
	mouseClick(t, p, x, y, input.MouseButtonLeft, 0)
	p.WaitFor(`window.distlabUI.app.selection.cut[1] > 1`, 0)
	waitText(t, p, "cut-verdict", "consistent")
	// Move P0's point before its send (0.5ms): P1 receives m1 inside, P0 sends it outside.
	x, y = at(0, 500)
	mouseClick(t, p, x, y, input.MouseButtonLeft, 0)
	p.WaitFor(`document.querySelector('[data-testid=diagram]').dataset.cut === "inconsistent"`, 0)
	v := text(t, p, "cut-verdict")
	if !strings.Contains(v, "inconsistent") || !strings.Contains(v, "m1") {
		t.Fatalf("cut verdict %q, want inconsistent because of m1", v)
	}
	p.Screenshot("ui-cut-inconsistent")

	// The engine agrees with the page's cut.
	want := Eval[bool](p, `window.distlabUI.app.runner.sim.checkCut(window.distlabUI.app.selection.cut).consistent`)
	if want {
		t.Fatal("the engine calls the page's cut consistent")
	}
}

// TestUISummaryMatchesCLI runs each registered protocol's default scenario in
// the page (picked in the picker, run to the end with the button) and checks
// that the summary the page shows equals `distlab run --json` for the page's
// own scenario, to the trace hash.
func TestUISummaryMatchesCLI(t *testing.T) {
	p := openUI(t, false)
	bin := filepath.Join(Root(t), "bin", "distlab")
	names := Eval[[]string](p, `DistLab.protocols().map(x => x.name)`)
	for i, name := range names {
		if i >= 4 {
			break // keep the test lean; the smoke test covers the engine itself
		}
		switchProtocol(t, p, name)
		click(t, p, "run-end")
		waitIdle(t, p, 60*time.Second)
		// Open the Summary section and ask for it.
		Eval[bool](p, `(() => { document.querySelector('[data-testid=section-summary]').open = true; return true; })()`)
		click(t, p, "summary-button")
		p.WaitFor(`document.querySelector('[data-testid=summary-json]').textContent.startsWith("{")`, 0)
		page := text(t, p, "summary-json")
		scenario := Eval[string](p, `window.distlabUI.app.runner.sim.exportScenario()`)
		var cli []byte
		if _, err := os.Stat(bin); err == nil {
			f := filepath.Join(t.TempDir(), name+".json")
			os.WriteFile(f, []byte(scenario), 0o644)
			cmd := exec.Command(bin, "run", f, "--json")
			var out bytes.Buffer
			cmd.Stdout = &out
			_ = cmd.Run() // exit 1 when an invariant is violated: still a summary
			cli = bytes.TrimSpace(out.Bytes())
		} else {
			sim, err := core.NewFromJSON([]byte(scenario), protocols.Catalog)
			if err != nil {
				t.Fatal(err)
			}
			sim.Run()
			cli, _ = json.Marshal(sim.Summarize())
		}
		if a, b := canonical(t, "page", []byte(page)), canonical(t, "cli", cli); a != b {
			t.Fatalf("%s: the page's summary differs from the command line's\npage: %s\ncli:  %s", name, a, b)
		}
	}
}

// TestUIBadInput feeds the page an invalid scenario, absurd sizes and an
// engine error: each shows a readable error in the page, and the previous run
// stays as it was and keeps working.
func TestUIBadInput(t *testing.T) {
	p := openUI(t, false)
	switchProtocol(t, p, "script")
	click(t, p, "step")
	click(t, p, "step")
	n := evCount(t, p)
	title := text(t, p, "protocol-title")

	Eval[bool](p, `(() => { document.querySelector('[data-testid=section-json]').open = true; return true; })()`)
	setJSON := func(s string) {
		Eval[bool](p, `(() => { const ta = document.querySelector('[data-testid=scenario-json]'); ta.value = `+jsq(s)+`; return true; })()`)
		click(t, p, "scenario-apply")
	}
	// An unknown protocol: the error names it and suggests the closest.
	setJSON(`{"protocol": "scirpt"}`)
	waitText(t, p, "toasts", "protocol")
	msg := text(t, p, "error-message")
	if !strings.Contains(msg, "scirpt") {
		t.Fatalf("error %q does not say what was wrong", msg)
	}
	// Not JSON at all.
	setJSON(`{"protocol": `)
	waitText(t, p, "toasts", "not valid JSON")
	// 100,000 nodes.
	click(t, p, "toast-close")
	setValue(t, p, "nodes-input", "100000")
	waitText(t, p, "toasts", "nodes")
	if attr(t, p, "nodes-input", "aria-invalid") != "true" {
		t.Fatal("the nodes input is not marked invalid")
	}
	p.Screenshot("ui-bad-input")
	// A scheduled fault naming a node that does not exist.
	Eval[bool](p, `(() => { document.querySelector('[data-testid=section-faults]').open = true; return true; })()`)
	selectOption(t, p, "fault-verb", "partition")
	setValue(t, p, "fault-groups", "0 | 99")
	click(t, p, "fault-add")
	waitText(t, p, "toasts", "99")
	// An engine error on a live action: crashing a node twice.
	Eval[bool](p, `window.distlabUI.app.inject({crash: 0})`)
	Eval[bool](p, `window.distlabUI.app.inject({crash: 0}) === false`)
	waitText(t, p, "toasts", "already crashed")

	// The previous run is intact and still works.
	if got := text(t, p, "protocol-title"); got != title {
		t.Fatalf("protocol changed to %q", got)
	}
	if Eval[int](p, `window.distlabUI.state().scenario.nodes`) != 3 {
		t.Fatal("the scenario changed after a refused edit")
	}
	if got := evCount(t, p); got < n {
		t.Fatalf("events went from %d to %d", n, got)
	}
	before := evCount(t, p)
	click(t, p, "step")
	p.WaitFor(fmt.Sprintf(`window.distlabUI.app.runner.cache.length > %d`, before), 0)
}

// TestUINoHTMLInjection: no module of the page writes markup from strings.
func TestUINoHTMLInjection(t *testing.T) {
	root := Root(t)
	err := filepath.Walk(filepath.Join(root, "web"), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".js") || strings.HasSuffix(path, "boot.js") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s uses %s: build DOM nodes and set textContent instead", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUIKeyboardThemePhone: the help overlay, the node menu from the
// keyboard, shortcuts, the dark theme, and a phone-sized screen.
func TestUIKeyboardThemePhone(t *testing.T) {
	p := openUI(t, false)
	press(t, p, "?")
	p.WaitFor(`document.querySelector('[data-testid=help-overlay]').open`, 0)
	p.Screenshot("ui-help")
	press(t, p, "Escape")
	p.WaitFor(`!document.querySelector('[data-testid=help-overlay]').open`, 0)

	// A node's menu from the keyboard: focus it, Enter, Escape gives the focus back.
	Eval[bool](p, `(() => { document.querySelector('[data-testid=node-0]').focus(); return true; })()`)
	press(t, p, "Enter")
	p.WaitFor(`document.querySelector('[data-testid=node-menu]')`, 0)
	// The menu takes the focus (its first item) once the key is handled.
	p.WaitFor(`document.activeElement.getAttribute("role") === "menuitem"`, 0)
	press(t, p, "Escape")
	p.WaitFor(`!document.querySelector('[data-testid=node-menu]') && document.activeElement.dataset.testid === "node-0"`, 0)

	// Shortcuts: → steps, ← steps back.
	Eval[bool](p, `(() => { document.activeElement.blur(); return true; })()`)
	press(t, p, "ArrowRight")
	p.WaitFor(`window.distlabUI.app.runner.cache.length > 0`, 0)
	n := evCount(t, p)
	press(t, p, "ArrowRight")
	p.WaitFor(fmt.Sprintf(`window.distlabUI.app.runner.cache.length > %d`, n), 0)
	press(t, p, "ArrowLeft")
	p.WaitFor(fmt.Sprintf(`window.distlabUI.app.runner.cache.length <= %d`, n), 0)
	press(t, p, "End")
	waitIdle(t, p, 30*time.Second)

	// Dark theme.
	click(t, p, "theme-toggle")
	dark := Eval[string](p, `document.documentElement.dataset.theme`)
	if dark != "dark" && dark != "light" {
		t.Fatalf("theme %q", dark)
	}
	if dark == "light" {
		click(t, p, "theme-toggle")
	}
	p.WaitFor(`document.documentElement.dataset.theme === "dark"`, 0)
	switchProtocol(t, p, Eval[string](p, `DistLab.protocols().at(-1).name`))
	click(t, p, "run-end")
	waitIdle(t, p, 60*time.Second)
	click(t, p, "node-0")
	settle(t, p)
	p.Screenshot("ui-dark")

	// A phone.
	p.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	settle(t, p)
	time.Sleep(200 * time.Millisecond)
	settle(t, p)
	if over := Eval[float64](p, `document.documentElement.scrollWidth - window.innerWidth`); over > 1 {
		t.Fatalf("the page is %v px wider than a phone's screen", over)
	}
	p.Screenshot("ui-phone")
	click(t, p, "theme-toggle")
	p.WaitFor(`document.documentElement.dataset.theme === "light"`, 0)
	p.Screenshot("ui-phone-light")
}

// TestUIOffline: the single-file page opened from disk runs the same UI.
func TestUIOffline(t *testing.T) {
	p := openUI(t, true)
	click(t, p, "run-end")
	waitIdle(t, p, 30*time.Second)
	if evCount(t, p) == 0 {
		t.Fatal("the offline page ran nothing")
	}
	if attr(t, p, "diagram", "data-events") == "0" {
		t.Fatal("the offline page's diagram shows no events")
	}
	p.Screenshot("ui-offline")
	p.AssertLocalRequests()
}
