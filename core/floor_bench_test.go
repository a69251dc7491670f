package core

import (
	"fmt"
	"testing"
)

// The floor: the fastest bare queue of (time, seq) pairs — typed, no
// allocation, ~1,024 pending, one pop and one push per operation. The
// engine's cost per event is reported as a multiple of this, both measured
// in the same run (BenchmarkFloorQueue and BenchmarkStorm16).

type floorItem struct {
	t   int64
	seq uint64
}

type floorHeap []floorItem

func (h floorHeap) less(i, j int) bool {
	return h[i].t < h[j].t || h[i].t == h[j].t && h[i].seq < h[j].seq
}

func (h *floorHeap) push(it floorItem) {
	*h = append(*h, it)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *floorHeap) pop() floorItem {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && a.less(r, l) {
			m = r
		}
		if !a.less(m, i) {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}

func BenchmarkFloorQueue(b *testing.B) {
	h := make(floorHeap, 0, 2048)
	var seq uint64
	x := uint64(88172645463325252)
	for i := 0; i < 1024; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		seq++
		h.push(floorItem{t: int64(x % 25_000_000), seq: seq})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it := h.pop()
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		seq++
		h.push(floorItem{t: it.t + int64(x%25_000_000), seq: seq})
	}
	b.ReportMetric(1, "events/op")
}

// stormAt builds a storm over a random topology (complete graphs of 1,024
// nodes exceed the channel limit), for the memory figures.
func stormAt(tb testing.TB, nodes, degree int) *Sim {
	p := *StormProtocol()
	p.MaxNodes = 0
	topo := `"complete"`
	if degree > 0 {
		topo = fmt.Sprintf(`{"shape": "random", "degree": %d}`, degree)
	}
	sc, err := ParseScenario(fmt.Appendf(nil, `{"protocol": "storm", "nodes": %d, "topology": %s, "until": "24h"}`, nodes, topo), Catalog{&p})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(sc)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkTraceBytesPerEvent reports the trace's memory per event (events,
// messages, per-process lists and clock checkpoints) at N = 16 and N = 1,024.
// Targets: <= 200 B at 16, <= 512 B at 1,024.
func BenchmarkTraceBytesPerEvent(b *testing.B) {
	for _, c := range []struct{ nodes, degree int }{{16, 0}, {1024, 8}} {
		b.Run(fmt.Sprintf("N=%d", c.nodes), func(b *testing.B) {
			var per float64
			for i := 0; i < b.N; i++ {
				s := stormAt(b, c.nodes, c.degree)
				n := s.RunEvents(1_000_000)
				per = float64(s.MemoryBytes()) / float64(n)
			}
			b.ReportMetric(per, "B/event")
		})
	}
}

// BenchmarkStorm1024 is the storm at N = 1,024 (random topology, degree 8),
// where vector clocks are 4 KiB each.
func BenchmarkStorm1024(b *testing.B) {
	events := 0
	for b.Loop() {
		s := stormAt(b, 1024, 8)
		events += s.RunEvents(200_000)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// TestTraceMemoryBudget checks the memory accounting is sane (not a timing
// assertion: bytes are deterministic for a given run).
func TestTraceMemoryBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	for _, c := range []struct {
		nodes, degree int
		budget        float64
	}{{16, 0, 200}, {1024, 8, 512}} {
		s := stormAt(t, c.nodes, c.degree)
		n := s.RunEvents(400_000)
		per := float64(s.MemoryBytes()) / float64(n)
		t.Logf("N=%d: %.0f bytes per event over %d events", c.nodes, per, n)
		if per > c.budget {
			t.Errorf("N=%d: %.0f bytes per event, budget %.0f", c.nodes, per, c.budget)
		}
	}
}
