package browsertest

import (
	"strconv"
	"strings"
	"testing"
)

// shareState is what both ends of a share link report about their run.
type shareState struct {
	Now    float64 `json:"now"`
	Events int     `json:"events"`
	Steps  int     `json:"steps"`
	Hash   string  `json:"hash"`
	Node   int     `json:"node"`
	Proto  string  `json:"proto"`
}

const readShareState = `(() => { const a = window.distlabUI.app, s = a.runner.sim;
	return {now: s.now(), events: s.eventCount(), steps: s.steps(), hash: s.summary().trace_sha256, node: a.selection.node, proto: a.runner.info.name}; })()`

// TestShareRoundTrip: a PBFT run with live actions injected after playing
// forward (a crash, a recovery, a message dropped by id), then a seek back to
// an earlier instant. The link opened in a fresh page lands on the same
// instant with the same trace (same trace_sha256 so far), and both runs,
// played to the end, have the same trace hash.
func TestShareRoundTrip(t *testing.T) {
	p := openScenario(t, `{"protocol": "pbft", "seed": 7, "nodes": 4, "until": "1.5s",
		"network": {"latency": "1ms..10ms"}, "workload": {"requests": 4, "clients": 1},
		"faults": [{"at": "0s", "byzantine": 3, "strategy": "wrong-digest"}]}`)
	extras(t, p)
	seekTo := func(us int) {
		Eval[bool](p, `(window.distlabUI.app.runner.seekTime(`+itoa(us)+`), true)`)
		waitIdle(t, p, 0)
	}
	inject := func(action string) {
		if !Eval[bool](p, `window.distlabUI.app.inject(`+action+`)`) {
			t.Fatalf("the page refused %s%s", action, p.consoleTail())
		}
		settle(t, p)
	}
	seekTo(12000)
	// Drop a message in flight, by its id.
	id := Eval[int](p, `(() => { const m = window.distlabUI.app.runner.sim.inFlight(); return m.length ? m[0].id : -1; })()`)
	if id < 0 {
		t.Fatal("no message in flight at 12ms to drop")
	}
	inject(`{"drop": {"id": ` + itoa(id) + `}}`)
	seekTo(30000)
	inject(`{"crash": 1}`)
	seekTo(400000)
	inject(`{"recover": 1}`)
	seekTo(600000)
	live := Eval[int](p, `window.distlabUI.app.runner.sim.liveActions().length`)
	if live != 3 {
		t.Fatalf("live actions = %d, want 3", live)
	}
	// Back to 250ms: the recovery lies ahead, recorded.
	seekTo(250000)
	Eval[bool](p, `(window.distlabUI.app.selection.setNode(2), true)`)
	sender := Eval[shareState](p, readShareState)

	link := Eval[string](p, `import("./web/share.js").then(m => m.shareLink(window.distlabUI.app)).then(l => l.url)`)
	if !strings.Contains(link, "#s1.") {
		t.Fatalf("link %q has no #s1. fragment", link)
	}
	t.Logf("share link: %d characters for a PBFT run with 3 live actions", len(link))

	Eval[bool](p, `(window.distlabUI.app.runner.runToEnd(), true)`)
	p.WaitFor(`window.distlabUI.app.runner.sim.done()`, 0)
	waitIdle(t, p, 0)
	senderEnd := Eval[string](p, `window.distlabUI.app.runner.sim.summary().trace_sha256`)

	// The recipient: a fresh document at the link.
	p.Navigate("about:blank")
	p.Navigate(link)
	p.WaitReady()
	p.WaitFor(`window.distlabUI && window.distlabUI.ready`, 0)
	extras(t, p)
	got := Eval[shareState](p, readShareState)
	if got != sender {
		t.Errorf("the link landed on %+v, the sender was at %+v", got, sender)
	}
	if exists(t, p, "fragment-error") {
		t.Errorf("the link shows an error: %s", text(t, p, "fragment-error"))
	}
	Eval[bool](p, `(window.distlabUI.app.runner.runToEnd(), true)`)
	p.WaitFor(`window.distlabUI.app.runner.sim.done()`, 0)
	waitIdle(t, p, 0)
	if h := Eval[string](p, `window.distlabUI.app.runner.sim.summary().trace_sha256`); h != senderEnd {
		t.Errorf("played to the end: trace_sha256 %s, the sender's %s", h, senderEnd)
	}
}

// TestShareTamperedFragment: a damaged link shows a readable error and the
// page keeps working with its default run; a link whose scenario is invalid
// shows the engine's own message.
func TestShareTamperedFragment(t *testing.T) {
	p := openUI(t, false)
	extras(t, p)
	good := Eval[string](p, `import("./web/share.js").then(m => m.shareLink(window.distlabUI.app)).then(l => l.fragment)`)
	base := Eval[string](p, `location.origin + location.pathname`)
	cases := []struct{ name, frag, want string }{
		{"cut short", good[:len(good)/2], "damaged"},
		{"flipped characters", good[:10] + strings.Map(func(r rune) rune {
			if r == 'A' {
				return 'B'
			}
			if r == 'B' {
				return 'A'
			}
			return r
		}, good[10:]), "damaged"},
		{"not base64", "s1.<script>alert(1)</script>", "characters a share link never contains"},
		{"other version", "s9.AAAA", "version 9"},
		{"not a link", "hello", "not a distlab share link"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p.Navigate("about:blank")
			p.Navigate(base + "#" + c.frag)
			p.WaitReady()
			p.WaitFor(`window.distlabUI && window.distlabUI.ready`, 0)
			extras(t, p)
			msg := text(t, p, "fragment-error-message")
			if !strings.Contains(msg, c.want) && !strings.Contains(msg, "damaged") {
				t.Errorf("error for %s: %q, want it to mention %q", c.name, msg, c.want)
			}
			// The default run still works.
			if Eval[string](p, `window.distlabUI.app.runner.info.name`) == "" {
				t.Errorf("no run after a bad link")
			}
			Eval[bool](p, `(window.distlabUI.app.runner.runToEnd(), true)`)
			p.WaitFor(`window.distlabUI.app.runner.sim.done()`, 0)
			if Eval[int](p, `document.querySelectorAll("script:not([src]):not([type])").length`) != 0 {
				t.Errorf("the fragment's text became a script element")
			}
		})
	}
	p.Screenshot("share-tampered")

	// A well-formed link with a scenario the engine refuses: its message, with the path.
	frag := Eval[string](p, `import("./web/share.js").then(m => m.encodeState({v: 1, sc: {protocol: "pbft", nodes: 4, netwrok: {}}}))`)
	p.Navigate("about:blank")
	p.Navigate(base + "#" + frag)
	p.WaitReady()
	p.WaitFor(`window.distlabUI && window.distlabUI.ready`, 0)
	extras(t, p)
	msg := text(t, p, "fragment-error-message")
	if !strings.Contains(msg, "scenario") || !strings.Contains(msg, "network") {
		t.Errorf("invalid scenario in a link: %q, want the engine's message (with its suggestion)", msg)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestShareDialog: the Share button opens a dialog with the link (a #s1.
// fragment) and an embed snippet; "Copy link" also puts the fragment in the
// address bar.
func TestShareDialog(t *testing.T) {
	p := openScenario(t, `{"protocol": "om"}`)
	runToEnd(t, p)
	click(t, p, "share-button")
	p.WaitFor(`document.querySelector('[data-testid="share-dialog"]').open`, 0)
	link := Eval[string](p, `document.querySelector('[data-testid="share-link"]').value`)
	if !strings.Contains(link, "#s1.") {
		t.Errorf("share link %q", link)
	}
	snippet := Eval[string](p, `document.querySelector('[data-testid="share-embed"]').value`)
	if !strings.HasPrefix(snippet, "<iframe src=") || !strings.Contains(snippet, "?embed=1&locked=1#s1.") {
		t.Errorf("embed snippet %q", snippet)
	}
	if !strings.Contains(text(t, p, "share-size"), "opens at") {
		t.Errorf("size line: %q", text(t, p, "share-size"))
	}
	p.Screenshot("share-dialog")
	click(t, p, "share-copy")
	p.WaitFor(`location.hash.startsWith("#s1.")`, 0)
	if got := Eval[string](p, `location.href`); got != link {
		t.Errorf("address after Copy link = %s, want the link %s", got, link)
	}
}

// TestShareOffline: the single-file offline page, opened from disk, makes
// and reads share links and exports a PNG (the diagram drawn through a
// data: URL, so the canvas is not tainted on a file:// page).
func TestShareOffline(t *testing.T) {
	p := openUI(t, true)
	p.WaitFor(`window.distlabExtras`, 0)
	Eval[bool](p, `window.distlabExtras.done.then(() => true)`)
	Eval[bool](p, `window.distlabUI.app.applyScenario({protocol: "snapshot"}, {replaceLive: true})`)
	Eval[bool](p, `(window.distlabUI.app.runner.seekTime(90000), true)`)
	waitIdle(t, p, 0)
	if !Eval[bool](p, `window.distlabUI.app.inject({input: 2, data: "snapshot"})`) {
		t.Fatal("the offline page refused a live snapshot input")
	}
	settle(t, p)
	before := Eval[shareState](p, readShareState)
	// The offline bundle has no modules to import: use the Share dialog.
	click(t, p, "share-button")
	p.WaitFor(`document.querySelector('[data-testid="share-dialog"]').open`, 0)
	link := Eval[string](p, `document.querySelector('[data-testid="share-link"]').value`)
	if !strings.HasPrefix(link, "file://") || !strings.Contains(link, "distlab-offline.html#s1.") {
		t.Fatalf("offline link %q", link)
	}
	p.Navigate("about:blank")
	p.Navigate(link)
	p.WaitReady()
	p.WaitFor(`window.distlabUI && window.distlabUI.ready`, 0)
	after := Eval[shareState](p, readShareState)
	if after != before {
		t.Errorf("offline link landed on %+v, sender was at %+v", after, before)
	}
	captureDownloads(t, p)
	click(t, p, "export-button")
	p.WaitFor(`document.querySelector('[data-testid="export-menu"]')`, 0)
	clickSel(t, p, `[data-testid="export-png-slide"]`)
	p.WaitFor(`window.__downloads.length > 0`, 0)
	d := Eval[download](p, `(async () => { const d = window.__downloads[0]; return {name: d.name, type: d.blob.type, text: String(d.blob.size)}; })()`)
	if d.Type != "image/png" || d.Text == "0" {
		t.Errorf("offline PNG export: %+v", d)
	}
}
