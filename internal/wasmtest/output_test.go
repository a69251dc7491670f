package wasmtest

import (
	"encoding/json"
	"testing"

	"distlab/core"
	"distlab/protocols"
)

// output() is Summary.output without the trace hash, and node() lists the
// process's pending timers, both as the native engine has them.
func TestOutputAndTimers(t *testing.T) {
	e := setup(t)
	sc := protocols.Catalog.Lookup("pbft").Default
	out := e.run(t, []step{
		{Do: "create", Args: []any{sc}, As: "a"},
		{Do: "sim", Sim: "a", Fn: "runUntil", Args: []any{20000}},
		{Do: "sim", Sim: "a", Fn: "output"},
		{Do: "sim", Sim: "a", Fn: "node", Args: []any{0}},
	})
	for _, o := range out {
		if o.Threw {
			t.Fatal(o)
		}
	}
	native, err := core.NewFromJSON([]byte(sc), protocols.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	native.RunUntil(20_000_000)
	want, _ := json.Marshal(native.Output())
	if string(out[2].OK) != string(want) {
		t.Errorf("output()\n page:   %s\n native: %s", out[2].OK, want)
	}
	var node struct {
		Timers []core.TimerInfo `json:"timers"`
	}
	if err := json.Unmarshal(out[3].OK, &node); err != nil {
		t.Fatal(err)
	}
	wantTimers := native.PendingTimers(0)
	if len(node.Timers) != len(wantTimers) {
		t.Fatalf("node(0).timers = %v, native %v", node.Timers, wantTimers)
	}
	for i := range wantTimers {
		if node.Timers[i] != wantTimers[i] {
			t.Errorf("timer %d: %v, native %v", i, node.Timers[i], wantTimers[i])
		}
	}
}
