package wasmtest

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestErrors: bad input throws an Error that says what and where; nothing
// that throws changes the simulation.
func TestErrors(t *testing.T) {
	e := setup(t)
	script := map[string]any{"protocol": "script"}
	cases := []struct {
		st   step
		want []string // substrings of the message; the first is its start
	}{
		{step{Do: "api", Fn: "create", Args: []any{"{\"protocol\": \"script\",\n \"nodes\": 3,, }"}}, []string{"scenario: malformed JSON", "line 2, column"}},
		{step{Do: "api", Fn: "create", Args: []any{map[string]any{"protocol": "script", "nodez": 3}}}, []string{`scenario: nodez: unknown key "nodez"; did you mean "nodes"?`}},
		{step{Do: "api", Fn: "create", Args: []any{map[string]any{"protocol": "script", "faults": []any{map[string]any{"at": "1ms", "crash": 7}}}}}, []string{"scenario: faults[0].crash: node 7 does not exist (nodes are 0..2)"}},
		{step{Do: "api", Fn: "create", Args: []any{map[string]any{"protocol": "script", "nodes": 100000}}}, []string{"scenario: nodes: 100000 nodes is out of range"}},
		{step{Do: "api", Fn: "create", Args: []any{`{"protocol": "script", "nodes": 1e21}`}}, []string{"scenario: nodes: expected an integer"}},
		{step{Do: "api", Fn: "create", Args: []any{map[string]any{"protocol": "scrpt"}}}, []string{`scenario: protocol: unknown protocol "scrpt"; did you mean "script"?`}},
		{step{Do: "api", Fn: "create", Args: []any{42}}, []string{"create: expected a scenario object or JSON string, got number"}},
		{step{Do: "api", Fn: "validate"}, []string{"validate: expected a scenario object or JSON string, got undefined"}},
		{step{Do: "api", Fn: "protocol", Args: []any{"scrpt"}}, []string{`protocol: unknown protocol "scrpt"; did you mean "script"?`, "(valid: script"}},
		{step{Do: "api", Fn: "protocol", Args: []any{true}}, []string{"protocol: expected a protocol name (a string), got boolean"}},
		{step{Do: "api", Fn: "bench", Args: []any{map[string]any{"nodes": 100000}}}, []string{"bench: nodes: 100000 nodes is out of range: storm runs with 2..512 nodes"}},
		{step{Do: "api", Fn: "bench", Args: []any{map[string]any{"events": 0}}}, []string{"bench: events: 0 is out of range (1..2000000)"}},
		{step{Do: "api", Fn: "bench", Args: []any{map[string]any{"evnts": 5}}}, []string{`bench: evnts: unknown key "evnts"; did you mean "events"?`}},
		{step{Do: "api", Fn: "bench", Args: []any{"fast"}}, []string{"bench: malformed JSON"}},
	}
	var steps []step
	for _, c := range cases {
		steps = append(steps, c.st)
	}
	n := len(steps)
	// A simulation, then wrong calls on it; its state must not move.
	simCases := []struct {
		fn   string
		args []any
		want string
	}{
		{"event", []any{0}, "event: i: the trace is empty (run or step first)"},
		{"inject", []any{5}, "inject: expected an action object or JSON string, got number"},
		{"inject", []any{map[string]any{"crash": 9}}, "inject: action.crash: node 9 does not exist (nodes are 0..2)"},
		{"inject", []any{map[string]any{"recover": 1}}, "inject: action.recover: P1 is not crashed"},
		{"inject", []any{map[string]any{"crash": 1, "heal": true}}, "inject: action: one action per entry, got crash and heal"},
		{"inject", []any{`{"crash": }`}, "inject: action: malformed JSON"},
		{"events", []any{"x"}, "events: cursor: expected an integer, got string"},
		{"events", []any{0, 10, 5}, "events: opts: expected an object such as {vc: true}, got number"},
		{"events", []any{99}, "events: cursor: 99 is out of range (0..0)"},
		{"events", []any{0, 1.5}, "events: max: expected an integer, got 1.5"},
		{"runUntil", []any{"soon"}, "runUntil: t: expected a time in microseconds (a number), got string"},
		{"runUntil", []any{-5}, "runUntil: t: expected a time in microseconds >= 0, got -5"},
		{"runEvents", []any{-1}, "runEvents: k: -1 is out of range"},
		{"runEvents", nil, "runEvents: k: expected an integer, got undefined"},
		{"seek", []any{map[string]any{"tiem": 5}}, `seek: tiem: unknown key "tiem"; did you mean "time"?`},
		{"seek", []any{map[string]any{"step": 1, "event": 2}}, "seek: give exactly one of step, event or time, got 2 keys"},
		{"seek", []any{map[string]any{"step": -1}}, "seek: step: -1 is out of range"},
		{"seek", []any{7}, "seek: expected an object such as {step: 10}, {event: 42} or {time: 5000} or JSON string, got number"},
		{"checkCut", []any{[]any{1}}, "checkCut: cut: expected 3 entries (one per process), got 1"},
		{"checkCut", []any{[]any{0, "a", 0}}, "checkCut: cut[1]: expected an integer, got a string"},
		{"node", []any{7}, "node: id: 7 is out of range (0..2)"},
		{"nodeEvents", []any{-1}, "nodeEvents: p: -1 is out of range (0..2)"},
		{"relation", []any{0, 1}, "relation: a: the trace is empty (run or step first)"},
	}
	steps = append(steps, step{Do: "create", Args: []any{script}, As: "a"},
		step{Do: "sim", Sim: "a", Fn: "eventCount"})
	for _, c := range simCases {
		steps = append(steps, step{Do: "sim", Sim: "a", Fn: c.fn, Args: c.args})
	}
	steps = append(steps,
		step{Do: "sim", Sim: "a", Fn: "steps"},
		step{Do: "sim", Sim: "a", Fn: "eventCount"},
		step{Do: "sim", Sim: "a", Fn: "liveActions"},
		step{Do: "sim", Sim: "a", Fn: "run"},
		step{Do: "sim", Sim: "a", Fn: "relation", Args: []any{0, 99}},
		step{Do: "sim", Sim: "a", Fn: "inject", Args: []any{map[string]any{"release": []any{0, 0}}}},
		step{Do: "sim", Sim: "a", Fn: "summaryJSON"},
	)
	out := e.run(t, steps)
	for i, c := range cases {
		checkThrew(t, c.st.Fn, out[i], c.want...)
	}
	if out[n].Threw || out[n+1].Threw {
		t.Fatalf("create/eventCount: %v, %v", out[n], out[n+1])
	}
	if string(out[n+1].OK) != "0" {
		t.Fatalf("a new simulation has %s events; the error cases below assume an empty trace", out[n+1].OK)
	}
	k := n + 2
	for _, c := range simCases {
		checkThrew(t, c.fn, out[k], c.want)
		k++
	}
	if string(out[k].OK) != "0" || string(out[k+1].OK) != "0" || string(out[k+2].OK) != "[]" {
		t.Errorf("after refused calls: steps %s, events %s, live actions %s; want 0, 0, []", out[k].OK, out[k+1].OK, out[k+2].OK)
	}
	checkThrew(t, "relation", out[k+4], "relation: b: 99 is out of range (0..10)")
	checkThrew(t, "inject", out[k+5], "inject: action.release: there is no channel from P0 to P0") // refused, not applied
	want, _ := nativeSummary(t, `{"protocol": "script"}`)
	if got := out[k+6].str(t); got != string(want) {
		t.Errorf("after the refused calls the run differs from a clean one:\n page:   %s\n native: %s", got, want)
	}
}

func checkThrew(t *testing.T, what string, o outcome, want ...string) {
	t.Helper()
	if !o.Threw {
		t.Errorf("%s: %v, want an Error %q", what, o, want[0])
		return
	}
	if !o.IsError {
		t.Errorf("%s: threw a non-Error %q", what, o.Message)
	}
	if !strings.HasPrefix(o.Message, want[0]) {
		t.Errorf("%s: message %q, want it to start with %q", what, o.Message, want[0])
	}
	for _, w := range want[1:] {
		if !strings.Contains(o.Message, w) {
			t.Errorf("%s: message %q does not say %q", what, o.Message, w)
		}
	}
}

// TestPanicsAreRecovered: a Go panic inside a call comes back as an Error;
// the engine keeps serving calls, and a simulation whose call panicked is
// back at its previous state (rebuilt by replay) and runs on identically.
func TestPanicsAreRecovered(t *testing.T) {
	e := setup(t)
	sc := bigScript(5, 40, 3, `"network": {"latency": "1ms..9ms"}`)
	steps := []step{
		{Do: "raw", Fn: "_testPanic"},                                                  // 0
		{Do: "api", Fn: "protocols", Stringify: true},                                  // 1
		{Do: "create", Args: []any{sc}, As: "a"},                                       // 2
		{Do: "sim", Sim: "a", Fn: "runEvents", Args: []any{25}},                        // 3
		{Do: "sim", Sim: "a", Fn: "inject", Args: []any{map[string]any{"crash": 3}}},   // 4
		{Do: "sim", Sim: "a", Fn: "step"},                                              // 5
		{Do: "sim", Sim: "a", Fn: "steps"},                                             // 6
		{Do: "sim", Sim: "a", Fn: "eventCount"},                                        // 7
		{Do: "sim", Sim: "a", Fn: "now"},                                               // 8
		{Do: "raw", Sim: "a", Fn: "_testPanic", Args: []any{"run"}},                    // 9
		{Do: "sim", Sim: "a", Fn: "run"},                                               // 10: panics after running
		{Do: "sim", Sim: "a", Fn: "steps"},                                             // 11
		{Do: "sim", Sim: "a", Fn: "eventCount"},                                        // 12
		{Do: "sim", Sim: "a", Fn: "now"},                                               // 13
		{Do: "raw", Sim: "a", Fn: "_testPanic", Args: []any{"inject"}},                 // 14
		{Do: "sim", Sim: "a", Fn: "inject", Args: []any{map[string]any{"heal": true}}}, // 15: panics after injecting
		{Do: "sim", Sim: "a", Fn: "liveActions", Stringify: true},                      // 16
		{Do: "raw", Sim: "a", Fn: "_testPanic", Args: []any{"nodes"}},                  // 17
		{Do: "sim", Sim: "a", Fn: "nodes"},                                             // 18: a read that panics
		{Do: "sim", Sim: "a", Fn: "nodes", Stringify: true},                            // 19
		{Do: "sim", Sim: "a", Fn: "run"},                                               // 20
		{Do: "sim", Sim: "a", Fn: "summaryJSON"},                                       // 21
		{Do: "sim", Sim: "a", Fn: "dispose"},                                           // 22
		{Do: "sim", Sim: "a", Fn: "run"},                                               // 23
		{Do: "sim", Sim: "a", Fn: "dispose"},                                           // 24: twice is fine
		{Do: "raw", Fn: "sim", Args: nil},                                              // 25: placeholder, replaced below
		{Do: "create", Args: []any{map[string]any{"protocol": "script"}}, As: "b"},     // 26
		{Do: "sim", Sim: "b", Fn: "run"},                                               // 27
	}
	steps[25] = step{Do: "api", Fn: "validate", Args: []any{map[string]any{"protocol": "script"}}}
	out := e.run(t, steps)
	checkThrew(t, "_testPanic()", out[0], "_testPanic: internal error: forced panic (test hook)", "recovered")
	if out[1].Threw || !strings.Contains(string(out[1].OK), "script") {
		t.Fatalf("protocols() after a panic: %v", out[1])
	}
	for _, i := range []int{2, 3, 4, 5, 6, 7, 8} {
		if out[i].Threw {
			t.Fatalf("step %d: %v", i, out[i])
		}
	}
	checkThrew(t, "run", out[10], "run: internal error: forced panic (test hook) (recovered; the simulation is back at step "+string(out[6].OK)+")")
	for i, what := range map[int]string{11: "steps", 12: "eventCount", 13: "now"} {
		if string(out[i].OK) != string(out[i-5].OK) {
			t.Errorf("after the panic in run, %s is %s; before it was %s", what, out[i].OK, out[i-5].OK)
		}
	}
	checkThrew(t, "inject", out[15], "inject: internal error: forced panic (test hook)")
	var live []map[string]any
	var liveText string
	json.Unmarshal(out[16].OK, &liveText)
	json.Unmarshal([]byte(liveText), &live)
	if len(live) != 1 || live[0]["crash"] != 3.0 {
		t.Errorf("after the panic in inject, live actions are %s; want only the crash", liveText)
	}
	checkThrew(t, "nodes", out[18], "nodes: internal error: forced panic (test hook)")
	if out[19].Threw {
		t.Errorf("nodes() after its panic: %v", out[19])
	}
	// The rebuilt run goes on exactly as the same actions do natively.
	s := native(t, sc, []op{{"runEvents", 25.0}, {"inject", map[string]any{"crash": 3.0}}, {"step", nil}, {"run", nil}})
	if got, want := out[21].str(t), marshal(t, s.Summarize()); got != want {
		t.Errorf("after the recovered panics the run differs:\n page:   %s\n native: %s", got, want)
	}
	if out[22].Threw {
		t.Errorf("dispose: %v", out[22])
	}
	checkThrew(t, "run after dispose", out[23], "run: simulation 1 has been disposed")
	if out[24].Threw {
		t.Errorf("dispose twice: %v", out[24])
	}
	for _, i := range []int{25, 26, 27} {
		if out[i].Threw {
			t.Errorf("step %d after the panics: %v", i, out[i])
		}
	}
}

// TestBootErrors: DistLab says clearly when it is used too early or cannot
// start (missing or broken wasm).
func TestBootErrors(t *testing.T) {
	e := setup(t)
	var r map[string]outcome
	e.node(t, "boot-errors", nil, &r)
	checkThrew(t, "call before ready", r["beforeReady"], "DistLab is not ready yet: await DistLab.ready first")
	if string(r["afterReady"].OK) != "true" {
		t.Errorf("after ready: %v", r["afterReady"])
	}
	checkThrew(t, "missing wasm", r["missing"], "DistLab could not start: ", "ENOENT")
	checkThrew(t, "call after a failed start", r["afterMissing"], "DistLab could not start: ")
	checkThrew(t, "garbage wasm", r["garbage"], "DistLab could not start: the engine's WebAssembly could not be started: ")
}
