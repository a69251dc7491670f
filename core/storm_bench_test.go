package core

import "testing"

// stormEvents is how many trace events one benchmark iteration records; the
// page's DistLab.bench() defaults to the same figure.
const stormEvents = 200_000

// BenchmarkStorm16 measures engine throughput natively on the message storm
// (16 nodes, complete topology, random sends), the same run DistLab.bench()
// times in the browser. Compare with: go test ./internal/wasmtest -run TestBenchSideBySide -v
func BenchmarkStorm16(b *testing.B) {
	sc, err := StormScenario(16, 1)
	if err != nil {
		b.Fatal(err)
	}
	events := 0
	for b.Loop() {
		s, err := New(sc)
		if err != nil {
			b.Fatal(err)
		}
		events += s.RunEvents(stormEvents)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

func TestStormIsDeterministicAndSteady(t *testing.T) {
	sc, err := StormScenario(16, 7)
	if err != nil {
		t.Fatal(err)
	}
	run := func() (*Sim, string) {
		s, err := New(sc)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.RunEvents(5000); got < 5000 || got > 5001 {
			t.Fatalf("RunEvents(5000) added %d events", got)
		}
		return s, s.TraceHash()
	}
	s, h1 := run()
	_, h2 := run()
	if h1 != h2 {
		t.Fatalf("same seed, different traces: %s vs %s", h1, h2)
	}
	// 16 nodes x 4 tokens: the load in flight never changes.
	if got := len(s.InFlight()); got != 64 {
		t.Fatalf("%d messages in flight, want 64", got)
	}
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
}

func TestStormRejectsBadSizes(t *testing.T) {
	for _, n := range []int{0, 1, 513, 100000} {
		if _, err := StormScenario(n, 1); err == nil {
			t.Errorf("nodes %d: no error", n)
		} else if _, ok := err.(*ScenarioError); !ok {
			t.Errorf("nodes %d: %T %v, want a ScenarioError", n, err, err)
		}
	}
}
