package wasmtest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"distlab/core"
	"distlab/protocols"
)

// op is one Simulation call, applied the same way in the page (run.mjs) and
// natively (apply).
type op struct {
	fn  string
	arg any
}

// apply does what the bridge does for op, natively.
func apply(t *testing.T, s *core.Sim, o op) *core.Sim {
	t.Helper()
	num := func() float64 { return o.arg.(float64) }
	switch o.fn {
	case "run":
		s.Run()
	case "step":
		s.RunEvents(1)
	case "runEvents":
		s.RunEvents(int(num()))
	case "runUntil":
		s.RunUntil(time.Duration(num()) * time.Microsecond)
	case "inject":
		b, _ := json.Marshal(o.arg)
		a, err := s.ParseLiveAction(b)
		if err != nil {
			t.Fatalf("inject %s: %v", b, err)
		}
		if err := s.Inject(a); err != nil {
			t.Fatalf("inject %s: %v", b, err)
		}
	case "seek":
		to := o.arg.(map[string]any)
		var next *core.Sim
		var err error
		switch {
		case to["step"] != nil:
			next, err = s.SeekStep(int64(to["step"].(float64)))
		case to["event"] != nil:
			next, err = s.SeekEvent(int(to["event"].(float64)))
		default:
			next, err = s.SeekTime(int64(to["time"].(float64)))
		}
		if err != nil {
			t.Fatal(err)
		}
		return next
	default:
		t.Fatalf("unknown op %s", o.fn)
	}
	return s
}

func native(t *testing.T, scenario string, ops []op) *core.Sim {
	t.Helper()
	s, err := core.NewFromJSON([]byte(scenario), protocols.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		s = apply(t, s, o)
	}
	return s
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLiveActionsAndSeek drives a run with live actions, time travel and a
// branch in the page and natively; both must agree at every point, seeking
// back and playing forward must reproduce the run, and the exported scenario
// (live actions folded in as faults) must replay to the same trace.
//
// Actions are injected right after a step, never after runUntil or a seek by
// time moved the clock past the last step: replaying such an action is a
// known core issue (see wasm/BRIDGE.md, "Known issues").
func TestLiveActionsAndSeek(t *testing.T) {
	e := setup(t)
	sc := bigScript(6, 60, 4, `"seed": 11, "network": {"latency": "1ms..10ms"}`)
	first := []op{
		{"runEvents", 30.0},
		{"inject", map[string]any{"hold": []any{0.0, 1.0}}},
		{"runEvents", 20.0},
		{"inject", map[string]any{"crash": 2.0}},
		{"step", nil},
		{"inject", map[string]any{"release": true}},
		{"runEvents", 15.0},
		{"inject", map[string]any{"drop": map[string]any{"type": "MSG", "from": 3.0, "count": 2.0}}},
		{"inject", map[string]any{"partition": []any{[]any{0.0, 1.0, 2.0}, []any{3.0, 4.0, 5.0}}}},
		{"runEvents", 10.0},
	}
	back := []op{
		{"seek", map[string]any{"event": 40.0}}, // before the crash: the later actions stay queued
		{"run", nil},
	}
	branch := []op{
		{"seek", map[string]any{"time": 9000.0}},
		{"step", nil},
		{"inject", map[string]any{"cut": []any{4.0, 5.0}}}, // a new branch: the queued actions are dropped
		{"runEvents", 10.0},
		{"inject", map[string]any{"delay": map[string]any{"type": "MSG", "to": 1.0, "by": "5ms", "count": 3.0}}},
		{"runUntil", 150000.0},
		{"run", nil},
	}
	// Observe after each phase.
	observe := []string{"steps", "now", "eventCount", "summaryJSON", "liveActions", "exportScenario", "inFlight", "channels", "nodes"}
	steps := []step{{Do: "create", Args: []any{sc}, As: "a"}}
	var phases [][]op
	for _, ops := range [][]op{first, back, branch} {
		for _, o := range ops {
			st := step{Do: "sim", Sim: "a", Fn: o.fn}
			if o.arg != nil {
				st.Args = []any{o.arg}
			}
			steps = append(steps, st)
		}
		for _, fn := range observe {
			steps = append(steps, step{Do: "sim", Sim: "a", Fn: fn})
		}
		phases = append(phases, ops)
	}
	out := e.run(t, steps)
	for i, o := range out {
		if o.Threw {
			t.Fatalf("step %d (%s): %v", i, steps[i].Fn, o)
		}
	}

	var done []op
	k := 1
	var afterFirst, afterBack string
	for pi, ops := range phases {
		done = append(done, ops...)
		k += len(ops)
		s := native(t, sc, done)
		got := out[k : k+len(observe)]
		k += len(observe)
		want := map[string]string{
			"steps":          fmt.Sprint(s.Steps()),
			"now":            fmt.Sprint(int64(s.Now() / time.Microsecond)),
			"eventCount":     fmt.Sprint(s.NumEvents()),
			"summaryJSON":    marshal(t, marshal(t, s.Summarize())),
			"exportScenario": marshal(t, string(s.Scenario().JSON(s.LiveActions()))),
		}
		var live []map[string]any
		for _, a := range s.RecordedActions() {
			live = append(live, a.JSON())
		}
		want["liveActions"] = marshal(t, live)
		for i, fn := range observe {
			w, ok := want[fn]
			if !ok {
				continue
			}
			g := string(got[i].OK)
			if fn == "liveActions" { // compare as data: JS and Go order keys differently
				var a, b any
				json.Unmarshal(got[i].OK, &a)
				json.Unmarshal([]byte(w), &b)
				g, w = marshal(t, a), marshal(t, b)
			}
			if g != w {
				t.Errorf("phase %d, %s:\n page:   %s\n native: %s", pi, fn, g, w)
			}
		}
		sum := got[3].str(t)
		switch pi {
		case 0:
			afterFirst = sum
			if len(s.LiveActions()) != 5 {
				t.Errorf("phase 0: %d live actions, want 5", len(s.LiveActions()))
			}
		case 1:
			afterBack = sum
			// The straight run with the same actions, never seeking.
			straight := native(t, sc, append(append([]op{}, first...), op{"run", nil}))
			if w := marshal(t, straight.Summarize()); sum != w {
				t.Errorf("seeking back and playing forward changed the run:\n after seek: %s\n straight:   %s", sum, w)
			}
		case 2:
			if sum == afterBack || sum == afterFirst {
				t.Errorf("the branch did not change the run")
			}
			// The exported scenario replays to the same trace.
			exported := got[5].str(t)
			re, err := core.NewFromJSON([]byte(exported), protocols.Catalog)
			if err != nil {
				t.Fatalf("the exported scenario does not load: %v\n%s", err, exported)
			}
			re.Run()
			var a core.Summary
			json.Unmarshal([]byte(sum), &a)
			if h := re.TraceHash(); h != a.TraceSHA256 {
				t.Errorf("the exported scenario replays to trace %s, the page's run was %s", h, a.TraceSHA256)
			}
		}
	}
}
