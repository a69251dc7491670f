package sketches_test

// Spanning tree by flooding, with convergecast, seed §10 (Kshemkalyani &
// Singhal §5.5, the echo algorithm): the root floods; a node's parent is the
// first sender of FLOOD; it floods on, and once every other neighbour has
// answered (a RESULT from a child, or a FLOOD crossing a non-tree edge) it
// sends RESULT(sum of its subtree) to its parent. Every edge carries exactly
// two messages: 2(n−1) = O(n) on a tree, 2|E| on a graph.
//
// Each node also takes the first step of GHS (Gallager, Humblet & Spira 1983):
// it picks its minimum-weight outgoing edge (env.Weight) and sends CONNECT on
// it; an edge chosen from both ends is the core of a level-1 fragment.

import (
	"fmt"
	"testing"

	"distlab/core"

	"github.com/stretchr/testify/assert"
)

type flood struct{}

func (flood) Type() string   { return "FLOOD" }
func (flood) String() string { return "FLOOD" }

type result struct{ Sum int }

func (m result) Type() string   { return "RESULT" }
func (m result) String() string { return fmt.Sprintf("RESULT(%d)", m.Sum) }

type connect struct{ Level int }

func (m connect) Type() string   { return "CONNECT" }
func (m connect) String() string { return fmt.Sprintf("CONNECT(%d)", m.Level) }

var treeProto = &core.Protocol{
	Name: "tree", Title: "Broadcast and convergecast", Section: "10", Connected: true,
	MessageTypes: []core.Kindspec{{Name: "FLOOD"}, {Name: "RESULT"}, {Name: "CONNECT"}},
	Build:        func(b *core.Build) (core.Instance, error) { return treeInst{}, nil },
}

type treeInst struct{}

type treeNode struct {
	id, parent int // parent: -1 at the root
	reached    bool
	waiting    int // neighbours yet to answer
	sum        int // own value (id+1) plus the children's subtrees
	children   []int
	mwoe       int  // GHS: the minimum-weight outgoing edge
	core       bool // CONNECT came back on it
}

func (treeInst) NewNode(id int) core.Node { return &treeNode{id: id, parent: -1, sum: id + 1} }

func (n *treeNode) Start(env core.Env) {
	n.mwoe = -1
	for _, j := range env.Neighbors() { // ties by id: Neighbors is sorted
		if n.mwoe < 0 || env.Weight(j) < env.Weight(n.mwoe) {
			n.mwoe = j
		}
	}
	env.Send(n.mwoe, connect{0})
	if n.id == 0 { // the root
		n.reached = true
		n.floodOn(env)
	}
}

func (n *treeNode) floodOn(env core.Env) {
	for _, j := range env.Neighbors() {
		if j != n.parent {
			n.waiting++
			env.Send(j, flood{})
		}
	}
	n.maybeDone(env)
}

func (n *treeNode) Receive(env core.Env, from int, m core.Message) {
	switch m := m.(type) {
	case flood:
		if !n.reached {
			n.reached, n.parent = true, from
			n.floodOn(env)
			return
		}
		n.waiting-- // a non-tree edge: its FLOOD answers ours
		n.maybeDone(env)
	case result:
		n.sum += m.Sum
		n.children = append(n.children, from)
		n.waiting--
		n.maybeDone(env)
	case connect:
		n.core = from == n.mwoe
	}
}

func (n *treeNode) maybeDone(env core.Env) {
	switch {
	case n.waiting > 0:
	case n.id == 0:
		env.Decide(fmt.Sprint(n.sum), fmt.Sprintf("the sum is %d", n.sum))
	default:
		env.Send(n.parent, result{n.sum})
	}
}

func (n *treeNode) Timer(env core.Env, t core.Timer) {}
func (n *treeNode) State() any {
	return map[string]any{"parent": n.parent, "sum": n.sum, "children": n.children, "mwoe": n.mwoe, "core": n.core}
}
func (n *treeNode) String() string { return fmt.Sprintf("parent P%d, subtree sum %d", n.parent, n.sum) }

func TestBroadcastConvergecast(t *testing.T) {
	for _, c := range []struct {
		topology string
		edges    int
	}{{`"tree"`, 14}, {`"ring"`, 15}, {`"complete"`, 105}, {`{"shape": "random", "degree": 4}`, -1}} {
		s := run(t, treeProto, `{"protocol": "tree", "nodes": 15, "topology": `+c.topology+`}`)
		root := s.Node(0).(*treeNode)
		assert.Equal(t, 15*16/2, root.sum, "%s: the root's aggregate is Σ(id+1)", c.topology)
		edges := 0
		for i := 0; i < s.N(); i++ {
			edges += len(s.Neighbors(i))
			n := s.Node(i).(*treeNode)
			for hops := 0; n.parent >= 0 && hops < s.N(); hops++ {
				n = s.Node(n.parent).(*treeNode)
			}
			assert.Equal(t, 0, n.id, "%s: %s's parents lead to the root", c.topology, s.Name(i))
		}
		if c.edges >= 0 {
			assert.Equal(t, c.edges, edges/2)
		}
		by := s.SentByType()
		assert.Equal(t, edges, by["FLOOD"]+by["RESULT"], "%s: two messages per edge", c.topology)
		assert.Equal(t, 14, by["RESULT"], "one RESULT per tree edge: n−1")
	}
}

func TestMinimumWeightOutgoingEdge(t *testing.T) {
	s := run(t, treeProto, `{"protocol": "tree", "nodes": 5, "topology": {"edges": [
		[0, 1, {"weight": 4}], [0, 2, {"weight": 1}], [1, 2, {"weight": 3}],
		[1, 3, {"weight": 2}], [2, 4, {"weight": 6}], [3, 4, {"weight": 5}]]}}`)
	var mwoe []int
	var cores []string
	for i := 0; i < s.N(); i++ {
		n := s.Node(i).(*treeNode)
		mwoe = append(mwoe, n.mwoe)
		if n.core && i < n.mwoe {
			cores = append(cores, fmt.Sprintf("%d-%d", i, n.mwoe))
		}
	}
	assert.Equal(t, []int{2, 3, 0, 1, 3}, mwoe, "each node's lightest edge")
	assert.Equal(t, []string{"0-2", "1-3"}, cores, "edges chosen from both ends: level-1 fragments {0,2} and {1,3,4}")
	assert.Equal(t, 15, s.Node(0).(*treeNode).sum)
	assert.Equal(t, 12, s.SentByType()["FLOOD"]+s.SentByType()["RESULT"], "2|E| on 6 edges")
}
