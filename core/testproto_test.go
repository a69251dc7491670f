package core_test

import (
	"fmt"
	"time"

	"distlab/core"
	"distlab/protocols"
)

// pinger is a test protocol: every node pings a random neighbour every
// period; pings are answered with pongs. It uses every Env facility so the
// engine's features can be observed in a trace.
type ping struct{ N int }

func (p ping) Type() string   { return "PING" }
func (p ping) String() string { return fmt.Sprintf("PING(%d)", p.N) }

type pong struct{ N int }

func (p pong) Type() string   { return "PONG" }
func (p pong) String() string { return fmt.Sprintf("PONG(%d)", p.N) }

type pingerInst struct{ period time.Duration }

type pingerNode struct {
	inst        *pingerInst
	id          int
	sent, recv  int
	incarnation int
	inputs      []string
}

var pingerProto = &core.Protocol{
	Name: "pinger", Title: "test pinger", Section: "-",
	Params:       []core.ParamSpec{{Name: "period", Type: "duration", Default: "5ms", Min: core.Bound(0.001), Max: core.Bound(1000)}},
	MessageTypes: []core.Kindspec{{Name: "PING"}, {Name: "PONG"}},
	Strategies:   []core.Kindspec{{Name: "mute"}, {Name: "loud"}},
	Default:      `{"protocol": "pinger", "nodes": 4, "until": "200ms", "network": {"latency": "1ms..9ms"}}`,
	Build: func(b *core.Build) (core.Instance, error) {
		return &pingerInst{period: b.Duration("period")}, nil
	},
}

var testCatalog = append(core.Catalog{pingerProto}, protocols.Catalog...)

func (in *pingerInst) NewNode(id int) core.Node { return &pingerNode{inst: in, id: id} }

func (in *pingerInst) Invariants() []core.Invariant {
	return []core.Invariant{
		{Name: "pongs-answer-pings", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			return true, ""
		}},
		{Name: "everyone-pinged", Final: true, Check: func(s *core.Sim, _ *core.Event) (bool, string) {
			for i := 0; i < s.N(); i++ {
				if s.Node(i).(*pingerNode).sent == 0 && !s.Crashed(i) {
					return false, fmt.Sprintf("%s never pinged", s.Name(i))
				}
			}
			return true, ""
		}},
	}
}

func (n *pingerNode) Start(env core.Env) {
	if v, ok := env.Load("incarnation"); ok {
		n.incarnation = v.(int) + 1
	}
	env.Store("incarnation", n.incarnation)
	env.SetTimer(n.inst.period, "tick", nil)
}

func (n *pingerNode) Receive(env core.Env, from int, m core.Message) {
	n.recv++
	switch m := m.(type) {
	case ping:
		env.Send(from, pong{m.N})
	case pong:
		env.Phase("answered", fmt.Sprintf("pong %d", m.N))
	}
}

func (n *pingerNode) Timer(env core.Env, t core.Timer) {
	env.SetTimer(n.inst.period, "tick", nil)
	if env.Strategy() == "mute" {
		return
	}
	nb := env.Neighbors()
	if len(nb) == 0 {
		return
	}
	n.sent++
	env.Send(nb[env.Rand().IntN(len(nb))], ping{n.sent})
	if env.Strategy() == "loud" {
		env.Broadcast(ping{-n.sent})
	}
}

func (n *pingerNode) Input(env core.Env, data string) error {
	if data == "bad" {
		return fmt.Errorf("bad input")
	}
	n.inputs = append(n.inputs, data)
	env.Local("input " + data)
	return nil
}

func (n *pingerNode) State() any {
	return map[string]any{"sent": n.sent, "recv": n.recv, "incarnation": n.incarnation}
}

func (n *pingerNode) String() string {
	return fmt.Sprintf("sent %d, received %d, incarnation %d", n.sent, n.recv, n.incarnation)
}
