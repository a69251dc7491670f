package sketches_test

// The seed's complete data flow, §13, in miniature: a client writes a key
// through a load balancer (round-robin over two service replicas) to a
// replicated store whose leader commits once a quorum (itself and one
// follower) holds the entry. The client then reads the key back: the second
// replica reads from the follower DB_F2, which has not applied the entry yet
// (its link from the leader is slow) — the stale read of the seed. With
// read_from "leader" the read is fresh.

import (
	"fmt"
	"testing"

	"distlab/core"
	"distlab/internal/simtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	pLB, pSvcA, pSvcA2, pCoord, pF1, pF2, pClient = 0, 1, 2, 3, 4, 5, 6
)

type e2eMsg struct {
	Kind     string // HTTP, WRITE, APPENDENTRIES, ACK, COMMIT-OK, READ, VALUE, 200-OK
	Op       string // HTTP, 200-OK: WRITE or READ
	Key, Val string
	Client   int     // HTTP: whom the service answers
	VC       []int32 // COMMIT-OK: the leader's vector clock, as in the seed
}

func (m e2eMsg) Type() string { return m.Kind }
func (m e2eMsg) String() string {
	s := m.Kind
	if m.Op != "" {
		s += " " + m.Op
	}
	return fmt.Sprintf("%s %s=%q", s, m.Key, m.Val)
}

var e2eProto = &core.Protocol{
	Name: "dataflow", Title: "A request through a distributed system", Section: "13", MinNodes: 6, MaxNodes: 6,
	Params: []core.ParamSpec{{Name: "read_from", Type: "enum", Enum: []string{"follower", "leader"}, Default: "follower"}},
	MessageTypes: []core.Kindspec{{Name: "HTTP"}, {Name: "WRITE"}, {Name: "APPENDENTRIES"}, {Name: "ACK"},
		{Name: "COMMIT-OK"}, {Name: "READ"}, {Name: "VALUE"}, {Name: "200-OK"}},
	Phases: []core.Kindspec{{Name: "stale-read"}, {Name: "fresh-read"}},
	Build: func(b *core.Build) (core.Instance, error) {
		for id, name := range []string{"LB", "SVC_A", "SVC_A2", "DB_COORD", "DB_F1", "DB_F2"} {
			b.Label(id, name)
		}
		b.Label(b.AddProcesses(1, "CLIENT"), "CLIENT")
		return &e2eInst{fromLeader: b.String("read_from") == "leader"}, nil
	},
}

type e2eInst struct{ fromLeader bool }

type e2eNode struct {
	in      *e2eInst
	id      int
	store   map[string]string // DB nodes
	acks    int               // DB_COORD: acknowledgements of the entry
	pending int               // services: the client being served; DB_COORD: the writer
	rr      int               // LB: round-robin turn
	wrote   string            // client: its acknowledged write
	stale   bool              // client: a read missed its own write
}

func (in *e2eInst) NewNode(id int) core.Node {
	return &e2eNode{in: in, id: id, store: map[string]string{}}
}

func (n *e2eNode) Start(env core.Env) {
	if n.id == pClient {
		env.Send(pLB, e2eMsg{Kind: "HTTP", Op: "WRITE", Key: "k", Val: "v", Client: pClient})
	}
}

func (n *e2eNode) Receive(env core.Env, from int, m core.Message) {
	msg := m.(e2eMsg)
	switch n.id {
	case pLB: // forward, round-robin
		env.Send(pSvcA+n.rr%2, msg)
		n.rr++
	case pSvcA, pSvcA2:
		switch msg.Kind {
		case "HTTP":
			n.pending = msg.Client
			if msg.Op == "WRITE" {
				env.Send(pCoord, e2eMsg{Kind: "WRITE", Key: msg.Key, Val: msg.Val})
			} else if n.in.fromLeader {
				env.Send(pCoord, e2eMsg{Kind: "READ", Key: msg.Key})
			} else { // SVC_A reads from DB_F1, SVC_A2 from DB_F2
				env.Send(pF1+n.id-pSvcA, e2eMsg{Kind: "READ", Key: msg.Key})
			}
		case "COMMIT-OK":
			env.Send(n.pending, e2eMsg{Kind: "200-OK", Op: "WRITE", Key: msg.Key, Val: msg.Val})
		case "VALUE":
			env.Send(n.pending, e2eMsg{Kind: "200-OK", Op: "READ", Key: msg.Key, Val: msg.Val})
		}
	case pCoord, pF1, pF2:
		switch msg.Kind {
		case "WRITE": // the leader appends and replicates
			n.pending = from
			env.Send(pF1, e2eMsg{Kind: "APPENDENTRIES", Key: msg.Key, Val: msg.Val})
			env.Send(pF2, e2eMsg{Kind: "APPENDENTRIES", Key: msg.Key, Val: msg.Val})
		case "APPENDENTRIES":
			n.store[msg.Key] = msg.Val
			env.Send(from, e2eMsg{Kind: "ACK", Key: msg.Key, Val: msg.Val})
		case "ACK": // quorum 2/3: the leader and one follower
			if n.acks++; n.acks == 1 {
				n.store[msg.Key] = msg.Val
				env.Local(fmt.Sprintf("commit %s=%q (durable in the WAL)", msg.Key, msg.Val))
				env.Send(n.pending, e2eMsg{Kind: "COMMIT-OK", Key: msg.Key, Val: msg.Val, VC: env.VC()})
			}
		case "READ":
			env.Send(from, e2eMsg{Kind: "VALUE", Key: msg.Key, Val: n.store[msg.Key]})
		}
	case pClient:
		if msg.Op == "WRITE" { // 200 OK: read the same key back
			n.wrote = msg.Val
			env.Send(pLB, e2eMsg{Kind: "HTTP", Op: "READ", Key: msg.Key, Client: pClient})
		} else if n.stale = msg.Val != n.wrote; n.stale {
			env.Phase("stale-read", fmt.Sprintf("read %q after writing %q", msg.Val, n.wrote))
		} else {
			env.Phase("fresh-read", fmt.Sprintf("read %q", msg.Val))
		}
	}
}

func (n *e2eNode) Timer(env core.Env, t core.Timer) {}
func (n *e2eNode) State() any                       { return map[string]any{"store": n.store, "stale": n.stale} }
func (n *e2eNode) String() string                   { return fmt.Sprintf("store %v", n.store) }

func (in *e2eInst) Invariants() []core.Invariant {
	return []core.Invariant{{Name: "read-your-writes", Check: func(s *core.Sim, _ *core.Event) (bool, string) {
		return !s.Node(pClient).(*e2eNode).stale, "the client's read missed its own acknowledged write"
	}}}
}

func e2eFlow(s *core.Sim) (flow []string) {
	for i := 0; i < s.NumMsgs(); i++ {
		m := s.Msg(i)
		flow = append(flow, fmt.Sprintf("%s->%s %s", s.Name(m.From), s.Name(m.To), m.Type))
	}
	return flow
}

func TestDataFlow(t *testing.T) {
	const sc = `{"protocol": "dataflow", "nodes": 6, "network": {"latency": "1ms"}, "params": {"read_from": %q},
		"topology": {"edges": [[0, 1], [0, 2], [1, 3], [1, 4], [2, 3], [2, 5],
			[3, 4, {"latency": "2ms"}], [3, 5, {"latency": "50ms"}]]}}`
	s := run(t, e2eProto, fmt.Sprintf(sc, "follower"))
	assert.Equal(t, []string{ // the seed's sequence diagram, arrow by arrow
		"CLIENT->LB HTTP", "LB->SVC_A HTTP", "SVC_A->DB_COORD WRITE",
		"DB_COORD->DB_F1 APPENDENTRIES", "DB_COORD->DB_F2 APPENDENTRIES", "DB_F1->DB_COORD ACK",
		"DB_COORD->SVC_A COMMIT-OK", "SVC_A->CLIENT 200-OK",
		"CLIENT->LB HTTP", "LB->SVC_A2 HTTP", "SVC_A2->DB_F2 READ", "DB_F2->SVC_A2 VALUE", "SVC_A2->CLIENT 200-OK",
		"DB_F2->DB_COORD ACK", // the lagging follower applies the entry only now
	}, e2eFlow(s))
	require.Len(t, simtest.Phases(s, "stale-read"), 1)
	assert.Contains(t, simtest.Failed(s), "read-your-writes")
	assert.Equal(t, `VALUE k=""`, s.Msg(11).Payload.String(), "DB_F2 answered with the old (absent) value")

	// The commit happened before the read was even sent, yet the read missed it.
	var commit int
	for i := 0; i < s.NumEvents(); i++ {
		if e := s.Event(i); e.Kind == core.KLocal && int(e.Node) == pCoord {
			commit = i
		}
	}
	assert.True(t, s.HappensBefore(commit, int(s.Msg(8).SendEvent)), "commit → the client's read request")
	assert.Len(t, s.Msg(6).Payload.(e2eMsg).VC, 7, "COMMIT-OK carries the leader's vector clock")

	s = run(t, e2eProto, fmt.Sprintf(sc, "leader"))
	assert.Len(t, simtest.Phases(s, "fresh-read"), 1, "reading from the leader is strongly consistent")
	assert.Contains(t, e2eFlow(s), "SVC_A2->DB_COORD READ")
	assert.Empty(t, simtest.Failed(s))
}
