package browsertest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Helpers for the UI tests: they drive the page the way a user does (clicks
// at element centres, typing into inputs, keys) and read what it shows (the
// DOM, and the data-* attributes the canvas diagram keeps for tests).

// openUI loads the served page (or the offline file) and waits until the
// page has started its first run.
func openUI(t *testing.T, offline bool) *Page {
	t.Helper()
	p := New(t)
	if offline {
		p.OpenOffline()
	} else {
		p.OpenServed()
	}
	p.WaitReady()
	p.WaitFor(`window.distlabUI && window.distlabUI.ready`, 0)
	return p
}

// sel quotes a data-testid selector.
func sel(testid string) string { return fmt.Sprintf(`[data-testid=%q]`, testid) }

func jsq(s string) string { return strconv.Quote(s) }

// click clicks the centre of the element with the given data-testid, as a mouse would.
func click(t *testing.T, p *Page, testid string) {
	t.Helper()
	clickSel(t, p, sel(testid))
}

func clickSel(t *testing.T, p *Page, css string) {
	t.Helper()
	p.WaitFor(`document.querySelector(`+jsq(css)+`)`, 0)
	x, y := center(t, p, css)
	mouseClick(t, p, x, y, input.MouseButtonLeft, 0)
}

func center(t *testing.T, p *Page, css string) (float64, float64) {
	t.Helper()
	pt := Eval[[]float64](p, `(() => { const el = document.querySelector(`+jsq(css)+`); el.scrollIntoView({block: "nearest", inline: "nearest"}); const r = el.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	return pt[0], pt[1]
}

// mouse dispatches one mouse event at (x, y) in CSS pixels of the viewport.
func mouse(t *testing.T, p *Page, typ input.DispatchMouseEventType, x, y float64, button input.MouseButton, buttons, mods int64) {
	t.Helper()
	_, err := chromedp.Call(p.Ctx(), input.DispatchMouseEvent, input.DispatchMouseEventParams{
		Type: typ, X: x, Y: y, Button: button, Buttons: buttons, Modifiers: mods, ClickCount: 1,
	})
	if err != nil {
		t.Fatalf("mouse %s at %.0f,%.0f: %v", typ, x, y, err)
	}
}

// Modifier bits of Input.dispatchMouseEvent.
const (
	modAlt   = 1
	modShift = 8
)

func mouseClick(t *testing.T, p *Page, x, y float64, button input.MouseButton, mods int64) {
	t.Helper()
	bits := int64(1)
	if button == input.MouseButtonRight {
		bits = 2
	}
	mouse(t, p, input.DispatchMouseEventTypeMouseMoved, x, y, input.MouseButtonNone, 0, mods)
	mouse(t, p, input.DispatchMouseEventTypeMousePressed, x, y, button, bits, mods)
	mouse(t, p, input.DispatchMouseEventTypeMouseReleased, x, y, button, 0, mods)
}

// rightClick opens a context menu at the element's centre.
func rightClick(t *testing.T, p *Page, testid string) {
	t.Helper()
	x, y := center(t, p, sel(testid))
	mouseClick(t, p, x, y, input.MouseButtonRight, 0)
}

// drag presses at (x0, y0), moves in steps to (x1, y1) and releases.
func drag(t *testing.T, p *Page, x0, y0, x1, y1 float64) {
	t.Helper()
	mouse(t, p, input.DispatchMouseEventTypeMouseMoved, x0, y0, input.MouseButtonNone, 0, 0)
	mouse(t, p, input.DispatchMouseEventTypeMousePressed, x0, y0, input.MouseButtonLeft, 1, 0)
	for i := 1; i <= 8; i++ {
		f := float64(i) / 8
		mouse(t, p, input.DispatchMouseEventTypeMouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, input.MouseButtonLeft, 1, 0)
	}
	mouse(t, p, input.DispatchMouseEventTypeMouseReleased, x1, y1, input.MouseButtonLeft, 0, 0)
}

// press sends one key (a name such as "ArrowRight", or a character) to the focused element.
func press(t *testing.T, p *Page, key string) {
	t.Helper()
	p.Do(chromedp.KeyEvent(keyOf(key)))
}

func keyOf(k string) string {
	switch k {
	case "ArrowRight":
		return kb.ArrowRight
	case "ArrowLeft":
		return kb.ArrowLeft
	case "ArrowUp":
		return kb.ArrowUp
	case "ArrowDown":
		return kb.ArrowDown
	case "Enter":
		return kb.Enter
	case "Escape":
		return kb.Escape
	case "Home":
		return kb.Home
	case "End":
		return kb.End
	}
	return k
}

// setValue types a new value into an input (selecting what was there) and commits it, as a user does.
func setValue(t *testing.T, p *Page, testid, value string) {
	t.Helper()
	css := sel(testid)
	p.WaitFor(`document.querySelector(`+jsq(css)+`)`, 0)
	Eval[bool](p, `(() => { const el = document.querySelector(`+jsq(css)+`); el.scrollIntoView({block: "nearest"}); el.focus(); el.select && el.select(); return true; })()`)
	// Typing replaces the selected text; Tab commits it (a change event), as a user does.
	p.Do(chromedp.KeyEvent(value + "\t"))
}

// selectOption picks an option of a <select> and fires change, as choosing it with the mouse does.
func selectOption(t *testing.T, p *Page, testid, value string) {
	t.Helper()
	css := sel(testid)
	p.WaitFor(`document.querySelector(`+jsq(css)+`)`, 0)
	p.Do(chromedp.SetValue(chromedp.CSS(css), value))
	Eval[bool](p, `(() => { const el = document.querySelector(`+jsq(css)+`); el.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)
}

func text(t *testing.T, p *Page, testid string) string {
	t.Helper()
	return Eval[string](p, `(document.querySelector(`+jsq(sel(testid))+`) || {}).textContent || ""`)
}

func attr(t *testing.T, p *Page, testid, name string) string {
	t.Helper()
	return Eval[string](p, `(document.querySelector(`+jsq(sel(testid))+`) || {getAttribute: () => ""}).getAttribute(`+jsq(name)+`) || ""`)
}

func exists(t *testing.T, p *Page, testid string) bool {
	t.Helper()
	return Eval[bool](p, `!!document.querySelector(`+jsq(sel(testid))+`)`)
}

// waitText waits until the element's text contains want.
func waitText(t *testing.T, p *Page, testid, want string) {
	t.Helper()
	p.WaitFor(`((document.querySelector(`+jsq(sel(testid))+`) || {}).textContent || "").includes(`+jsq(want)+`)`, 0)
}

// settle waits two animation frames so that the views have drawn what the last action changed.
func settle(t *testing.T, p *Page) {
	t.Helper()
	Eval[bool](p, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
}

// waitIdle waits until the page is neither playing nor running a long task.
func waitIdle(t *testing.T, p *Page, timeout time.Duration) {
	t.Helper()
	p.WaitFor(`!window.distlabUI.app.runner.playing && !window.distlabUI.app.runner.task`, timeout)
	settle(t, p)
}

func trimLines(s string) string { return strings.TrimSpace(s) }
