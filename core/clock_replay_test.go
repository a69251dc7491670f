package core_test

import (
	"testing"
	"time"
)

// TestVCQueriedMidRun: asking for an event's vector clock while the run is
// still going must not spoil later answers. The replay that answers is
// cached; a send it applies before its message has been received keeps no
// vector for the receive, so a cached replay must not serve a longer trace.
// (Found by the page: the diagram's vector clocks, read as a run plays,
// showed P2's receive of m2 as [0,2,1] instead of the seed's [1,2,1].)
func TestVCQueriedMidRun(t *testing.T) {
	sc := `{"protocol": "script", "seed": 1, "nodes": 3, "until": "10ms", "network": {"latency": "2ms"},
		"workload": {"events": [
			{"at": "1ms", "node": 0, "do": "send", "to": 1, "label": "m1"},
			{"at": "4ms", "node": 1, "do": "send", "to": 2, "label": "m2"},
			{"at": "5ms", "node": 0, "do": "local", "label": "e2"}]}}`
	whole := newSim(t, sc)
	whole.Run()
	s := newSim(t, sc)
	s.RunUntil(time.Millisecond) // m1 sent, not yet received
	s.VC(s.NumEvents() - 1)
	s.Run()
	if s.NumEvents() != whole.NumEvents() {
		t.Fatalf("%d events, want %d", s.NumEvents(), whole.NumEvents())
	}
	// Latest first: a replay cached at the mid-run query would be reused.
	for i := s.NumEvents() - 1; i >= 0; i-- {
		got, want := s.VC(i), whole.VC(i)
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("event %d: VC %v after a query mid-run, %v without", i, got, want)
			}
		}
	}
}
