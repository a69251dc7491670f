package browsertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestUIPerf measures the page (figures for web/PERF-UI.md, no assertions):
// navigation to the first interactive frame, frame times while playing a
// 16-node run and with 10,000+ events in the diagram, and how many events
// per second the page simulates while it keeps rendering. Frame times come
// from requestAnimationFrame timestamps inside the page (runner.perf).
func TestUIPerf(t *testing.T) {
	if testing.Short() {
		t.Skip("performance figures: not in -short")
	}
	p := New(t)
	p.OpenServed()
	p.WaitReady()
	p.WaitFor(`window.distlabUI && window.distlabUI.ready`, 0)
	res := map[string]any{}
	res["interactive_ms"] = Eval[float64](p, `window.distlabUI.interactiveAt`)
	res["boot_after_modules_ms"] = Eval[float64](p, `window.distlabUI.bootMs`)

	// Baseline: the page idle (nothing to draw), to tell the page's cost from the machine's.
	Eval[bool](p, `(() => { window.distlabUI.perf.start(); return true; })()`)
	time.Sleep(2 * time.Second)
	res["idle"] = Eval[map[string]any](p, `window.distlabUI.perf.stop()`)
	// A bare page with a spinning requestAnimationFrame and nothing else (same browser, same moment).
	res["bare_raf"] = Eval[map[string]any](p, `new Promise(res => { const d = []; let prev = 0; const end = performance.now() + 2000; const f = (ts) => { if (prev) d.push(ts - prev); prev = ts; if (ts < end) requestAnimationFrame(f); else { d.sort((a, b) => a - b); res({frames: d.length, p50_ms: d[d.length >> 1], p95_ms: d[Math.floor(d.length * 0.95)], max_ms: d[d.length - 1]}); } }; requestAnimationFrame(f); })`)

	// A 16-node PBFT run with many requests.
	const sc = `{"protocol":"pbft","nodes":16,"until":"5s","workload":{"clients":1,"requests":40}}`
	if !Eval[bool](p, `window.distlabUI.app.applyScenario(`+sc+`, {replaceLive: true})`) {
		t.Fatal("the perf scenario was refused")
	}
	settle(t, p)

	// Playing: frames and events while the page animates.
	Eval[bool](p, `(() => { window.distlabUI.app.controls.setSpeedExp(4.3); window.distlabUI.perf.start(); window.__e0 = window.distlabUI.app.runner.cache.length; window.__t0 = performance.now(); window.distlabUI.app.runner.play(); return true; })()`)
	time.Sleep(5 * time.Second)
	play := Eval[map[string]any](p, `(() => { const r = window.distlabUI.app.runner; r.pause(); const s = window.distlabUI.perf.stop(); s.events = r.cache.length - window.__e0; s.events_per_sec = s.events / ((performance.now() - window.__t0) / 1000); s.diagram_draw_ms = window.distlabUI.app.diagram.stats.ms; return s; })()`)
	res["play_16_nodes"] = play

	// Run to the end with the progress bar: simulation throughput while rendering.
	Eval[bool](p, `(() => { window.distlabUI.app.runner.rewind(); window.distlabUI.perf.start(); window.__e0 = window.distlabUI.app.runner.cache.length; window.__t0 = performance.now(); window.distlabUI.app.runner.runToEnd(); return true; })()`)
	waitIdle(t, p, 120*time.Second)
	run := Eval[map[string]any](p, `(() => { const r = window.distlabUI.app.runner; const s = window.distlabUI.perf.stop(); s.events = r.cache.length - window.__e0; s.wall_ms = performance.now() - window.__t0; s.events_per_sec = s.events / (s.wall_ms / 1000); return s; })()`)
	res["run_to_end"] = run
	total := Eval[int](p, `window.distlabUI.app.runner.cache.length`)
	res["events_total"] = total

	// The whole trace in view, redrawn every frame (as while panning or playing).
	Eval[bool](p, `(() => { const d = window.distlabUI.app.diagram; d.fit(); window.__spin = true; const spin = () => { if (!window.__spin) return; d.dirty = true; requestAnimationFrame(spin); }; requestAnimationFrame(spin); window.distlabUI.perf.start(); return true; })()`)
	time.Sleep(3 * time.Second)
	redraw := Eval[map[string]any](p, `(() => { window.__spin = false; const s = window.distlabUI.perf.stop(); const d = window.distlabUI.app.diagram; s.drawn_events = d.stats.events; s.drawn_arrows = d.stats.arrows; s.draw_ms = d.stats.ms; return s; })()`)
	res["diagram_full_redraw"] = redraw

	// Zooming in and out over the big trace.
	Eval[bool](p, `(() => { const d = window.distlabUI.app.diagram; let k = 0; window.__spin = true; const spin = () => { if (!window.__spin) return; d.zoom(k++ % 40 < 20 ? 0.93 : 1 / 0.93); requestAnimationFrame(spin); }; requestAnimationFrame(spin); window.distlabUI.perf.start(); return true; })()`)
	time.Sleep(3 * time.Second)
	res["diagram_zooming"] = Eval[map[string]any](p, `(() => { window.__spin = false; return window.distlabUI.perf.stop(); })()`)

	// Playing on with the big trace already in the diagram: seek to the middle, play.
	Eval[bool](p, `(() => { const r = window.distlabUI.app.runner; r.seekTime(r.now() / 2); return true; })()`)
	waitIdle(t, p, 60*time.Second)
	Eval[bool](p, `(() => { const a = window.distlabUI.app; a.diagram.fit(); window.distlabUI.perf.start(); window.__e0 = a.runner.cache.length; a.runner.play(); return true; })()`)
	time.Sleep(4 * time.Second)
	res["play_with_big_trace"] = Eval[map[string]any](p, `(() => { const r = window.distlabUI.app.runner; r.pause(); const s = window.distlabUI.perf.stop(); s.events_in_diagram = r.cache.length; s.events = r.cache.length - window.__e0; return s; })()`)
	p.Screenshot("ui-perf-big-trace")

	b, _ := json.MarshalIndent(res, "", "  ")
	t.Logf("UI performance:\n%s", b)
	os.WriteFile(filepath.Join(Artifacts(t), "perf-ui.json"), b, 0o644)
}
