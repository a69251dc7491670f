package browsertest

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// logTypes returns the message types the course page logged for one frame.
func logTypes(t *testing.T, p *Page, frame string) []string {
	t.Helper()
	return Eval[[]string](p, `[...document.querySelectorAll('[data-log="`+frame+`"] li')].map(li => li.dataset.type)`)
}

func waitLog(t *testing.T, p *Page, frame, typ string, timeout time.Duration) {
	t.Helper()
	p.WaitFor(`[...document.querySelectorAll('[data-log="`+frame+`"] li')].some(li => li.dataset.type === `+jsq(typ)+`)`, timeout)
}

// frameJS evaluates expr in the test's realm with w bound to the window of
// the frame with the given data-testid (same origin; the frame's CSP allows
// no eval).
func frameJS[T any](t *testing.T, p *Page, frame, expr string) T {
	t.Helper()
	return Eval[T](p, `(() => { const w = document.querySelector('iframe[data-testid="`+frame+`"]').contentWindow; return (`+expr+`); })()`)
}

func waitFrameReady(t *testing.T, p *Page, frame string) {
	t.Helper()
	Eval[bool](p, `(document.querySelector('iframe[data-testid="`+frame+`"]').scrollIntoView({block: "center"}), true)`)
	p.WaitFor(`(() => { const f = document.querySelector('iframe[data-testid="`+frame+`"]'); try { return f.contentWindow.distlabUI && f.contentWindow.distlabUI.ready; } catch { return false; } })()`, ReadyTimeout)
	waitLog(t, p, frame, "ready", 0)
}

// TestEmbedCoursePage: the sample course page (web/course.html, copied to
// dist/web/ by the build) embeds three scenarios; each frame starts in embed
// mode with its parameters, posts "ready" to the page, and "run-ended" when
// its run ends (the vector-clock one autoplays; the snapshot one is run to
// the end by the page's button, a command sent by postMessage). A locked
// frame refuses changes; an editable one takes them.
func TestEmbedCoursePage(t *testing.T) {
	if _, err := os.Stat(filepath.Join(Dist(t), "web", "course.html")); err != nil {
		t.Fatalf("the build does not ship the course page: %v", err)
	}
	p := New(t)
	p.OpenServed("web/course.html")
	viewport(t, p, 1280, 900)

	waitFrameReady(t, p, "embed-vc")
	// Autoplay: the vector-clock run plays to its end by itself.
	waitLog(t, p, "embed-vc", "run-ended", 60*time.Second)
	if got := frameJS[string](t, p, "embed-vc", `w.document.body.className`); !strings.Contains(got, "embed") || !strings.Contains(got, "embed-view-diagram") || !strings.Contains(got, "embed-locked") {
		t.Errorf("the vector-clock frame's body classes %q: want embed, embed-view-diagram, embed-locked", got)
	}
	if got := frameJS[string](t, p, "embed-vc", `w.distlabUI.app.diagram.clocks`); got != "vector" {
		t.Errorf("clocks=vector: the diagram shows %q", got)
	}
	if frameJS[bool](t, p, "embed-vc", `w.getComputedStyle(w.document.getElementById("config")).display !== "none"`) {
		t.Errorf("the embedded page shows the settings sidebar")
	}
	// Locked: an injected fault is refused, nothing recorded.
	if frameJS[bool](t, p, "embed-vc", `w.distlabUI.app.inject({crash: 0})`) {
		t.Errorf("a locked frame accepted a crash")
	}
	if n := frameJS[int](t, p, "embed-vc", `w.distlabUI.app.runner.sim.liveActions().length`); n != 0 {
		t.Errorf("a locked frame recorded %d live actions", n)
	}
	// The vector clocks of the seed's figure, at P2's receive of m2: [1,2,1].
	vc := frameJS[[]int](t, p, "embed-vc", `(() => { const a = w.distlabUI.app, c = a.runner.cache; const e = c.events.find(e => e.node === 2 && e.kind === "receive"); return a.runner.sim.event(e.id).vc; })()`)
	if len(vc) != 3 || vc[0] != 1 || vc[1] != 2 || vc[2] != 1 {
		t.Errorf("P2's receive of m2: vc %v, want [1 2 1]", vc)
	}
	elementShot(t, p, `iframe[data-testid="embed-vc"]`, "embed-vc")

	waitFrameReady(t, p, "embed-snapshot")
	if got := frameJS[string](t, p, "embed-snapshot", `w.distlabUI.app.runner.info.name`); got != "snapshot" {
		t.Errorf("the snapshot frame runs %q", got)
	}
	clickSel(t, p, `button[data-target="embed-snapshot"][data-command="run-to-end"]`)
	waitLog(t, p, "embed-snapshot", "run-ended", 60*time.Second)
	if frameJS[string](t, p, "embed-snapshot", `w.document.querySelector('[data-testid="snapshot-conservation"]').dataset.state`) != "ok" {
		t.Errorf("the embedded snapshot view does not show the conservation check green")
	}
	elementShot(t, p, `iframe[data-testid="embed-snapshot"]`, "embed-snapshot")

	waitFrameReady(t, p, "embed-pbft")
	// Editable: the page takes a traitor primary.
	if !frameJS[bool](t, p, "embed-pbft", `w.distlabUI.app.inject({byzantine: 0, strategy: "silent"})`) {
		t.Errorf("the editable frame refused a live action")
	}
	elementShot(t, p, `iframe[data-testid="embed-pbft"]`, "embed-pbft")
	p.Screenshot("course-page")
	for _, f := range []string{"embed-vc", "embed-snapshot", "embed-pbft"} {
		if types := logTypes(t, p, f); len(types) == 0 || types[0] != "ready" {
			t.Errorf("%s: the course page logged %v, want ready first", f, types)
		}
	}
}

// TestEmbedMessages: a test page frames the sandbox with a scenario whose
// invariant breaks (OM with three generals and a traitor: IC2), receives
// "ready", "invariant-broken" and "run-ended" with the documented fields,
// gets a "status" answer to a valid command, and sees invalid commands —
// wrong shapes, unknown commands, bad numbers, or a valid command from a
// window other than the parent — ignored.
func TestEmbedMessages(t *testing.T) {
	p := New(t)
	// A probe in the sibling frame "other": asked with "poke", it sends the
	// sandbox a valid command — from a window that is not its parent.
	p.OnNewDocument(`if (window.name === "other") window.addEventListener("message", (e) => { if (e.data === "poke") { parent.frames["host"].postMessage({target: "distlab", command: "rewind"}, "*"); window.poked = true; } });`)
	p.OpenServed("web/course.html") // any page of the site serves as the host
	p.WaitFor(`document.readyState === "complete"`, 0)
	frag := Eval[string](p, `import("./share.js").then(m => m.encodeState({v: 1, sc: {protocol: "om", seed: 1, nodes: 3, until: "100ms", params: {m: 1}, faults: [{at: "0s", byzantine: 2, strategy: "opposite"}]}}))`)
	Eval[bool](p, `(() => {
		document.body.textContent = "";
		window.got = [];
		window.addEventListener("message", ev => { if (ev.data && ev.data.source === "distlab") window.got.push(ev.data); });
		const f = document.createElement("iframe");
		f.id = "host"; f.name = "host";
		f.width = 1000; f.height = 640;
		f.src = "../index.html?embed=1&autoplay=1&view=protocol#`+frag+`";
		document.body.append(f);
		const other = document.createElement("iframe");
		other.id = "other"; other.name = "other"; other.src = "course.css";
		document.body.append(other);
		return true; })()`)
	p.WaitFor(`window.got.some(m => m.type === "ready")`, ReadyTimeout)
	p.WaitFor(`window.got.some(m => m.type === "run-ended")`, 60*time.Second)

	type msg struct {
		Source    string  `json:"source"`
		Type      string  `json:"type"`
		V         int     `json:"v"`
		Protocol  string  `json:"protocol"`
		Invariant string  `json:"invariant"`
		Detail    string  `json:"detail"`
		Event     int     `json:"event"`
		T         float64 `json:"t"`
		OK        bool    `json:"ok"`
		Events    int     `json:"events"`
		Hash      string  `json:"trace_sha256"`
		Nodes     int     `json:"nodes"`
		Invs      []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
		} `json:"invariants"`
	}
	got := Eval[[]msg](p, `window.got`)
	var ready, broken, ended *msg
	for i := range got {
		m := &got[i]
		if m.Source != "distlab" || m.V != 1 {
			t.Errorf("message without source distlab / v 1: %+v", m)
		}
		switch m.Type {
		case "ready":
			ready = m
		case "invariant-broken":
			if m.Invariant == "IC2" {
				broken = m
			}
		case "run-ended":
			ended = m
		}
	}
	if ready == nil || ready.Protocol != "om" || ready.Nodes != 3 {
		t.Errorf("ready: %+v", ready)
	}
	if broken == nil || broken.Event < 0 || broken.T <= 0 || !strings.Contains(broken.Detail, "n = 3") {
		t.Errorf("invariant-broken for IC2: %+v (all: %+v)", broken, got)
	}
	if ended == nil || ended.OK || ended.Events == 0 || len(ended.Hash) != 64 || len(ended.Invs) == 0 {
		t.Errorf("run-ended: %+v", ended)
	}
	// The frame's hash is the native engine's for the same scenario.
	native := nativeSummary(t, `{"protocol": "om", "seed": 1, "nodes": 3, "until": "100ms", "params": {"m": 1}, "faults": [{"at": "0s", "byzantine": 2, "strategy": "opposite"}]}`)
	if ended != nil && !strings.Contains(string(native), ended.Hash) {
		t.Errorf("run-ended trace_sha256 %s is not the native run's", ended.Hash)
	}

	// Invalid commands are ignored: no reply, no change.
	before := Eval[int](p, `window.got.length`)
	Eval[bool](p, `(() => { const w = document.getElementById("host").contentWindow;
		for (const m of ["play", 42, null, [1], {command: "rewind"}, {target: "distlab", command: "explode"},
			{target: "distlab", command: "seek", t: "0"}, {target: "distlab", command: "seek", t: -5},
			{target: "distlab", command: "seek", t: Infinity}, {target: "other", command: "rewind"}]) w.postMessage(m, "*");
		// A valid command, but from a sibling frame rather than the parent.
		document.getElementById("other").contentWindow.postMessage("poke", "*");
		return true; })()`)
	Eval[bool](p, `new Promise(r => setTimeout(() => r(true), 400))`)
	if !Eval[bool](p, `document.getElementById("other").contentWindow.poked === true`) {
		t.Errorf("the sibling frame's probe did not send its command (the test would prove nothing)")
	}
	if n := Eval[int](p, `window.got.length`); n != before {
		t.Errorf("invalid commands got %d replies", n-before)
	}
	if !Eval[bool](p, `document.getElementById("host").contentWindow.distlabUI.app.runner.sim.done()`) {
		t.Errorf("an invalid or foreign command moved the run (it is no longer at its end)")
	}
	// A valid one is obeyed and answered.
	Eval[bool](p, `(document.getElementById("host").contentWindow.postMessage({target: "distlab", command: "rewind"}, "*"), document.getElementById("host").contentWindow.postMessage({target: "distlab", command: "status"}, "*"), true)`)
	p.WaitFor(`window.got.some(m => m.type === "status")`, 0)
	st := Eval[msg](p, `window.got.find(m => m.type === "status")`)
	if st.T != 0 || st.Protocol != "om" {
		t.Errorf("status after a rewind: %+v, want t = 0", st)
	}
	if Eval[float64](p, `document.getElementById("host").contentWindow.distlabUI.app.runner.sim.now()`) != 0 {
		t.Errorf("rewind from the parent did not rewind")
	}
	elementShot(t, p, "#host", "embed-om-broken")
}

// TestEmbedCoursePageOffline: opened from disk, the course page frames the
// single-file offline page instead, and its frames still report "ready".
func TestEmbedCoursePageOffline(t *testing.T) {
	p := New(t)
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(Dist(t), "web", "course.html"))}).String()
	p.Navigate(u)
	if src := Eval[string](p, `document.querySelector('iframe[data-testid="embed-vc"]').src`); !strings.Contains(src, "distlab-offline.html?embed=1") {
		t.Fatalf("from disk the frame points at %s", src)
	}
	Eval[bool](p, `(document.querySelector('iframe[data-testid="embed-vc"]').scrollIntoView(), true)`)
	waitLog(t, p, "embed-vc", "ready", ReadyTimeout)
	waitLog(t, p, "embed-vc", "run-ended", 60*time.Second)
}

// TestEmbedViews: each starting view of an embedded sandbox shows what it
// says (and hides the rest), in the light and the dark theme.
func TestEmbedViews(t *testing.T) {
	p := New(t)
	p.OpenServed()
	p.WaitReady()
	frag := Eval[string](p, `import("./web/share.js").then(m => m.encodeState({v: 1, sc: {protocol: "snapshot"}}))`)
	base := Eval[string](p, `location.origin + location.pathname`)
	visible := func(css string) bool {
		return Eval[bool](p, `(() => { const el = document.querySelector(`+jsq(css)+`); if (!el) return false; const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).display !== "none"; })()`)
	}
	for _, c := range []struct {
		view, theme string
		shown       []string
		hidden      []string
	}{
		{"diagram", "light", []string{"#diagram"}, []string{".topo", ".right-col", "#config", "#protocol-view"}},
		{"protocol", "dark", []string{"#diagram", "#protocol-view"}, []string{".topo", ".right-col", "#config"}},
		{"topology", "light", []string{".topo", ".right-col"}, []string{"#diagram", "#config"}},
		{"full", "dark", []string{".topo", "#diagram", ".right-col", "#protocol-view"}, []string{"#config"}},
	} {
		t.Run(c.view, func(t *testing.T) {
			p.Navigate("about:blank")
			p.Navigate(base + "?embed=1&view=" + c.view + "&theme=" + c.theme + "&protocol=snapshot#" + frag)
			p.WaitReady()
			p.WaitFor(`window.distlabUI && window.distlabUI.ready`, 0)
			viewport(t, p, 1100, 640)
			Eval[bool](p, `(window.distlabUI.app.runner.runToEnd(), true)`)
			p.WaitFor(`window.distlabUI.app.runner.sim.done()`, 0)
			waitIdle(t, p, 0)
			for _, s := range c.shown {
				if !visible(s) {
					t.Errorf("view=%s: %s is not shown", c.view, s)
				}
			}
			for _, s := range c.hidden {
				if visible(s) {
					t.Errorf("view=%s: %s is shown", c.view, s)
				}
			}
			if !exists(t, p, "embed-open") || visible(".top-actions") {
				t.Errorf("view=%s: the chrome is not minimal", c.view)
			}
			if got := Eval[string](p, `document.documentElement.dataset.theme || ""`); got != c.theme {
				t.Errorf("theme=%s: page theme %q", c.theme, got)
			}
			p.Screenshot("embed-view-" + c.view + "-" + c.theme)
		})
	}
}
