package sketches_test

// Consistency models, seed §12: linearizability (Herlihy & Wing, TOPLAS 1990)
// checked on recorded histories with porcupine. A register is replicated on a
// leader (P0) and two followers; a write is acknowledged once a majority (the
// leader and one follower) holds it. Clients C0..C2 record every operation's
// call and return times in virtual µs. Reads served by the leader are
// linearizable; reads served by the lagging follower P2 (the seed's §13 stale
// read) are not.

import (
	"fmt"
	"testing"
	"time"

	"distlab/core"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
)

type kvOp struct {
	Write bool
	Value int // written, or read back
}

func (m kvOp) Type() string {
	if m.Write {
		return "WRITE"
	}
	return "READ"
}
func (m kvOp) String() string {
	if m.Write {
		return fmt.Sprintf("WRITE(%d)", m.Value)
	}
	return "READ"
}

type kvReply kvOp

func (m kvReply) Type() string   { return kvOp(m).Type() + "-OK" }
func (m kvReply) String() string { return fmt.Sprintf("%s(%d)", m.Type(), m.Value) }

type kvAppend struct{ Index, Value int }

func (m kvAppend) Type() string   { return "APPEND" }
func (m kvAppend) String() string { return fmt.Sprintf("APPEND(%d: %d)", m.Index, m.Value) }

type kvAck struct{ Index int }

func (m kvAck) Type() string   { return "ACK" }
func (m kvAck) String() string { return fmt.Sprintf("ACK(%d)", m.Index) }

var kvProto = &core.Protocol{
	Name: "kv", Title: "Replicated register", Section: "12", MinNodes: 3, MaxNodes: 3,
	Params: []core.ParamSpec{
		{Name: "read_from", Type: "enum", Enum: []string{"leader", "replica"}, Default: "leader"},
		{Name: "ops", Type: "int", Default: 10, Doc: "operations per client"},
	},
	MessageTypes: []core.Kindspec{{Name: "WRITE"}, {Name: "READ"}, {Name: "WRITE-OK"}, {Name: "READ-OK"}, {Name: "APPEND"}, {Name: "ACK"}},
	Build: func(b *core.Build) (core.Instance, error) {
		in := &kvInst{replica: b.String("read_from") == "replica", ops: b.Int("ops")}
		in.first = b.AddProcesses(3, "C")
		return in, nil
	},
}

type kvInst struct {
	replica bool
	ops     int
	first   int // the first client
}

type kvRecord struct {
	kvOp
	Out          int
	Call, Return int64 // virtual µs
}

type kvNode struct {
	in       *kvInst
	id       int
	value    int      // the register (committed, at the leader; applied, at a follower)
	log      [][2]int // leader: (value, client) per index
	match    [3]int   // leader: highest index each follower acknowledged
	commit   int
	history  []kvRecord // client
	inflight *kvRecord
}

func (in *kvInst) NewNode(id int) core.Node { return &kvNode{in: in, id: id} }

func (n *kvNode) Start(env core.Env) {
	if n.id >= n.in.first {
		env.SetTimer(time.Duration(env.Rand().IntN(10_000))*time.Microsecond, "op", nil)
	}
}

func (n *kvNode) Timer(env core.Env, t core.Timer) { // a client issues its next operation
	op := kvOp{Write: env.Rand().IntN(2) == 0, Value: 100*(n.id-n.in.first+1) + len(n.history)}
	n.inflight = &kvRecord{kvOp: op, Call: int64(env.Now() / time.Microsecond)}
	to := 0
	if !op.Write && n.in.replica {
		to = 2
	}
	env.Send(to, op)
}

func (n *kvNode) Receive(env core.Env, from int, m core.Message) {
	switch m := m.(type) {
	case kvOp: // at the leader (writes, reads) or a follower (reads)
		if !m.Write {
			env.Send(from, kvReply{Value: n.value})
			return
		}
		n.log = append(n.log, [2]int{m.Value, from})
		for _, f := range []int{1, 2} {
			env.Send(f, kvAppend{len(n.log), m.Value})
		}
	case kvAppend: // follower: apply at once, acknowledge
		n.value = m.Value
		env.Send(from, kvAck{m.Index})
	case kvAck: // leader: commit what a majority holds, then answer the writers
		n.match[from] = max(n.match[from], m.Index)
		for ; n.commit < max(n.match[1], n.match[2]); n.commit++ {
			e := n.log[n.commit]
			n.value = e[0]
			env.Send(e[1], kvReply{Write: true, Value: e[0]})
		}
	case kvReply: // client: the operation returns
		r := *n.inflight
		r.Out, r.Return = m.Value, int64(env.Now()/time.Microsecond)
		if n.history = append(n.history, r); len(n.history) < n.in.ops {
			env.SetTimer(time.Duration(env.Rand().IntN(10_000))*time.Microsecond, "op", nil)
		}
	}
}

func (n *kvNode) State() any { return map[string]any{"value": n.value, "history": n.history} }
func (n *kvNode) String() string {
	return fmt.Sprintf("value %d, %d operations", n.value, len(n.history))
}

// registerModel is the sequential specification: a read returns the last write.
var registerModel = porcupine.Model{
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		if op := input.(kvOp); op.Write {
			return true, op.Value
		}
		return output.(int) == state.(int), state
	},
}

func kvHistory(s *core.Sim) []porcupine.Operation {
	var ops []porcupine.Operation
	for c := s.Nodes(); c < s.N(); c++ {
		for _, r := range s.Node(c).(*kvNode).history {
			ops = append(ops, porcupine.Operation{ClientId: c - s.Nodes(), Input: r.kvOp, Output: r.Out, Call: r.Call, Return: r.Return})
		}
	}
	return ops
}

func TestLinearizability(t *testing.T) {
	const sc = `{"protocol": "kv", "seed": %d, "nodes": 3, "until": "10s", "network": {"latency": "1ms..5ms"},
		"topology": {"edges": [[0, 1, {"latency": "2ms"}], [0, 2, {"latency": "60ms"}], [1, 2]]},
		"params": {"read_from": %q}}`
	for seed := 1; seed <= 3; seed++ {
		s := run(t, kvProto, fmt.Sprintf(sc, seed, "leader"))
		h := kvHistory(s)
		assert.Len(t, h, 30, "3 clients × 10 operations")
		assert.Equal(t, "C0", s.Name(3))
		assert.True(t, porcupine.CheckOperations(registerModel, h), "seed %d: reads at the leader are linearizable", seed)

		s = run(t, kvProto, fmt.Sprintf(sc, seed, "replica"))
		h = kvHistory(s)
		assert.Len(t, h, 30)
		assert.False(t, porcupine.CheckOperations(registerModel, h), "seed %d: reads at the lagging replica are stale", seed)
	}
}
