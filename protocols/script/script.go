// Package script is the space-time sandbox of the seed's sections 1–2: the
// scenario places local events and sends by hand, at given times on given
// processes; the network delivers and the engine stamps Lamport and vector
// clocks, so the seed's clock examples can be reproduced event by event.
package script

import (
	"fmt"
	"sort"
	"time"

	"distlab/core"
)

// Protocol is the registry entry.
var Protocol = &core.Protocol{
	Name:    "script",
	Title:   "Space-time sandbox (events by hand)",
	Section: "1–2",
	Group:   "Events, causality and logical clocks",
	Summary: "Place local events and sends by hand on each process and watch the engine deliver the messages " +
		"and stamp every event with its Lamport and vector clock. Select two events to ask whether one happened " +
		"before the other or whether they are concurrent, and draw cuts to see which are consistent.",
	Workload:     `{"events": [{"at": "1ms", "node": 0, "do": "send", "to": 1, "label": "m1"}, {"at": "3ms", "node": 0, "do": "local", "label": "e2"}]}; receives follow from the network`,
	MessageTypes: []core.Kindspec{{Name: "MSG", Doc: "an application message placed by the script", Color: "#0072B2"}},
	Invariants: []core.Kindspec{
		{Name: "clock-condition", Doc: "Lamport's clock condition: a -> b implies C(a) < C(b), checked on every receive"},
		{Name: "script-complete", Doc: "every scripted event ran (none was skipped because its process was crashed)", Final: true},
	},
	Metrics:    []core.Kindspec{{Name: "events_scripted", Doc: "events placed by the script"}},
	Complexity: "one message per scripted send",
	MinNodes:   1,
	MaxNodes:   64,
	Default: `{
  "protocol": "script", "seed": 1, "nodes": 3, "until": "100ms",
  "network": {"latency": "2ms"},
  "workload": {"events": [
    {"at": "1ms", "node": 0, "do": "send", "to": 1, "label": "m1"},
    {"at": "4ms", "node": 1, "do": "send", "to": 2, "label": "m2"},
    {"at": "5ms", "node": 0, "do": "local", "label": "e2"}
  ]}
}`,
	Build: build,
}

// Step is one scripted event.
type Step struct {
	At    time.Duration `json:"at"`
	Node  int           `json:"node"`
	Do    string        `json:"do"`
	To    int           `json:"to,omitempty"`
	Label string        `json:"label"`
}

// Msg is the application message a scripted send puts on the wire.
type Msg struct{ Label string }

func (m Msg) Type() string   { return "MSG" }
func (m Msg) String() string { return m.Label }

type instance struct {
	steps [][]Step // per node, in time order
	total int
	ran   int
}

func build(b *core.Build) (core.Instance, error) {
	in := &instance{steps: make([][]Step, b.Nodes)}
	list, ok, err := b.Workload.SoleList("events")
	if err != nil {
		return nil, err
	}
	if !ok {
		return in, nil
	}
	for i, v := range list {
		if err := v.Object("at", "node", "do", "to", "label"); err != nil {
			return nil, err
		}
		var st Step
		if st.At, err = v.Get("at").Duration(); err != nil {
			return nil, err
		}
		if st.Node, err = v.Get("node").Node(b.Nodes); err != nil {
			return nil, err
		}
		if st.Do, err = v.Get("do").Enum("action", []string{"send", "local"}); err != nil {
			return nil, err
		}
		if st.Do == "send" {
			if st.To, err = v.Get("to").Node(b.Nodes); err != nil {
				return nil, err
			}
			if st.To == st.Node {
				return nil, core.Errorf(v.Get("to").Path, "a process cannot send to itself")
			}
		} else if v.Has("to") {
			return nil, core.Errorf(v.Get("to").Path, "a local event has no destination")
		}
		st.Label = fmt.Sprintf("%s%d", map[string]string{"send": "m", "local": "e"}[st.Do], i+1)
		if l := v.Get("label"); !l.Null() {
			if st.Label, err = l.String(); err != nil {
				return nil, err
			}
		}
		in.steps[st.Node] = append(in.steps[st.Node], st)
		in.total++
	}
	for _, s := range in.steps {
		sort.SliceStable(s, func(i, j int) bool { return s[i].At < s[j].At })
	}
	return in, nil
}

func (in *instance) NewNode(id int) core.Node { return &node{in: in, id: id} }

func (in *instance) Invariants() []core.Invariant {
	return []core.Invariant{
		{Name: "clock-condition", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if e.Kind != core.KReceive {
				return true, ""
			}
			send := s.Event(int(s.Msg(int(e.Msg)).SendEvent))
			if send.Lamport >= e.Lamport {
				return false, fmt.Sprintf("event %d (C=%d) received a message sent at C=%d", e.ID, e.Lamport, send.Lamport)
			}
			return true, ""
		}},
		{Name: "script-complete", Final: true, Check: func(s *core.Sim, _ *core.Event) (bool, string) {
			if in.ran < in.total {
				return false, fmt.Sprintf("%d of %d scripted events ran", in.ran, in.total)
			}
			return true, fmt.Sprintf("all %d scripted events ran", in.total)
		}},
	}
}

func (in *instance) Metrics(s *core.Sim) map[string]float64 {
	return map[string]float64{"events_scripted": float64(in.total)}
}

type node struct {
	in   *instance
	id   int
	next int // index of the next scripted step
}

func (n *node) Start(env core.Env) {
	// On recovery, steps whose time has passed are skipped.
	for n.next < len(n.in.steps[n.id]) && n.in.steps[n.id][n.next].At < env.Now() {
		n.next++
	}
	n.arm(env)
}

func (n *node) arm(env core.Env) {
	if n.next < len(n.in.steps[n.id]) {
		env.SetTimer(n.in.steps[n.id][n.next].At-env.Now(), "script", nil)
	}
}

func (n *node) Receive(env core.Env, from int, m core.Message) {}

func (n *node) Timer(env core.Env, t core.Timer) {
	steps := n.in.steps[n.id]
	for n.next < len(steps) && steps[n.next].At <= env.Now() {
		st := steps[n.next]
		n.next++
		n.in.ran++
		if st.Do == "send" {
			env.Send(st.To, Msg{Label: st.Label})
		} else {
			env.Local(st.Label)
		}
	}
	n.arm(env)
}

func (n *node) State() any {
	return map[string]any{"next": n.next, "scripted": len(n.in.steps[n.id])}
}

func (n *node) String() string {
	return fmt.Sprintf("%d of %d scripted events done", n.next, len(n.in.steps[n.id]))
}
