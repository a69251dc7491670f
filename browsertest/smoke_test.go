package browsertest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"distlab/core"
	"distlab/protocols"
)

// scriptScenario is the scenario both sides run: the script protocol with
// its defaults, as `distlab run script --json` runs it.
const scriptScenario = `{"protocol":"script"}`

// nativeSummary runs the scenario with the engine compiled natively.
func nativeSummary(t *testing.T, scenario string) []byte {
	t.Helper()
	sim, err := core.NewFromJSON([]byte(scenario), protocols.Catalog)
	if err != nil {
		t.Fatalf("native: %v", err)
	}
	sim.Run()
	b, err := json.Marshal(sim.Summarize())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// canonical re-encodes a JSON document with sorted keys and float64 numbers,
// so that two encoders of the same value compare equal.
func canonical(t *testing.T, what string, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", what, err, b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// TestSmoke loads the served page and the offline file, and checks that each
// runs the same engine as the native build: DistLab.ready resolves, the
// registry lists script, and a run's summary equals the native one to its
// trace hash, with no console error and no request beyond the page's files.
func TestSmoke(t *testing.T) {
	native := nativeSummary(t, scriptScenario)
	var nat struct {
		TraceSHA256 string `json:"trace_sha256"`
	}
	json.Unmarshal(native, &nat)
	if len(nat.TraceSHA256) != 64 {
		t.Fatalf("native summary has no trace_sha256: %s", native)
	}

	for _, mode := range []string{"served", "offline"} {
		t.Run(mode, func(t *testing.T) {
			p := New(t)
			var pageURL string
			if mode == "served" {
				pageURL = p.OpenServed()
			} else {
				pageURL = p.OpenOffline()
			}
			p.WaitReady()

			names := Eval[[]string](p, `DistLab.protocols().map(p => p.name)`)
			if !slices.Contains(names, "script") {
				t.Errorf("DistLab.protocols() lists %q, without script", names)
			}

			// The summary as the page's own JSON.stringify writes it.
			js := Eval[string](p, `(() => {
				const sim = DistLab.create(`+scriptScenario+`);
				sim.run();
				return JSON.stringify(sim.summary());
			})()`)
			if js == string(native) {
				t.Logf("summary byte-identical to native (%d bytes)", len(js))
			} else if got, want := canonical(t, "page", []byte(js)), canonical(t, "native", native); got != want {
				t.Errorf("summary differs from native:\n page:   %s\n native: %s", got, want)
			} else {
				t.Logf("summary equal to native as JSON values (key order or number spelling differ)")
			}
			var sum struct {
				TraceSHA256 string `json:"trace_sha256"`
			}
			json.Unmarshal([]byte(js), &sum)
			if sum.TraceSHA256 != nat.TraceSHA256 {
				t.Errorf("trace_sha256: page %s, native %s", sum.TraceSHA256, nat.TraceSHA256)
			}

			// The exported trace is the one the hash was taken of.
			trace, err := EvalErr[string](p, `(() => {
				const sim = DistLab.create(`+scriptScenario+`);
				sim.run();
				return sim.exportTrace();
			})()`)
			if err != nil {
				t.Errorf("exportTrace: %v", err)
			} else {
				h := sha256.Sum256([]byte(trace))
				if got := hex.EncodeToString(h[:]); got != nat.TraceSHA256 {
					t.Errorf("sha256(exportTrace()) = %s, native trace_sha256 %s", got, nat.TraceSHA256)
				}
			}

			p.Screenshot("smoke-" + mode)
			checkOwnFiles(t, p, mode, pageURL)
		})
	}
}

// checkOwnFiles: the served page loads only from its server; the offline page
// loads nothing but itself (everything else is inline, or data:/blob:).
func checkOwnFiles(t *testing.T, p *Page, mode, pageURL string) {
	t.Helper()
	reqs := p.Requests()
	if len(reqs) == 0 {
		t.Errorf("no request recorded, not even the page: the recorder is broken")
	}
	var files []string
	for _, r := range reqs {
		u, err := url.Parse(r.URL)
		if err != nil {
			t.Errorf("request to an unparsable URL %q", r.URL)
			continue
		}
		switch {
		case u.Scheme == "data" || u.Scheme == "blob":
		case mode == "offline" && r.URL != pageURL:
			t.Errorf("offline page requested %s (%s): everything must be inline", r.URL, r.Type)
		case mode == "served" && !strings.HasPrefix(r.URL, p.srv.URL+"/"):
			t.Errorf("served page requested %s (%s), outside its server", r.URL, r.Type)
		case mode == "offline":
			files = append(files, filepath.Base(u.Path))
		default:
			files = append(files, strings.TrimPrefix(r.URL, p.srv.URL+"/"))
		}
	}
	t.Logf("requests: %d (page files: %s)", len(reqs), strings.Join(files, ", "))
	if mode == "served" {
		for _, want := range []string{"main.wasm", "wasm_exec.js", "web/main.js", "web/boot.js"} {
			if !slices.Contains(files, want) {
				t.Errorf("served page never requested %s (requests: %v)", want, files)
			}
		}
	}
	p.AssertLocalRequests()
	if errs := p.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// BenchmarkPageLoad loads each page in a fresh browser per iteration and
// reports milliseconds from navigation to DistLab.ready and to the frame
// after it (./build.sh bench runs it with -benchtime 5x).
func BenchmarkPageLoad(b *testing.B) {
	for _, mode := range []string{"served", "offline"} {
		b.Run(mode, func(b *testing.B) {
			var sum LoadTiming
			n := 0
			for b.Loop() {
				p := New(b)
				lt := p.MeasureLoad(mode == "offline")
				p.Close()
				sum.Ready += lt.Ready
				sum.FirstFrame += lt.FirstFrame
				sum.FCP += lt.FCP
				n++
			}
			b.ReportMetric(sum.Ready/float64(n), "ms-to-ready")
			b.ReportMetric(sum.FirstFrame/float64(n), "ms-to-frame")
			b.ReportMetric(sum.FCP/float64(n), "ms-to-fcp")
		})
	}
}

// BenchmarkInPageEngine runs DistLab.bench() (the engine on a message storm,
// timed inside the page) on the served page.
func BenchmarkInPageEngine(b *testing.B) {
	p := New(b)
	p.OpenServed()
	p.WaitReady()
	if !Eval[bool](p, `typeof DistLab.bench === "function"`) {
		b.Skip("DistLab.bench is not there yet")
	}
	var eps float64
	n := 0
	for b.Loop() {
		r := Eval[struct {
			EventsPerSec float64 `json:"events_per_sec"`
		}](p, `DistLab.bench({})`)
		eps += r.EventsPerSec
		n++
	}
	b.ReportMetric(eps/float64(n), "events/s")
}

// TestPerfRecord measures the pages in Chromium and rewrites
// browsertest/PERF.md. The figures are recorded, not asserted; it runs only
// when asked:
//
//	./build.sh build && DISTLAB_PERF=1 go test -count=1 -run TestPerfRecord ./browsertest/
func TestPerfRecord(t *testing.T) {
	if os.Getenv("DISTLAB_PERF") == "" {
		t.Skip("set DISTLAB_PERF=1 to measure the page and rewrite browsertest/PERF.md")
	}
	const runs = 5
	dist := Dist(t)
	wasm, err := os.ReadFile(filepath.Join(dist, "main.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write(wasm)
	w.Close()
	offline, _ := os.Stat(filepath.Join(dist, "distlab-offline.html"))
	var served int64
	filepath.WalkDir(dist, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(path) != "distlab-offline.html" && !strings.HasSuffix(path, ".d.ts") {
			if fi, err := d.Info(); err == nil {
				served += fi.Size()
			}
		}
		return nil
	})

	timings := map[string][]LoadTiming{}
	for _, mode := range []string{"served", "offline"} {
		for range runs {
			p := New(t)
			timings[mode] = append(timings[mode], p.MeasureLoad(mode == "offline"))
			p.Close()
		}
	}
	var bench []float64
	p := New(t)
	p.OpenServed()
	p.WaitReady()
	if Eval[bool](p, `typeof DistLab.bench === "function"`) {
		for range 3 {
			r := Eval[struct {
				EventsPerSec float64 `json:"events_per_sec"`
			}](p, `DistLab.bench({})`)
			bench = append(bench, r.EventsPerSec)
		}
	}
	p.Close()

	kib := func(n int64) string { return fmt.Sprintf("%.0f KiB", float64(n)/1024) }
	col := func(ts []LoadTiming, f func(LoadTiming) float64) string {
		var v []float64
		for _, x := range ts {
			v = append(v, f(x))
		}
		slices.Sort(v)
		return fmt.Sprintf("%.0f (%.0f–%.0f)", v[len(v)/2], v[0], v[len(v)-1])
	}
	commit, _ := exec.Command("git", "-C", Root(t), "rev-parse", "--short", "HEAD").Output()
	var b strings.Builder
	fmt.Fprintf(&b, "# In-browser performance\n\n")
	fmt.Fprintf(&b, "Recorded figures, not assertions: regenerate with\n\n")
	fmt.Fprintf(&b, "    ./build.sh build && DISTLAB_PERF=1 go test -count=1 -run TestPerfRecord ./browsertest/\n\n")
	fmt.Fprintf(&b, "Measured %s at commit %s with %s, headless %s, on a %d-core machine shared with other work (load average %s when done); ",
		time.Now().UTC().Format("2006-01-02"), strings.TrimSpace(string(commit)), goruntime.Version(), chromeVersion(), goruntime.NumCPU(), loadAverage())
	fmt.Fprintf(&b, "each load in a fresh browser profile (cold caches), served from 127.0.0.1 without compression.\n\n")
	fmt.Fprintf(&b, "## Size\n\n| what | size |\n|---|---|\n")
	fmt.Fprintf(&b, "| main.wasm | %s |\n| main.wasm, gzip -9 (what the offline page embeds, before base64) | %s |\n", kib(int64(len(wasm))), kib(int64(z.Len())))
	fmt.Fprintf(&b, "| served page, all files (index.html, web/, wasm_exec.js, main.wasm) | %s |\n", kib(served))
	if offline != nil {
		fmt.Fprintf(&b, "| distlab-offline.html (one file) | %s |\n", kib(offline.Size()))
	}
	fmt.Fprintf(&b, "\n## Load\n\nMilliseconds from the start of navigation (performance.now()), median of %d loads (min–max).\n", runs)
	fmt.Fprintf(&b, "*ready*: `DistLab.ready` resolved (wasm fetched or decoded, compiled, Go running). *first frame*: the first\n")
	fmt.Fprintf(&b, "animation frame after that. *FCP*: the browser's first contentful paint (static markup can paint before ready).\n\n")
	fmt.Fprintf(&b, "| page | DOMContentLoaded | FCP | ready | first frame |\n|---|---|---|---|---|\n")
	for _, mode := range []string{"served", "offline"} {
		ts := timings[mode]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mode,
			col(ts, func(x LoadTiming) float64 { return x.DOMContentLoaded }), col(ts, func(x LoadTiming) float64 { return x.FCP }),
			col(ts, func(x LoadTiming) float64 { return x.Ready }), col(ts, func(x LoadTiming) float64 { return x.FirstFrame }))
	}
	if len(bench) > 0 {
		slices.Sort(bench)
		fmt.Fprintf(&b, "\n## Engine in the page\n\n`DistLab.bench({})` (a message storm, timed inside the page): median of %d runs **%.0f events/s** (%.0f–%.0f).\n",
			len(bench), bench[len(bench)/2], bench[0], bench[len(bench)-1])
	}
	out := filepath.Join(Root(t), "browsertest", "PERF.md")
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s:\n%s", out, b.String())
}

// loadAverage is the 1-minute load average (Linux), to read the figures by.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// chromeVersion asks the browser binary (the user agent hides the minor
// version numbers).
func chromeVersion() string {
	out, err := exec.Command(ChromiumPath, "--version").Output()
	if err != nil {
		return "version unknown"
	}
	return strings.TrimSpace(string(out))
}
