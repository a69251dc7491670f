package core_test

import (
	"strings"
	"testing"

	"distlab/core"
	"distlab/internal/simtest"
	"distlab/protocols"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustRun(t *testing.T, scenario string) *core.Sim {
	t.Helper()
	return simtest.Run(t, protocols.Catalog, scenario)
}

// model returns the events of the book's model (local, send, receive) with
// their text, process and clocks.
type modelEvent struct {
	node    int
	text    string
	lamport int64
	vc      []int32
}

func modelEvents(s *core.Sim) []modelEvent {
	var out []modelEvent
	s.ForEachVC(0, s.NumEvents(), func(i int, vc []int32) bool {
		e := s.Event(i)
		if e.Kind.Ticks() {
			out = append(out, modelEvent{int(e.Node), s.Text(e), e.Lamport, append([]int32(nil), vc...)})
		}
		return true
	})
	return out
}

func find(t *testing.T, s *core.Sim, node int, prefix string) int {
	t.Helper()
	for i := 0; i < s.NumEvents(); i++ {
		e := s.Event(i)
		if int(e.Node) == node && e.Kind.Ticks() && strings.HasPrefix(s.Text(e), prefix) {
			return i
		}
	}
	t.Fatalf("no event %q on P%d", prefix, node)
	return -1
}

// Seed, section 2, "Vector Clocks" (see simtest.SeedVectorExample).
const seedVectorExample = simtest.SeedVectorExample

func TestSeedSection2VectorClockExample(t *testing.T) {
	s := mustRun(t, seedVectorExample)
	got := modelEvents(s)
	want := []modelEvent{
		{0, "send m1 to P1", 1, []int32{1, 0, 0}},
		{1, "receive m1 from P0", 2, []int32{1, 1, 0}},
		{1, "send m2 to P2", 3, []int32{1, 2, 0}},
		{0, "e2", 2, []int32{2, 0, 0}},
		{2, "receive m2 from P1", 4, []int32{1, 2, 1}},
	}
	assert.Equal(t, want, got)
	e2 := find(t, s, 0, "e2")
	recv := find(t, s, 2, "receive m2")
	assert.True(t, s.Concurrent(e2, recv), "e@P1=[2,0,0] and f@P3=[1,2,1] are concurrent")
	send := find(t, s, 0, "send m1")
	assert.True(t, s.HappensBefore(send, recv), "send m1 -> receive m2 by transitivity")
	assert.False(t, s.HappensBefore(recv, send))
}

// Seed, section 2, "Lamport Scalar Clocks". The seed's diagram sends m1 with
// the timestamp of the previous local event (1) and so gets P2=2, f2=3,
// P3=4; the book (Kshemkalyani & Singhal, 3.2) and Lamport (1978) make the
// send an event of its own that ticks first. We follow the book: e1=1,
// send m1=2 (ts 2), P2 receive = max(0,2)+1 = 3, f2 = 4, send m2 = 5,
// P3 receive = max(0,5)+1 = 6, and P1's e2 = 3.
func TestSeedSection2LamportExample(t *testing.T) {
	s := mustRun(t, `{
  "protocol": "script", "nodes": 3, "until": "100ms", "network": {"latency": "2ms"},
  "workload": {"events": [
    {"at": "1ms", "node": 0, "do": "local", "label": "e1"},
    {"at": "2ms", "node": 0, "do": "send", "to": 1, "label": "m1"},
    {"at": "5ms", "node": 1, "do": "local", "label": "f2"},
    {"at": "6ms", "node": 1, "do": "send", "to": 2, "label": "m2"},
    {"at": "7ms", "node": 0, "do": "local", "label": "e2"}
  ]}}`)
	got := map[string]int64{}
	for _, e := range modelEvents(s) {
		got[e.text] = e.lamport
	}
	assert.Equal(t, map[string]int64{
		"e1": 1, "send m1 to P1": 2, "receive m1 from P0": 3, "f2": 4,
		"send m2 to P2": 5, "receive m2 from P1": 6, "e2": 3,
	}, got)
	// Clock condition: a -> b implies C(a) < C(b), and not conversely.
	e2 := find(t, s, 0, "e2")
	f2 := find(t, s, 1, "f2")
	assert.Less(t, s.Event(e2).Lamport, s.Event(f2).Lamport)
	assert.True(t, s.Concurrent(e2, f2), "C(e2) < C(f2) yet e2 || f2: scalar clocks cannot detect concurrency")
}

// Seed, section 1: P1: e1 local, e2 send m1, e3 receive m2, e4 local;
// P2: f1 local, f2 receive m1, f3 send m2, f4 local. Happens-before:
// e2 -> f2, f2 -> f3, f3 -> e3, e2 -> e3 (transitivity).
const seedSection1 = `{
  "protocol": "script", "nodes": 2, "until": "100ms", "network": {"latency": "2ms"},
  "workload": {"events": [
    {"at": "1ms", "node": 0, "do": "local", "label": "e1"},
    {"at": "2ms", "node": 0, "do": "send", "to": 1, "label": "m1"},
    {"at": "1ms", "node": 1, "do": "local", "label": "f1"},
    {"at": "6ms", "node": 1, "do": "send", "to": 0, "label": "m2"},
    {"at": "10ms", "node": 0, "do": "local", "label": "e4"},
    {"at": "10ms", "node": 1, "do": "local", "label": "f4"}
  ]}}`

func TestSeedSection1HappensBefore(t *testing.T) {
	s := mustRun(t, seedSection1)
	e1, e2 := find(t, s, 0, "e1"), find(t, s, 0, "send m1")
	e3, e4 := find(t, s, 0, "receive m2"), find(t, s, 0, "e4")
	f1, f2 := find(t, s, 1, "f1"), find(t, s, 1, "receive m1")
	f3, f4 := find(t, s, 1, "send m2"), find(t, s, 1, "f4")
	for _, p := range [][2]int{{e2, f2}, {f2, f3}, {f3, e3}, {e2, e3}, {e1, e4}, {e1, f4}} {
		assert.True(t, s.HappensBefore(p[0], p[1]), "%s -> %s", s.Text(s.Event(p[0])), s.Text(s.Event(p[1])))
		assert.False(t, s.HappensBefore(p[1], p[0]))
	}
	assert.True(t, s.Concurrent(e1, f1))
	assert.True(t, s.Concurrent(e4, f4))
	assert.True(t, s.Concurrent(e1, f3) == false, "e1 -> e2 -> f2 -> f3")
	assert.False(t, s.HappensBefore(e1, e1))
	// Causal past of e3: e1, e2 on P0 (and e3 itself), f1..f3 on P1.
	past := s.CausalPast(e3)
	assert.Equal(t, e3, int(s.NodeEvents(0)[past[0]-1]))
	assert.Equal(t, f3, int(s.NodeEvents(1)[past[1]-1]))
	fut := s.CausalFuture(e2)
	assert.Equal(t, e2, int(s.NodeEvents(0)[fut[0]]))
	assert.Equal(t, f2, int(s.NodeEvents(1)[fut[1]]))
}

// prefixUpTo returns, per process, the number of its events up to and
// including the given event ids (one per process, -1 for none).
func prefixUpTo(s *core.Sim, frontier ...int) []int {
	out := make([]int, len(frontier))
	for p, ev := range frontier {
		for i, id := range s.NodeEvents(p) {
			if int(id) == ev {
				out[p] = i + 1
			}
		}
	}
	return out
}

// Seed, section 3: cut C1 (e2, f1, g3) is consistent; cut C2 (e1, f2, g1)
// is inconsistent because f2 receives a message that P1 sends at e2, after
// the cut.
func TestSeedSection3Cuts(t *testing.T) {
	s := mustRun(t, `{
  "protocol": "script", "nodes": 3, "until": "100ms", "network": {"latency": "2ms"},
  "workload": {"events": [
    {"at": "1ms", "node": 0, "do": "local", "label": "e1"},
    {"at": "2ms", "node": 0, "do": "send", "to": 1, "label": "m"},
    {"at": "8ms", "node": 0, "do": "local", "label": "e3"},
    {"at": "1ms", "node": 1, "do": "local", "label": "f1"},
    {"at": "8ms", "node": 1, "do": "local", "label": "f3"},
    {"at": "1ms", "node": 2, "do": "local", "label": "g1"},
    {"at": "2ms", "node": 2, "do": "local", "label": "g2"},
    {"at": "3ms", "node": 2, "do": "local", "label": "g3"}
  ]}}`)
	e1, e2 := find(t, s, 0, "e1"), find(t, s, 0, "send m")
	f1, f2 := find(t, s, 1, "f1"), find(t, s, 1, "receive m")
	g1, g3 := find(t, s, 2, "g1"), find(t, s, 2, "g3")
	c1, err := s.CheckCut(prefixUpTo(s, e2, f1, g3))
	require.NoError(t, err)
	assert.True(t, c1.Consistent, c1.Detail)
	c2, err := s.CheckCut(prefixUpTo(s, e1, f2, g1))
	require.NoError(t, err)
	assert.False(t, c2.Consistent)
	assert.Equal(t, e2, c2.Send)
	assert.Equal(t, f2, c2.Recv)
	assert.Contains(t, c2.Detail, "P1 receives m inside the cut, but P0 sends it outside")
	_, err = s.CheckCut([]int{0, 0})
	assert.ErrorContains(t, err, "expected 3 entries")
	_, err = s.CheckCut([]int{0, 0, 99})
	assert.ErrorContains(t, err, "out of range")
}
