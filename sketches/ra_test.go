package sketches_test

// Distributed mutual exclusion, seed §4: Ricart–Agrawala (CACM 1981;
// Kshemkalyani & Singhal §9.4) and, as a variant, Lamport's algorithm (CACM
// 1978; K&S §9.3, with the seed's entry rule: own request at the head of the
// queue and a REPLY from every other site; it needs FIFO channels). Each site
// keeps its own Lamport clock, as the book does: the algorithm's timestamps
// are separate from the engine's clocks.

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"distlab/core"
	"distlab/internal/simtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type raRequest struct {
	TS int64
	I  int
}

func (m raRequest) Type() string   { return "REQUEST" }
func (m raRequest) String() string { return fmt.Sprintf("REQUEST(%d, %d)", m.TS, m.I) }

// before is the total order on requests: (ts, i) lexicographically.
func (m raRequest) before(o raRequest) bool { return m.TS < o.TS || m.TS == o.TS && m.I < o.I }

type raCtl string // REPLY, and Lamport's RELEASE

func (m raCtl) Type() string   { return string(m) }
func (m raCtl) String() string { return string(m) }

var raProto = &core.Protocol{
	Name: "ra", Title: "Ricart–Agrawala", Section: "4",
	Params: []core.ParamSpec{
		{Name: "algorithm", Type: "enum", Enum: []string{"ricart-agrawala", "lamport"}, Default: "ricart-agrawala"},
		{Name: "entries", Type: "int", Default: 3, Doc: "CS entries per site"},
		{Name: "cs", Type: "duration", Default: "5ms", Doc: "time spent in the CS"},
		{Name: "broken", Type: "bool", Default: false, Doc: "Ricart–Agrawala replying at once instead of deferring (a mutant)"},
	},
	MessageTypes: []core.Kindspec{{Name: "REQUEST"}, {Name: "REPLY"}, {Name: "RELEASE"}},
	Phases:       []core.Kindspec{{Name: "wanted"}, {Name: "cs"}, {Name: "released"}},
	Metrics:      []core.Kindspec{{Name: "messages_per_cs", Expected: "2(N-1); Lamport 3(N-1)"}},
	Build: func(b *core.Build) (core.Instance, error) {
		return &raInst{lamport: b.String("algorithm") == "lamport", entries: b.Int("entries"), cs: b.Duration("cs"), broken: b.Bool("broken")}, nil
	},
}

type raInst struct {
	lamport, broken bool
	entries         int
	cs              time.Duration
	contended       int // REQUESTs that found the receiver wanting or holding the CS
}

type raNode struct {
	in       *raInst
	i        int
	clock    int64       // the site's Lamport clock
	state    string      // released, wanted, held
	req      raRequest   // the outstanding request
	replies  int         // REPLYs for it
	deferred []int       // RA: RD_i, sites whose request waits for our exit
	queue    []raRequest // Lamport: request_queue_i, sorted
	entries  int
}

func (in *raInst) NewNode(id int) core.Node { return &raNode{in: in, i: id, state: "released"} }

func (n *raNode) Start(env core.Env) { n.think(env) }

func (n *raNode) think(env core.Env) {
	if n.entries < n.in.entries {
		env.SetTimer(time.Duration(env.Rand().IntN(3000))*time.Microsecond, "want", nil)
	}
}

func (n *raNode) Timer(env core.Env, t core.Timer) {
	switch t.Name {
	case "want": // request the CS: REQUEST(ts, i) to every other site
		n.clock++
		n.state, n.req, n.replies = "wanted", raRequest{n.clock, n.i}, 0
		n.enqueue(n.req)
		env.Phase("wanted", fmt.Sprintf("request at ts %d", n.clock))
		for _, j := range env.Neighbors() {
			env.Send(j, n.req)
		}
	case "exit": // release the CS: RA sends the deferred REPLYs, Lamport broadcasts RELEASE
		n.state = "released"
		n.entries++
		n.dequeue(n.i)
		env.Phase("released", fmt.Sprintf("exit, %d deferred replies", len(n.deferred)))
		for _, j := range n.deferred {
			env.Send(j, raCtl("REPLY"))
		}
		if n.deferred = nil; n.in.lamport {
			env.Broadcast(raCtl("RELEASE"))
		}
		n.think(env)
	}
}

func (n *raNode) Receive(env core.Env, from int, m core.Message) {
	switch m := m.(type) {
	case raRequest:
		n.clock = max(n.clock, m.TS) + 1
		n.enqueue(m)
		if n.state != "released" {
			n.in.contended++
		}
		// RA defers when in the CS, or wanting it with an earlier request.
		if !n.in.lamport && !n.in.broken && (n.state == "held" || n.state == "wanted" && n.req.before(m)) {
			n.deferred = append(n.deferred, from)
			return
		}
		env.Send(from, raCtl("REPLY"))
	case raCtl:
		if m == "REPLY" {
			n.replies++
		} else { // RELEASE: the sender's request leaves the queue
			n.dequeue(from)
		}
		if n.state == "wanted" && n.replies == len(env.Neighbors()) && (!n.in.lamport || n.queue[0] == n.req) {
			n.state = "held"
			env.Phase("cs", fmt.Sprintf("enter the CS (ts %d)", n.req.TS))
			env.SetTimer(n.in.cs, "exit", nil)
		}
	}
}

func (n *raNode) enqueue(r raRequest) {
	if n.in.lamport {
		k := 0
		for k < len(n.queue) && n.queue[k].before(r) {
			k++
		}
		n.queue = slices.Insert(n.queue, k, r)
	}
}

func (n *raNode) dequeue(site int) {
	n.queue = slices.DeleteFunc(n.queue, func(r raRequest) bool { return r.I == site })
}

func (in *raInst) Invariants() []core.Invariant {
	return []core.Invariant{{Name: "mutual-exclusion", Check: func(s *core.Sim, _ *core.Event) (bool, string) {
		var in []string
		for i := 0; i < s.N(); i++ {
			if s.Node(i).(*raNode).state == "held" {
				in = append(in, s.Name(i))
			}
		}
		return len(in) <= 1, fmt.Sprintf("in the CS together: %v", in)
	}}}
}

func (in *raInst) Metrics(s *core.Sim) map[string]float64 {
	entries := 0
	for i := 0; i < s.N(); i++ {
		entries += s.Node(i).(*raNode).entries
	}
	return map[string]float64{"messages_per_cs": float64(simtest.Sent(s)) / float64(entries), "entries": float64(entries)}
}

func (n *raNode) State() any {
	return map[string]any{"clock": n.clock, "state": n.state, "request": n.req, "deferred": n.deferred, "queue": n.queue, "entries": n.entries}
}
func (n *raNode) String() string {
	return fmt.Sprintf("%s, clock %d, %d entries", n.state, n.clock, n.entries)
}

func TestMutualExclusion(t *testing.T) {
	for _, c := range []struct {
		algorithm string
		perEntry  int // messages per CS entry, in units of N-1
		fifo      bool
	}{{"ricart-agrawala", 2, false}, {"lamport", 3, true}} {
		for _, n := range []int{3, 5} {
			t.Run(fmt.Sprintf("%s/%d", c.algorithm, n), func(t *testing.T) {
				s := run(t, raProto, fmt.Sprintf(`{"protocol": "ra", "nodes": %d, "until": "5s",
					"network": {"latency": "1ms..10ms", "fifo": %t}, "params": {"algorithm": %q}}`, n, c.fifo, c.algorithm))
				assert.Empty(t, simtest.Failed(s))
				m := s.Summarize().Metrics
				require.Equal(t, float64(3*n), m["entries"], "every site entered the CS 3 times")
				assert.Equal(t, float64(c.perEntry*(n-1)), m["messages_per_cs"], "%d(N-1) messages per CS entry", c.perEntry)
				assert.Positive(t, s.Instance().(*raInst).contended, "requests contended")
				assert.Len(t, simtest.Phases(s, "cs"), 3*n)
			})
		}
	}
	// The invariant has teeth: without deferred replies two sites share the CS.
	s := run(t, raProto, `{"protocol": "ra", "nodes": 3, "until": "5s", "params": {"broken": true}}`)
	assert.Contains(t, simtest.Failed(s), "mutual-exclusion")
}
