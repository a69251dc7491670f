package browsertest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Helpers for the protocol-view, share, embed and export tests
// (views_*_test.go).

// openScenario opens the served page and replaces its first run with the
// scenario (JSON), as loading one in the settings does.
func openScenario(t *testing.T, scenario string) *Page {
	t.Helper()
	p := openUI(t, false)
	viewport(t, p, 1600, 1000)
	loadScenario(t, p, scenario)
	return p
}

// loadScenario makes the page run the scenario (JSON) and waits for the new run.
func loadScenario(t *testing.T, p *Page, scenario string) {
	t.Helper()
	if !json.Valid([]byte(scenario)) {
		t.Fatalf("loadScenario: not JSON: %s", scenario)
	}
	ok := Eval[bool](p, `window.distlabUI.app.applyScenario(`+scenario+`, {replaceLive: true})`)
	if !ok {
		t.Fatalf("the page refused the scenario %s%s", scenario, p.consoleTail())
	}
	settle(t, p)
}

// runToEnd runs the page's simulation to its end (as the End key does) and
// waits until the page stands still and the views have drawn.
func runToEnd(t *testing.T, p *Page) {
	t.Helper()
	Eval[bool](p, `(window.distlabUI.app.runner.runToEnd(), true)`)
	p.WaitFor(`window.distlabUI.app.runner.sim.done()`, 90*time.Second)
	waitIdle(t, p, 0)
	settle(t, p)
}

// viewShown waits until the protocol-view panel is visible and holds the
// element with the given data-testid.
func viewShown(t *testing.T, p *Page, testid string) {
	t.Helper()
	p.WaitFor(`(() => { const v = document.querySelector('[data-testid="protocol-view"]'); return v && !v.hidden && v.querySelector(`+jsq(sel(testid))+`); })()`, 0)
}

// screenshotPanel saves a screenshot of the whole page and one of the
// protocol-view panel alone (artifacts/<name>.png, <name>-panel.png).
func screenshotPanel(t *testing.T, p *Page, name string) {
	t.Helper()
	settle(t, p)
	p.Screenshot(name)
	// The panel scrolls; lift it out of the layout for a moment to capture all of it.
	Eval[bool](p, `(() => { const v = document.querySelector('[data-testid="protocol-view"]'); Object.assign(v.style, {position: "fixed", left: "0", top: "0", width: "480px", height: "auto", maxHeight: "none", overflow: "visible", zIndex: "1000"}); return true; })()`)
	settle(t, p)
	elementShot(t, p, sel("protocol-view"), name+"-panel")
	Eval[bool](p, `(() => { const v = document.querySelector('[data-testid="protocol-view"]'); for (const k of ["position", "left", "top", "width", "height", "max-height", "overflow", "z-index"]) v.style.removeProperty(k); return true; })()`)
}

// elementShot saves a screenshot of the element matching css to artifacts/<name>.png.
func elementShot(t *testing.T, p *Page, css, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx(), ActionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", css, err)
	}
	out := filepath.Join(Artifacts(t), sanitize(name)+".png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// viewport resizes the page's viewport (CSS pixels).
func viewport(t *testing.T, p *Page, w, h int64) {
	t.Helper()
	p.Do(chromedp.EmulateViewport(w, h))
	settle(t, p)
}

// extras makes sure the page's share, export and embed additions
// (web/extras.js) have started and finished loading the address's fragment.
func extras(t *testing.T, p *Page) {
	t.Helper()
	Eval[bool](p, `(async () => { if (!window.distlabExtras) { const m = await import("./web/extras.js"); await m.startExtras(window.distlabUI.app); } await window.distlabExtras.done; return true; })()`)
	settle(t, p)
}
