package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The page on the screens a lecturer and a student use: a 1280×720
// projector (the reference), 1366×768 and 1920×1080 laptops and monitors, a
// phone, and course-page iframes. These tests check the layout's geometry
// (nothing overlapping, clipped or off screen, the space-time diagram big
// enough to read) for every protocol's default scenario, and save a
// screenshot of each (artifacts/polish-*.png) for a person to look at.

// polishProtocols are the protocols whose default scenarios the layout is checked with.
var polishProtocols = []string{"script", "snapshot", "deadlock-cmh", "deadlock-central", "om", "pbft"}

// shotViewport saves what the viewport shows (not the whole scrollable page).
func shotViewport(t *testing.T, p *Page, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx(), ActionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(Artifacts(t), sanitize(name)+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadDefault runs protocol name's default scenario to its end.
func loadDefault(t *testing.T, p *Page, name string) {
	t.Helper()
	loadScenario(t, p, Eval[string](p, `JSON.stringify(DistLab.protocols().find(x => x.name === `+jsq(name)+`).default)`))
	runToEnd(t, p)
}

// setTheme switches the theme as the toggle does and lets the canvases repaint.
func setTheme(t *testing.T, p *Page, theme string) {
	t.Helper()
	Eval[bool](p, `(() => { if (window.distlabUI.app.theme.current() !== `+jsq(theme)+`) window.distlabUI.app.theme.toggle(); return true; })()`)
	settle(t, p)
}

// layoutReport measures the page: what overlaps, what is off screen, the
// diagram's size. Rectangles are in CSS pixels of the viewport.
const layoutProbe = `(() => {
	const out = {problems: []};
	const W = innerWidth, H = innerHeight;
	const vis = (el) => { if (!el) return false; const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden"; };
	const rect = (el) => el.getBoundingClientRect();
	const name = (el) => el.dataset.testid || el.id || (el.className && el.className.baseVal === undefined ? String(el.className).split(" ")[0] : el.tagName);
	const meet = (a, b, tol = 1) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > tol && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > tol;
	out.hOverflow = document.documentElement.scrollWidth - W;
	out.vOverflow = document.documentElement.scrollHeight - H;

	// Panels: on screen, apart.
	const panelNames = {config: "config", "protocol-view": "protocol-view", diagram: "diagram", checks: "checks", inspector: "inspector"};
	const pname = (el) => panelNames[el.id] || (el.classList.contains("topo") ? "topo" : name(el));
	const panels = [...document.querySelectorAll("#config, .topo, #protocol-view, #diagram, #checks, #inspector")].filter(vis);
	out.panels = panels.map(pname);
	for (const el of panels) {
		const r = rect(el);
		if (r.left < -1 || r.top < -1 || r.right > W + 1 || (out.vOverflow <= 1 && r.bottom > H + 1)) out.problems.push("panel " + pname(el) + " is off screen: " + JSON.stringify([r.left, r.top, r.right, r.bottom].map(Math.round)));
	}
	for (let i = 0; i < panels.length; i++) for (let j = i + 1; j < panels.length; j++) {
		if (meet(rect(panels[i]), rect(panels[j]))) out.problems.push("panels overlap: " + pname(panels[i]) + " and " + pname(panels[j]));
	}

	// The top bar: its controls on screen and apart.
	const bar = document.querySelector(".topbar");
	out.topbarHeight = rect(bar).height;
	const ctl = [...bar.querySelectorAll("button, input, output, a, .brand-name")].filter(vis);
	for (const el of ctl) {
		const r = rect(el);
		if (r.left < -1 || r.right > W + 1) out.problems.push("top bar control off screen: " + name(el));
	}
	for (let i = 0; i < ctl.length; i++) for (let j = i + 1; j < ctl.length; j++) {
		if (ctl[i].contains(ctl[j]) || ctl[j].contains(ctl[i])) continue;
		if (meet(rect(ctl[i]), rect(ctl[j]), 2)) out.problems.push("top bar controls overlap: " + name(ctl[i]) + " and " + name(ctl[j]));
	}

	// The diagram.
	const cv = document.querySelector("[data-testid=diagram]");
	out.diagramHeight = vis(cv) ? rect(cv).height : 0;
	out.diagramWidth = vis(cv) ? rect(cv).width : 0;

	// Text in the protocol view: no two runs of text drawn over each other.
	const pv = document.querySelector("#protocol-view");
	if (vis(pv)) {
		const boxes = [];
		const walker = document.createTreeWalker(pv, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			if (!n.textContent.trim() || n.parentElement.closest("select, option, svg, title")) continue;
			const range = document.createRange();
			range.selectNodeContents(n);
			for (const r of range.getClientRects()) if (r.width > 0 && r.height > 0) boxes.push({r, node: n, text: n.textContent.trim().slice(0, 30)});
		}
		out.viewTexts = boxes.length;
		for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
			if (boxes[i].node !== boxes[j].node && meet(boxes[i].r, boxes[j].r, 2)) { out.problems.push("text overlaps in the protocol view: " + JSON.stringify(boxes[i].text) + " and " + JSON.stringify(boxes[j].text)); if (out.problems.length > 20) return out; }
		}
		const head = pv.querySelector(".pv-head");
		out.viewHead = head ? head.textContent : "";
	}

	// Topology: a node's texts must not run into another node's texts or circle.
	const nodes = [...document.querySelectorAll(".topo-svg .node")];
	const items = [];
	nodes.forEach((g, i) => {
		for (const t of g.querySelectorAll("text")) if (t.textContent.trim()) items.push({node: i, r: rect(t), what: t.getAttribute("class") + " " + t.textContent.slice(0, 24)});
		items.push({node: i, r: rect(g.querySelector("circle.body")), what: "circle of " + (g.dataset.testid || i)});
	});
	for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) {
		if (items[i].node === items[j].node) continue;
		if (items[i].what.startsWith("circle") && items[j].what.startsWith("circle")) continue;
		if (meet(items[i].r, items[j].r, 2)) out.problems.push("topology labels overlap: " + JSON.stringify(items[i].what) + " and " + JSON.stringify(items[j].what));
	}
	return out;
})()`

type layoutReport struct {
	Problems      []string `json:"problems"`
	HOverflow     float64  `json:"hOverflow"`
	VOverflow     float64  `json:"vOverflow"`
	Panels        []string `json:"panels"`
	TopbarHeight  float64  `json:"topbarHeight"`
	DiagramHeight float64  `json:"diagramHeight"`
	DiagramWidth  float64  `json:"diagramWidth"`
	ViewTexts     int      `json:"viewTexts"`
	ViewHead      string   `json:"viewHead"`
}

func measureLayout(t *testing.T, p *Page) layoutReport {
	t.Helper()
	raw := Eval[string](p, `JSON.stringify(`+layoutProbe+`)`)
	var r layoutReport
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("layout report: %v", err)
	}
	return r
}

// checkDesktop asserts what every desktop screen must give: one screen, no
// overlaps, a single-row top bar, a diagram of at least minFrac of the height.
func checkDesktop(t *testing.T, what string, r layoutReport, h int64, minFrac float64) {
	t.Helper()
	for _, pr := range r.Problems {
		t.Errorf("%s: %s", what, pr)
	}
	if r.HOverflow > 1 || r.VOverflow > 1 {
		t.Errorf("%s: the page scrolls (%.0f px wider, %.0f px taller than the screen)", what, r.HOverflow, r.VOverflow)
	}
	if r.TopbarHeight > 64 {
		t.Errorf("%s: the top bar is %.0f px high (wrapped into two rows?)", what, r.TopbarHeight)
	}
	if r.DiagramHeight < minFrac*float64(h) {
		t.Errorf("%s: the space-time diagram is %.0f px high, less than %.0f%% of %d", what, r.DiagramHeight, minFrac*100, h)
	}
}

// TestUIPolishProjector: each protocol's default scenario on a 1280×720
// projector in both themes, and on 1366×768 and 1920×1080 screens.
func TestUIPolishProjector(t *testing.T) {
	p := openUI(t, false)
	for _, c := range []struct {
		w, h  int64
		theme string
	}{{1280, 720, "light"}, {1280, 720, "dark"}, {1366, 768, "light"}, {1920, 1080, "dark"}} {
		viewport(t, p, c.w, c.h)
		setTheme(t, p, c.theme)
		for _, name := range polishProtocols {
			loadDefault(t, p, name)
			// A selected process, as in a lecture (its row and links highlighted, the inspector filled).
			Eval[bool](p, `(window.distlabUI.app.selection.setNode(0), true)`)
			settle(t, p)
			what := fmt.Sprintf("%s at %dx%d (%s)", name, c.w, c.h, c.theme)
			r := measureLayout(t, p)
			checkDesktop(t, what, r, c.h, 0.4)
			hasView := Eval[bool](p, `!document.querySelector("#protocol-view").hidden`)
			if name != "script" && !hasView {
				t.Errorf("%s: no protocol view", what)
			}
			if hasView && r.ViewTexts == 0 {
				t.Errorf("%s: the protocol view shows no text", what)
			}
			shotViewport(t, p, fmt.Sprintf("polish-%s-%dx%d-%s", name, c.w, c.h, c.theme))
		}
	}
}

// TestUIPolishOMHead: the OM view's head reads as words ("4 generals
// commander G"), not run together, whatever lays it out.
func TestUIPolishOMHead(t *testing.T) {
	p := openUI(t, false)
	viewport(t, p, 1280, 720)
	loadDefault(t, p, "om")
	head := strings.Join(strings.Fields(text(t, p, "om-head")), " ")
	if !strings.Contains(head, "generals commander G") {
		t.Errorf("the OM head reads %q", head)
	}
	// Each entry of a lieutenant's tree reads "G → L2 ATTACK", "G ATTACK ⇒ majority ATTACK".
	entries := Eval[[]string](p, `[...document.querySelectorAll(".om-card .om-entry, .om-card-head")].map(c => c.textContent)`)
	if len(entries) == 0 {
		t.Fatal("no OM tree entries")
	}
	for _, e := range entries {
		for _, bad := range []string{"GATTACK", "GRETREAT", "ATTACK⇒", "RETREAT⇒", "L1decides", "L2decides", "L3decides", "equivocatedecides"} {
			if strings.Contains(e, bad) {
				t.Errorf("an OM tree entry runs together: %q", e)
			}
		}
	}
}

// TestUIPolishEmbed: an embedded sandbox ("full" view, the default) at the
// sizes course pages give their iframes keeps every panel on one screen
// with a readable diagram.
func TestUIPolishEmbed(t *testing.T) {
	p := New(t)
	p.OpenServed()
	p.WaitReady()
	base := Eval[string](p, `location.origin + location.pathname`)
	for _, sz := range [][2]int64{{800, 500}, {1000, 600}} {
		for _, proto := range []string{"pbft", "script"} {
			p.Navigate("about:blank")
			p.Navigate(base + "?embed=1&protocol=" + proto)
			p.WaitReady()
			p.WaitFor(`window.distlabUI && window.distlabUI.ready`, 0)
			viewport(t, p, sz[0], sz[1])
			runToEnd(t, p)
			what := fmt.Sprintf("embed %s at %dx%d", proto, sz[0], sz[1])
			r := measureLayout(t, p)
			checkDesktop(t, what, r, sz[1], 0.34)
			want := []string{"topo", "diagram", "checks", "inspector"}
			if proto != "script" {
				want = append(want, "protocol-view")
			}
			for _, w := range want {
				found := false
				for _, got := range r.Panels {
					found = found || got == w
				}
				if !found {
					t.Errorf("%s: %s is not shown (panels: %v)", what, w, r.Panels)
				}
			}
			if r.DiagramWidth < 0.9*float64(sz[0])-40 {
				t.Errorf("%s: the diagram is %.0f px wide: it should span the frame", what, r.DiagramWidth)
			}
			shotViewport(t, p, fmt.Sprintf("polish-embed-%s-%dx%d", proto, sz[0], sz[1]))
		}
	}
}

// TestUIPolishPhone: on a phone the page scrolls down, never sideways, and
// the top bar's controls do not overlap.
func TestUIPolishPhone(t *testing.T) {
	p := openUI(t, false)
	p.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	settle(t, p)
	for _, theme := range []string{"light", "dark"} {
		setTheme(t, p, theme)
		loadDefault(t, p, "pbft")
		Eval[bool](p, `(window.scrollTo(0, 0), true)`)
		settle(t, p)
		r := measureLayout(t, p)
		for _, pr := range r.Problems {
			t.Errorf("phone (%s): %s", theme, pr)
		}
		if r.HOverflow > 1 {
			t.Errorf("phone (%s): the page is %.0f px wider than the screen", theme, r.HOverflow)
		}
		shotViewport(t, p, "polish-phone-pbft-"+theme)
	}
}

// TestUIMenuKeyRace: a node's menu opened with Enter stays open with its
// first item focused even when the rest of the key press (the keypress that
// activates a focused button) comes late, as it does on a loaded machine.
// The menu used to focus its first item from a timer: when the timer ran
// before the keypress, Enter activated "Inspect" and the menu closed
// (TestUIKeyboardThemePhone timed out).
func TestUIMenuKeyRace(t *testing.T) {
	p := openUI(t, false)
	Eval[bool](p, `(document.querySelector('[data-testid=node-0]').focus(), true)`)
	ev := kb.Encode('\r') // keyDown, char (the keypress), keyUp
	if len(ev) != 3 {
		t.Fatalf("Enter encodes as %d events", len(ev))
	}
	if _, err := chromedp.Call(p.Ctx(), input.DispatchKeyEvent, *ev[0]); err != nil {
		t.Fatal(err)
	}
	p.WaitFor(`document.querySelector('[data-testid=node-menu]')`, 0)
	time.Sleep(150 * time.Millisecond) // every timer the keydown started has run
	for _, e := range ev[1:] {
		if _, err := chromedp.Call(p.Ctx(), input.DispatchKeyEvent, *e); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, p)
	if !exists(t, p, "node-menu") {
		t.Fatal("the node menu closed: the Enter that opened it activated an item")
	}
	if role := Eval[string](p, `document.activeElement.getAttribute("role") || ""`); role != "menuitem" {
		t.Fatalf("the focus is on %q, not the menu's first item", role)
	}
	// The next Enter is a new key press: it activates the focused item (Inspect).
	press(t, p, "Enter")
	p.WaitFor(`!document.querySelector('[data-testid=node-menu]')`, 0)
	if sel := Eval[int](p, `window.distlabUI.app.selection.node`); sel != 0 {
		t.Fatalf("Inspect selected %d", sel)
	}

	// The help dialog closes with Escape even when the focus left it.
	press(t, p, "?")
	p.WaitFor(`document.querySelector('[data-testid=help-overlay]').open`, 0)
	press(t, p, "?") // a second ? does not rebuild it under the focus
	Eval[bool](p, `(document.activeElement.blur(), true)`)
	press(t, p, "Escape")
	p.WaitFor(`!document.querySelector('[data-testid=help-overlay]').open`, 0)
}

// TestUITopologyCanvasMessages: with many messages in flight the topology
// paints them on a canvas; clicking one there still opens its menu, and
// dropping it works.
func TestUITopologyCanvasMessages(t *testing.T) {
	p := openUI(t, false)
	viewport(t, p, 1280, 720)
	loadScenario(t, p, `{"protocol": "pbft", "nodes": 16, "until": "2s", "workload": {"clients": 1, "requests": 4}}`)
	// Step until the replicas' PREPAREs fill the network.
	Eval[bool](p, `(() => { const r = window.distlabUI.app.runner; for (let i = 0; i < 400 && r.sim.inFlight().length <= 60; i++) r.step(); return true; })()`)
	settle(t, p)
	p.WaitFor(`document.querySelector('[data-testid=topology]').dataset.messages === "canvas"`, 0)
	if n := Eval[int](p, `document.querySelectorAll('[data-testid=topology] circle.msg').length`); n != 0 {
		t.Fatalf("%d SVG message circles alongside the canvas", n)
	}
	// A message that no other one covers, away from the nodes.
	hit := Eval[[]float64](p, `(() => {
		const t = window.distlabUI.app.topology, b = t.svg.getBoundingClientRect();
		const far = (h) => t.msgHits.every(o => o === h || Math.hypot(o[0] - h[0], o[1] - h[1]) > 3 * t.msgRadius()) && t.nodeAt(h[0], h[1]) < 0;
		const h = t.msgHits.find(far);
		return h ? [b.left + h[0], b.top + h[1], h[2]] : [];
	})()`)
	if len(hit) != 3 {
		t.Fatal("no message stands apart from the others on the canvas")
	}
	id := int(hit[2])
	mouseClick(t, p, hit[0], hit[1], input.MouseButtonLeft, 0)
	p.WaitFor(`document.querySelector('[data-testid=msg-menu]')`, 0)
	if got := text(t, p, "msg-menu"); !strings.Contains(got, fmt.Sprintf("#%d", id)) {
		t.Fatalf("the menu is for another message: %q (clicked #%d)", got, id)
	}
	click(t, p, "msg-drop")
	p.WaitFor(`window.distlabUI.app.runner.liveActions().some(a => JSON.stringify(a).includes("drop"))`, 0)
	p.WaitFor(fmt.Sprintf(`!window.distlabUI.app.topology.inflight.some(m => m.id === %d)`, id), 0)
}
