// Package browsertest drives the built page (dist/) in headless Chromium.
//
// A test opens a Page, loads the served page or the offline file, and talks
// to it through DistLab:
//
//	p := browsertest.New(t)
//	p.OpenServed()                 // or p.OpenOffline()
//	p.WaitReady()                  // await DistLab.ready
//	names := browsertest.Eval[[]string](p, `DistLab.protocols().map(x => x.name)`)
//	p.Screenshot("my-test")        // artifacts/my-test.png
//
// Every Page records the console and every request the page makes. When the
// test ends, an error or an uncaught exception in the console fails it
// (Page.AllowConsoleError lets a test that provokes one say so), and so does a
// request that leaves 127.0.0.1 or dist/ (Page.AssertLocalRequests checks the
// same at any time).
//
// dist/ is built with ./build.sh build when it is missing. Without Chromium
// at /usr/bin/chromium the tests skip, unless CI is set: then they fail.
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// Timeouts. They bound waits on a machine that may be slow and shared; no
// test asserts on time.
var (
	// ReadyTimeout bounds the wait for DistLab.ready (the wasm is several
	// MB and compiles on a 2-core machine shared with other work).
	ReadyTimeout = 60 * time.Second
	// ActionTimeout bounds every other single step (an evaluation, a click).
	ActionTimeout = 30 * time.Second
)

// Flags are the command-line switches every browser starts with
// (notes/HELPERS.md): none of them loosens what a file:// page may do.
var Flags = []chromedp.ExecAllocatorOption{
	chromedp.ExecPath(ChromiumPath),
	chromedp.Flag("headless", true),
	chromedp.Flag("no-sandbox", true), // as root, in a container
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("no-first-run", true),
	chromedp.Flag("disable-gpu", true),
	// Quiet and reproducible, and nothing the page could notice.
	chromedp.Flag("no-default-browser-check", true),
	chromedp.Flag("disable-default-apps", true),
	chromedp.Flag("disable-extensions", true),
	chromedp.Flag("disable-dev-shm-usage", true),
	chromedp.Flag("hide-scrollbars", true),
	chromedp.Flag("mute-audio", true),
	chromedp.Flag("force-color-profile", "srgb"),
	chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
	chromedp.WindowSize(1280, 800),
}

// ---- the repository and dist/ ----

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error

	distMu    sync.Mutex
	distBuilt bool
)

// Root returns the repository root: the nearest directory above the test's
// working directory (its package directory) whose go.mod declares module
// distlab.
func Root(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module distlab")) {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = errors.New("no go.mod of module distlab above the working directory")
				return
			}
			dir = parent
		}
	})
	if rootErr != nil {
		t.Fatal("browsertest:", rootErr)
	}
	return rootDir
}

// Dist returns the absolute path of dist/, running ./build.sh build first
// (once per test binary) when the offline page, the served page or the wasm
// is missing. `./build.sh test` builds before the tests, so this only builds
// for a lone `go test ./browsertest/`; rebuild by hand after changing the
// page (or delete dist/).
func Dist(t testing.TB) string {
	t.Helper()
	root := Root(t)
	dist := filepath.Join(root, "dist")
	distMu.Lock()
	defer distMu.Unlock()
	if distBuilt {
		return dist
	}
	for _, f := range []string{"index.html", "distlab-offline.html", "main.wasm", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(dist, f)); err != nil {
			t.Logf("browsertest: dist/%s is missing; running ./build.sh build", f)
			cmd := exec.Command(filepath.Join(root, "build.sh"), "build")
			cmd.Dir = root
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("browsertest: ./build.sh build: %v\n%s", err, out)
			}
			break
		}
	}
	distBuilt = true
	return dist
}

// Artifacts returns the directory for screenshots and other test output
// (artifacts/ at the repository root, gitignored), creating it.
func Artifacts(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(Root(t), "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal("browsertest:", err)
	}
	return dir
}

// Serve serves dir (dist/ when empty) on 127.0.0.1 with an ephemeral port
// until the test ends, as `distlab serve` does (wasm media type, no-cache),
// and returns the server; its URL ends without a slash.
func Serve(t testing.TB, dir string) *httptest.Server {
	t.Helper()
	if dir == "" {
		dir = Dist(t)
	}
	fs := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch filepath.Ext(r.URL.Path) {
		case ".wasm":
			w.Header().Set("Content-Type", "application/wasm")
		case ".js", ".mjs":
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		}
		w.Header().Set("Cache-Control", "no-cache")
		fs.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// ---- the browser ----

// Available reports whether Chromium is installed.
func Available() bool {
	st, err := os.Stat(ChromiumPath)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// RequireChromium skips the test when Chromium is missing, or fails it when
// the CI environment variable is set (CI must run the browser tests).
func RequireChromium(t testing.TB) {
	t.Helper()
	if Available() {
		return
	}
	msg := "browsertest: Chromium is not installed at " + ChromiumPath +
		" (apt-get install -y chromium, or ./build.sh test as root, installs it)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI is set, so this is a failure")
	}
	t.Skip(msg)
}

// browsers bounds how many Chromium processes one test binary runs at once
// (tests may be parallel; the machine has 2 cores).
var browsers = make(chan struct{}, maxBrowsers())

func maxBrowsers() int {
	if n, err := strconv.Atoi(os.Getenv("BROWSERTEST_PARALLEL")); err == nil && n > 0 {
		return n
	}
	return 2
}

// Message is one console message: a console API call, an uncaught exception
// or unhandled rejection, or an entry of the browser's log (CSP violations,
// failed loads).
type Message struct {
	Level string // "error", "warning", "info", "log", "debug", "exception", ...
	Text  string
	URL   string // where it came from, when known
	Line  int64
}

func (m Message) String() string {
	s := m.Level + ": " + m.Text
	if m.URL != "" {
		s += fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
	}
	return s
}

// IsError reports whether the message fails a test.
func (m Message) IsError() bool {
	return m.Level == "error" || m.Level == "exception" || m.Level == "assert"
}

// Request is one request the page made.
type Request struct {
	URL    string
	Type   string // Document, Script, Stylesheet, Fetch, Image, ...
	Method string
}

// Page is one browser (its own profile directory) with one tab.
type Page struct {
	t   testing.TB
	ctx context.Context // the tab; Ctx gives it to tests that use chromedp directly

	dist    string
	srv     *httptest.Server
	baseURL string // the page's own origin or file:// directory, for AssertLocalRequests

	started   bool
	closeOnce sync.Once
	stop      func() // stops the browser and frees its slot in browsers

	mu       sync.Mutex
	console  []Message
	requests []Request
	allowed  []string // substrings of console errors the test expects
}

// New starts a headless Chromium with a fresh profile (a new temporary
// user-data-dir, removed afterwards) and opens a blank tab. The browser stops
// at Close, or when the test ends, after the console and request checks.
func New(t testing.TB) *Page {
	t.Helper()
	RequireChromium(t)
	p := &Page{t: t, dist: Dist(t)}

	browsers <- struct{}{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), Flags...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(p.listen))
	p.ctx = ctx
	p.stop = func() {
		cancel()
		cancelAlloc() // waits for the browser to exit and its profile to go
		<-browsers
	}
	t.Cleanup(p.Close)
	// The first Do starts the browser; its context must outlive the test's
	// steps (a timeout here would stop the browser with it).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start Chromium: %v", err)
	}
	p.started = true
	return p
}

// Close checks the console and the requests (as at the end of the test)
// and stops the browser. Later calls do nothing. A benchmark that opens a
// Page per iteration calls it.
func (p *Page) Close() {
	p.closeOnce.Do(func() {
		defer p.stop()
		p.finish()
	})
}

// Ctx is the tab's chromedp context, for steps the helpers do not cover:
//
//	err := chromedp.Do(p.Ctx(), chromedp.Click(chromedp.CSS("#run")))
//
// (Page.Do does the same with ActionTimeout and fails the test on an error.)
func (p *Page) Ctx() context.Context { return p.ctx }

// listen runs in the tab's event loop, in the order Chromium sent the events.
func (p *Page) listen(ev any) {
	var m *Message
	var r *Request
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		m = &Message{Level: string(ev.Type), Text: argsText(ev.Args)}
		if ev.StackTrace != nil && len(ev.StackTrace.CallFrames) > 0 {
			f := ev.StackTrace.CallFrames[0]
			m.URL, m.Line = f.URL, f.LineNumber
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		m = &Message{Level: "exception", Text: text, URL: d.URL, Line: d.LineNumber}
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		m = &Message{Level: string(e.Level), Text: "[" + string(e.Source) + "] " + e.Text, URL: e.URL, Line: e.LineNumber}
	case *network.EventRequestWillBeSent:
		r = &Request{URL: ev.Request.URL, Type: string(ev.Type), Method: ev.Request.Method}
	}
	if m == nil && r == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if m != nil {
		p.console = append(p.console, *m)
	}
	if r != nil {
		p.requests = append(p.requests, *r)
	}
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		switch {
		case a.Type == "string" && len(a.Value) > 0:
			s, err := strconv.Unquote(string(a.Value))
			if err != nil {
				s = string(a.Value)
			}
			parts = append(parts, s)
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

// sync makes sure every event Chromium sent so far has reached listen: the
// listener runs in the tab's loop before the reply to a later command.
func (p *Page) sync() {
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`0`))
}

// finish fails the test on console errors and on requests that left the
// page's own origin, then saves a screenshot of a failed test.
func (p *Page) finish() {
	if !p.started || p.ctx.Err() != nil {
		return
	}
	p.sync()
	if errs := p.ConsoleErrors(); len(errs) > 0 {
		p.t.Errorf("browsertest: the page logged %d console error(s):\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
	p.AssertLocalRequests()
	if p.t.Failed() {
		name := "FAILED-" + sanitize(p.t.Name())
		if err := p.saveScreenshot(name); err == nil {
			p.t.Logf("browsertest: screenshot of the failed page: artifacts/%s.png", name)
		}
	}
}

// AllowConsoleError marks console errors containing substr as expected.
func (p *Page) AllowConsoleError(substr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.allowed = append(p.allowed, substr)
}

// Console returns every console message so far.
func (p *Page) Console() []Message {
	p.sync()
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.console)
}

// ConsoleErrors returns the unexpected errors and exceptions so far.
func (p *Page) ConsoleErrors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.console {
		if !m.IsError() || slices.ContainsFunc(p.allowed, func(s string) bool { return strings.Contains(m.Text, s) }) {
			continue
		}
		out = append(out, m.String())
	}
	return out
}

// Requests returns every request the page made so far, in order.
func (p *Page) Requests() []Request {
	p.sync()
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

// AssertLocalRequests fails the test if the page requested anything but its
// own origin (the test server on 127.0.0.1, or dist/ for a file:// page),
// data: or blob: URLs.
func (p *Page) AssertLocalRequests() {
	p.t.Helper()
	for _, r := range p.Requests() {
		if !p.isLocal(r.URL) {
			p.t.Errorf("browsertest: the page requested %s (%s %s), outside its own files", r.URL, r.Method, r.Type)
		}
	}
}

func (p *Page) isLocal(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "blob":
		return true
	case "about":
		return raw == "about:blank"
	case "file":
		return strings.HasPrefix(filepath.Clean(u.Path), p.dist+string(filepath.Separator))
	case "http":
		return p.srv != nil && strings.HasPrefix(raw, p.srv.URL+"/")
	}
	return false
}

// ---- loading the page ----

// OpenServed serves dist/ (once per Page) and opens path on it ("" is the
// page, index.html). It returns the URL.
func (p *Page) OpenServed(path ...string) string {
	p.t.Helper()
	if p.srv == nil {
		p.srv = Serve(p.t, p.dist)
	}
	u := p.srv.URL + "/" + strings.TrimPrefix(strings.Join(path, ""), "/")
	p.Navigate(u)
	return u
}

// OpenOffline opens dist/distlab-offline.html by its file:// URL, as a user
// who double-clicks it would. It returns the URL.
func (p *Page) OpenOffline() string {
	p.t.Helper()
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(p.dist, "distlab-offline.html"))}).String()
	p.Navigate(u)
	return u
}

// Navigate loads u and waits for its load event.
func (p *Page) Navigate(u string) {
	p.t.Helper()
	if err := p.do(chromedp.Navigate(u)); err != nil {
		p.t.Fatalf("browsertest: navigate to %s: %v", u, err)
	}
}

// OnNewDocument runs script in every document the tab loads from now on,
// before the page's own scripts (not subject to the page's CSP): a place
// for probes, e.g. timing hooks.
func (p *Page) OnNewDocument(script string) {
	p.t.Helper()
	_, err := chromedp.Call(p.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
	if err != nil {
		p.t.Fatalf("browsertest: add script: %v", err)
	}
}

// WaitReady waits for `await DistLab.ready`. A rejection fails the test with
// its message, and so does a console error or exception while it waits (a
// module that failed to load would otherwise show only as a timeout).
func (p *Page) WaitReady() {
	p.t.Helper()
	deadline := time.Now().Add(ReadyTimeout)
	const probe = `(() => {
		if (!window.DistLab || !window.DistLab.ready) return "absent";
		return Promise.race([
			window.DistLab.ready.then(() => "ready", e => "rejected: " + (e && e.message || e)),
			new Promise(r => setTimeout(() => r("pending"), 250)),
		]);
	})()`
	state := ""
	for time.Now().Before(deadline) {
		var err error
		state, err = EvalErr[string](p, probe)
		switch {
		case err != nil:
			p.t.Fatalf("browsertest: await DistLab.ready: %v%s", err, p.consoleTail())
		case state == "ready":
			return
		case strings.HasPrefix(state, "rejected"):
			p.t.Fatalf("browsertest: DistLab.ready %s%s", state, p.consoleTail())
		}
		p.sync()
		if errs := p.ConsoleErrors(); len(errs) > 0 {
			p.t.Fatalf("browsertest: DistLab.ready is %s and the page logged an error%s", state, p.consoleTail())
		}
		if state == "absent" {
			time.Sleep(50 * time.Millisecond)
		}
	}
	p.t.Fatalf("browsertest: DistLab.ready still %s after %v%s", state, ReadyTimeout, p.consoleTail())
}

func (p *Page) consoleTail() string {
	msgs := p.Console()
	if len(msgs) == 0 {
		return ""
	}
	if len(msgs) > 20 {
		msgs = msgs[len(msgs)-20:]
	}
	var b strings.Builder
	b.WriteString("\nconsole:")
	for _, m := range msgs {
		b.WriteString("\n  " + m.String())
	}
	return b.String()
}

// ---- talking to the page ----

// do runs steps on the tab with ActionTimeout.
func (p *Page) do(steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// Do runs chromedp steps on the tab (with ActionTimeout) and fails the test
// on an error.
func (p *Page) Do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := p.do(steps...); err != nil {
		p.t.Fatalf("browsertest: %v", err)
	}
}

// Eval evaluates the JavaScript expression expr in the page, awaits it if it
// is a promise, and decodes its JSON value into T. A thrown error fails the
// test with its message.
func Eval[T any](p *Page, expr string) T {
	p.t.Helper()
	v, err := EvalErr[T](p, expr)
	if err != nil {
		p.t.Fatalf("browsertest: %s\n  threw: %v", short(expr), err)
	}
	return v
}

// EvalErr is Eval that returns the error (the JavaScript exception's text
// for a throw) rather than failing the test.
func EvalErr[T any](p *Page, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	var ex *chromedp.ExceptionError
	if errors.As(err, &ex) && ex.ExceptionDetails != nil && ex.ExceptionDetails.Exception != nil {
		if d := ex.ExceptionDetails.Exception.Description; d != "" {
			if i := strings.Index(d, "\n    at "); i >= 0 {
				d = d[:i] // the message, not the stack
			}
			err = errors.New(d)
		}
	}
	return v, err
}

// Throws evaluates expr, which must throw (or reject); it returns the
// error's message.
func Throws(p *Page, expr string) string {
	p.t.Helper()
	_, err := EvalErr[chromedp.Void](p, expr)
	if err == nil {
		p.t.Fatalf("browsertest: %s did not throw", short(expr))
	}
	return err.Error()
}

// WaitFor polls the JavaScript expression cond until it is truthy, or fails
// the test after timeout (ActionTimeout when zero).
func (p *Page) WaitFor(cond string, timeout time.Duration) {
	p.t.Helper()
	if timeout <= 0 {
		timeout = ActionTimeout
	}
	ctx, cancel := context.WithTimeout(p.ctx, timeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+cond+")", chromedp.WithPollingTimeout(timeout))); err != nil {
		p.t.Fatalf("browsertest: waiting for %s: %v%s", short(cond), err, p.consoleTail())
	}
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// ---- screenshots ----

// Screenshot saves a PNG of the whole page to artifacts/<name>.png and
// returns its path.
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	name = sanitize(name)
	if err := p.saveScreenshot(name); err != nil {
		p.t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	return filepath.Join(Artifacts(p.t), name+".png")
}

func (p *Page) saveScreenshot(name string) error {
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(Artifacts(p.t), name+".png"), png, 0o644)
}

func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
}

// ---- load timing ----

// LoadTiming is what one page load took, in milliseconds from the start of
// the navigation (the page's performance.now() clock).
type LoadTiming struct {
	DOMContentLoaded float64 `json:"dcl"`   // DOMContentLoaded event end
	Load             float64 `json:"load"`  // load event end
	FCP              float64 `json:"fcp"`   // first contentful paint (0 if none)
	Ready            float64 `json:"ready"` // DistLab.ready resolved
	FirstFrame       float64 `json:"frame"` // first animation frame after ready
}

// perfProbe runs before the page's scripts: it hooks DistLab.ready as soon
// as boot.js defines it (long before the wasm is running) and notes when it
// resolves and when the next frame starts.
const perfProbe = `(() => {
	const perf = window.__distlabPerf = {};
	const iv = setInterval(() => {
		const d = window.DistLab;
		if (!d || !d.ready) return;
		clearInterval(iv);
		d.ready.then(() => {
			perf.ready = performance.now();
			requestAnimationFrame(() => { perf.frame = performance.now(); });
		});
	}, 1);
})()`

// MeasureLoad opens the served page (offline false) or the offline file in
// this fresh Page, waits for DistLab.ready and the frame after it, and
// returns the timings. These are figures to record, not to assert on.
func (p *Page) MeasureLoad(offline bool) LoadTiming {
	p.t.Helper()
	p.OnNewDocument(perfProbe)
	if offline {
		p.OpenOffline()
	} else {
		p.OpenServed()
	}
	p.WaitReady()
	p.WaitFor("window.__distlabPerf && window.__distlabPerf.frame", 0)
	p.WaitFor(`performance.getEntriesByType("navigation")[0].loadEventEnd > 0`, 0)
	return Eval[LoadTiming](p, `(() => {
		const nav = performance.getEntriesByType("navigation")[0];
		const fcp = performance.getEntriesByName("first-contentful-paint")[0];
		return {
			dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
			fcp: fcp ? fcp.startTime : 0,
			ready: window.__distlabPerf.ready, frame: window.__distlabPerf.frame,
		};
	})()`)
}
