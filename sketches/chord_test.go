package sketches_test

// Chord lookup, seed §9 (Stoica, Morris, Karger, Kaashoek & Balakrishnan,
// "Chord", SIGCOMM 2001, Figures 4 and 7). The seed's walk-through is loose
// (it compares fingers with the key, and has N32 "forward to N45"); this
// follows the paper: find_successor walks closest_preceding_finger until the
// key falls in (n, n.successor], and that n answers with its successor. Here
// the walk is recursive (the query is forwarded), so key 40 from N0 goes
// N0 → N32, and N32 answers N45 without contacting it. A joining node finds
// its successor through N0, then stabilize/notify splice it into the ring;
// fix_fingers is left out, since lookups are correct with successors alone.
// The seed's finger table of N0 is loose too: finger[6] = successor(32) is N32
// itself (successor(k) is the first node with id ≥ k), not N45.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"distlab/core"
	"distlab/internal/simtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const chordM = 6 // identifier bits: a ring of 2^6 = 64 positions

var chordIDs = []int{0, 14, 32, 45, 51, 57, 40} // process 6 (N40) joins later

type find struct {
	Key, Origin, Hops int
	Path              []int // processes visited
	Join              bool
}

func (m find) Type() string   { return "FIND" }
func (m find) String() string { return fmt.Sprintf("FIND(key %d, hops %d)", m.Key, m.Hops) }

type found struct {
	Key, Node int // Node: the process responsible for Key
	Hops      int
	Path      []int
	Join      bool
}

func (m found) Type() string   { return "FOUND" }
func (m found) String() string { return fmt.Sprintf("FOUND(key %d at N%d)", m.Key, chordIDs[m.Node]) }

// chordCtl is stabilization's STABILIZE, PREDECESSOR(p) and NOTIFY(n).
type chordCtl struct {
	Kind string
	P    int
}

func (m chordCtl) Type() string   { return m.Kind }
func (m chordCtl) String() string { return fmt.Sprintf("%s(%d)", m.Kind, m.P) }

var chordProto = &core.Protocol{
	Name: "chord", Title: "Chord", Section: "9", MinNodes: 6, MaxNodes: 7,
	MessageTypes: []core.Kindspec{{Name: "FIND"}, {Name: "FOUND"}, {Name: "STABILIZE"}, {Name: "PREDECESSOR"}, {Name: "NOTIFY"}},
	Phases:       []core.Kindspec{{Name: "joined"}},
	Build: func(b *core.Build) (core.Instance, error) {
		for i := 0; i < b.Nodes; i++ {
			b.Label(i, fmt.Sprintf("N%d", chordIDs[i]))
		}
		return &chordInst{}, nil
	},
}

type chordInst struct{}

type chordLookup struct {
	Key, Node, Hops int
	Path            []int
}

type chordNode struct {
	p, id      int // process and ring identifier
	active     bool
	succ, pred int
	finger     [chordM]int // finger[i] = successor(id + 2^i): the paper's finger[i+1]
	lookups    []chordLookup
}

// between reports x ∈ (a, b) on the ring; betweenRight x ∈ (a, b].
func between(x, a, b int) bool {
	if a < b {
		return a < x && x < b
	}
	return x > a || x < b
}
func betweenRight(x, a, b int) bool { return x == b || between(x, a, b) }

// successorOf is the first of the six initial nodes at or after k, clockwise.
func successorOf(k int) int {
	for d := 0; ; d++ {
		for p, id := range chordIDs[:6] {
			if id == (k+d)%(1<<chordM) {
				return p
			}
		}
	}
}

func (*chordInst) NewNode(p int) core.Node {
	n := &chordNode{p: p, id: chordIDs[p], active: p < 6, pred: -1}
	if n.active { // the initial ring, as built by earlier joins
		for i := range n.finger {
			n.finger[i] = successorOf((n.id + 1<<i) % (1 << chordM))
		}
		n.succ, n.pred = n.finger[0], (p+5)%6
	}
	return n
}

func (n *chordNode) Start(env core.Env) {
	if n.active {
		env.SetTimer(50*time.Millisecond, "stabilize", nil)
	}
}

func (n *chordNode) Input(env core.Env, data string) error {
	var key int
	switch _, err := fmt.Sscanf(data, "lookup %d", &key); {
	case data == "join" && !n.active: // n.join(N0): ask N0 for our successor
		env.Send(0, find{Key: n.id, Origin: n.p, Path: []int{n.p}, Join: true})
	case err == nil && n.active && key >= 0 && key < 1<<chordM:
		n.findSuccessor(env, find{Key: key, Origin: n.p})
	default:
		return fmt.Errorf("%q: expected \"lookup KEY\" (0..63) on a ring member, or \"join\"", data)
	}
	return nil
}

// findSuccessor: answer if key ∈ (n, successor], else forward to the closest
// preceding finger.
func (n *chordNode) findSuccessor(env core.Env, m find) {
	m.Path = append(append([]int(nil), m.Path...), n.p)
	if betweenRight(m.Key, n.id, chordIDs[n.succ]) {
		r := found{Key: m.Key, Node: n.succ, Hops: m.Hops, Path: m.Path, Join: m.Join}
		if m.Origin == n.p {
			n.Receive(env, n.p, r)
		} else {
			env.Send(m.Origin, r)
		}
		return
	}
	m.Hops++
	env.Send(n.closestPrecedingFinger(m.Key), m)
}

func (n *chordNode) closestPrecedingFinger(key int) int {
	for i := chordM - 1; i >= 0; i-- {
		if between(chordIDs[n.finger[i]], n.id, key) {
			return n.finger[i]
		}
	}
	return n.succ
}

func (n *chordNode) Receive(env core.Env, from int, m core.Message) {
	switch m := m.(type) {
	case find:
		n.findSuccessor(env, m)
	case found:
		if m.Join {
			n.active, n.succ = true, m.Node
			for i := range n.finger {
				n.finger[i] = m.Node
			}
			env.Phase("joined", "successor "+env.Name(m.Node))
			n.Start(env)
			return
		}
		n.lookups = append(n.lookups, chordLookup{m.Key, m.Node, m.Hops, m.Path})
		env.Decide(env.Name(m.Node), fmt.Sprintf("key %d is at %s (%d hops)", m.Key, env.Name(m.Node), m.Hops))
	case chordCtl:
		switch m.Kind {
		case "STABILIZE":
			env.Send(from, chordCtl{"PREDECESSOR", n.pred})
		case "PREDECESSOR": // x = successor.predecessor; adopt it if it sits between
			if m.P >= 0 && between(chordIDs[m.P], n.id, chordIDs[n.succ]) {
				n.succ, n.finger[0] = m.P, m.P
			}
			env.Send(n.succ, chordCtl{"NOTIFY", n.p})
		case "NOTIFY":
			if n.pred < 0 || between(chordIDs[from], chordIDs[n.pred], n.id) {
				n.pred = from
			}
		}
	}
}

func (n *chordNode) Timer(env core.Env, t core.Timer) {
	env.Send(n.succ, chordCtl{"STABILIZE", n.p})
	env.SetTimer(50*time.Millisecond, "stabilize", nil)
}

func (n *chordNode) State() any {
	return map[string]any{"id": n.id, "active": n.active, "succ": n.succ, "pred": n.pred, "finger": n.finger, "lookups": n.lookups}
}
func (n *chordNode) String() string { return fmt.Sprintf("N%d, successor N%d", n.id, chordIDs[n.succ]) }

func (*chordInst) Metrics(s *core.Sim) map[string]float64 {
	var count, sum, most int
	for p := 0; p < s.N(); p++ {
		for _, l := range s.Node(p).(*chordNode).lookups {
			count, sum, most = count+1, sum+l.Hops, max(most, l.Hops)
		}
	}
	return map[string]float64{"lookups": float64(count), "hops_mean": float64(sum) / float64(max(1, count)), "hops_max": float64(most)}
}

func chordNames(s *core.Sim, ps []int) string {
	var out []string
	for _, p := range ps {
		out = append(out, s.Name(p))
	}
	return strings.Join(out, " → ")
}

func TestChordLookupAndJoin(t *testing.T) {
	s := run(t, chordProto, `{"protocol": "chord", "nodes": 7, "until": "1s", "faults": [
		{"at": "5ms", "input": 0, "data": "lookup 99"},
		{"at": "10ms", "input": 0, "data": "lookup 40"},
		{"at": "100ms", "input": 6, "data": "join"},
		{"at": "600ms", "input": 0, "data": "lookup 40"}]}`)
	n0, n32 := s.Node(0).(*chordNode), s.Node(2).(*chordNode)
	fingerIDs := func(n *chordNode) (ids []int) {
		for _, p := range n.finger {
			ids = append(ids, chordIDs[p])
		}
		return ids
	}
	assert.Equal(t, []int{14, 14, 14, 14, 32, 32}, fingerIDs(n0), "N0's fingers (the seed has N45 last; succ(32) = N32)")
	assert.Equal(t, []int{51, 0}, fingerIDs(n32)[4:], "N32: finger[5] = succ(48) = N51, finger[6] = succ(0) = N0")
	require.Len(t, n0.lookups, 2)
	before, after := n0.lookups[0], n0.lookups[1]
	assert.Equal(t, "N0 → N32", chordNames(s, before.Path))
	assert.Equal(t, "N45", s.Name(before.Node), "key 40 is at N45 before the join")
	assert.Equal(t, 1, before.Hops)
	assert.Equal(t, "N40", s.Name(after.Node), "after N40 joined, key 40 is found at N40")
	assert.Equal(t, "N0 → N32", chordNames(s, after.Path))
	assert.Equal(t, 6, n32.succ, "stabilize made N40 the successor of N32")
	assert.Equal(t, 6, s.Node(3).(*chordNode).pred, "notify made N40 the predecessor of N45")
	assert.Equal(t, 1.0, s.Summarize().Metrics["hops_mean"])
	assert.Len(t, simtest.Phases(s, "joined"), 1)
	var refused []string
	for i := 0; i < s.NumEvents(); i++ {
		if e := s.Event(i); e.Kind == core.KNote && strings.HasPrefix(s.Text(e), "input refused") {
			refused = append(refused, s.Text(e))
		}
	}
	assert.Equal(t, []string{`input refused: "lookup 99": expected "lookup KEY" (0..63) on a ring member, or "join"`}, refused)
}

// Every key from every node: the right node, in O(log N) hops.
func TestChordAllLookups(t *testing.T) {
	var faults []string
	for p := 0; p < 6; p++ {
		for k := 0; k < 64; k++ {
			faults = append(faults, fmt.Sprintf(`{"at": "%dms", "input": %d, "data": "lookup %d"}`, 1+k, p, k))
		}
	}
	s := run(t, chordProto, `{"protocol": "chord", "nodes": 6, "until": "1s", "faults": [`+strings.Join(faults, ",")+`]}`)
	for p := 0; p < 6; p++ {
		ls := s.Node(p).(*chordNode).lookups
		require.Len(t, ls, 64)
		for _, l := range ls {
			assert.Equal(t, successorOf(l.Key), l.Node, "%s: key %d", s.Name(p), l.Key)
		}
	}
	m := s.Summarize().Metrics
	assert.LessOrEqual(t, m["hops_max"], 3.0, "at most ⌈log2 6⌉ = 3 hops")
	t.Logf("384 lookups: %.2f hops on average, %v at most", m["hops_mean"], m["hops_max"])
}
