package sketches_test

// Raft leader election, seed §6 (Ongaro & Ousterhout, "In Search of an
// Understandable Consensus Algorithm", 2014, §5.2 and Figure 2). No log: the
// vote is granted on term and votedFor alone, and AppendEntries is only the
// heartbeat (its reply, which lets a stale leader learn a higher term, is
// omitted: a crashed leader here restarts as a follower).

import (
	"fmt"
	"testing"
	"time"

	"distlab/core"
	"distlab/internal/simtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type requestVote struct{ Term, Candidate int }

func (m requestVote) Type() string { return "REQUESTVOTE" }
func (m requestVote) String() string {
	return fmt.Sprintf("RequestVote(term %d, P%d)", m.Term, m.Candidate)
}

type voteReply struct {
	Term    int
	Granted bool
}

func (m voteReply) Type() string   { return "VOTE" }
func (m voteReply) String() string { return fmt.Sprintf("Vote(term %d, %t)", m.Term, m.Granted) }

type appendEntries struct{ Term, Leader int }

func (m appendEntries) Type() string { return "APPENDENTRIES" }
func (m appendEntries) String() string {
	return fmt.Sprintf("AppendEntries(term %d, P%d)", m.Term, m.Leader)
}

var raftProto = &core.Protocol{
	Name: "raft", Title: "Raft leader election", Section: "6",
	MessageTypes: []core.Kindspec{{Name: "REQUESTVOTE"}, {Name: "VOTE"}, {Name: "APPENDENTRIES"}},
	Phases:       []core.Kindspec{{Name: "candidate"}, {Name: "leader"}},
	Params:       []core.ParamSpec{{Name: "broken", Type: "bool", Default: false, Doc: "grant every vote (a mutant)"}},
	Build: func(b *core.Build) (core.Instance, error) {
		return &raftInst{broken: b.Bool("broken"), leaders: map[int]int{}}, nil
	},
}

type raftInst struct {
	broken  bool
	leaders map[int]int // term -> the leader seen in it
}

type raftNode struct {
	in                 *raftInst
	id, term, votedFor int // currentTerm and votedFor are persistent
	role               string
	votes              int
	election           core.TimerID
	restored           [2]int // currentTerm and votedFor as Start found them in stable storage
}

func (in *raftInst) NewNode(id int) core.Node { return &raftNode{in: in, id: id, votedFor: -1} }

func (n *raftNode) Start(env core.Env) {
	n.restored = [2]int{-1, -1}
	if t, ok := env.Load("currentTerm"); ok {
		v, _ := env.Load("votedFor")
		n.term, n.votedFor = t.(int), v.(int)
		n.restored = [2]int{n.term, n.votedFor}
	}
	n.role = "follower"
	n.resetElection(env)
}

// persist writes currentTerm and votedFor to stable storage before the node
// answers anyone (Figure 2: "updated on stable storage before responding").
func (n *raftNode) persist(env core.Env) {
	env.Store("currentTerm", n.term)
	env.Store("votedFor", n.votedFor)
}

// resetElection draws a randomized election timeout in [150ms, 300ms).
func (n *raftNode) resetElection(env core.Env) {
	env.CancelTimer(n.election)
	n.election = env.SetTimer(150*time.Millisecond+time.Duration(env.Rand().IntN(150_000))*time.Microsecond, "election", nil)
}

func (n *raftNode) Timer(env core.Env, t core.Timer) {
	switch {
	case t.Name == "election" && n.role != "leader":
		n.term, n.votedFor, n.votes, n.role = n.term+1, n.id, 1, "candidate"
		n.persist(env)
		env.Phase("candidate", fmt.Sprintf("term %d", n.term))
		env.Broadcast(requestVote{n.term, n.id})
		n.resetElection(env)
	case t.Name == "heartbeat" && n.role == "leader":
		env.Broadcast(appendEntries{n.term, n.id})
		env.SetTimer(50*time.Millisecond, "heartbeat", nil)
	}
}

func (n *raftNode) Receive(env core.Env, from int, m core.Message) {
	var term int
	switch m := m.(type) {
	case requestVote:
		term = m.Term
	case voteReply:
		term = m.Term
	case appendEntries:
		term = m.Term
	}
	if term > n.term { // a higher term: step down (§5.1)
		if n.role == "leader" {
			n.resetElection(env) // its election timer lapsed while it led
		}
		n.term, n.votedFor, n.role = term, -1, "follower"
		n.persist(env)
	}
	switch m := m.(type) {
	case requestVote:
		grant := m.Term == n.term && (n.votedFor == -1 || n.votedFor == m.Candidate || n.in.broken)
		if grant {
			n.votedFor = m.Candidate
			n.persist(env)
			n.resetElection(env)
		}
		env.Send(from, voteReply{n.term, grant})
	case voteReply:
		if n.role == "candidate" && m.Term == n.term && m.Granted {
			if n.votes++; 2*n.votes > env.N() {
				n.role = "leader"
				env.Phase("leader", fmt.Sprintf("leader of term %d", n.term))
				n.Timer(env, core.Timer{Name: "heartbeat"}) // the first heartbeat, now
			}
		}
	case appendEntries:
		if m.Term == n.term {
			n.role = "follower"
			n.resetElection(env)
		}
	}
}

func (in *raftInst) Invariants() []core.Invariant {
	return []core.Invariant{{Name: "election-safety", Check: func(s *core.Sim, _ *core.Event) (bool, string) {
		for i := 0; i < s.N(); i++ {
			if n := s.Node(i).(*raftNode); n.role == "leader" {
				if prev, ok := in.leaders[n.term]; ok && prev != i {
					return false, fmt.Sprintf("term %d has two leaders: %s and %s", n.term, s.Name(prev), s.Name(i))
				}
				in.leaders[n.term] = i
			}
		}
		return true, ""
	}}}
}

func (n *raftNode) State() any {
	return map[string]any{"term": n.term, "votedFor": n.votedFor, "role": n.role}
}
func (n *raftNode) String() string {
	return fmt.Sprintf("%s, term %d, voted for %d", n.role, n.term, n.votedFor)
}

// leader is the live leader with the highest term, or -1.
func leader(s *core.Sim) (id, term int) {
	id, term = -1, -1
	for i := 0; i < s.N(); i++ {
		if n := s.Node(i).(*raftNode); !s.Crashed(i) && n.role == "leader" && n.term > term {
			id, term = i, n.term
		}
	}
	return id, term
}

func TestRaftElection(t *testing.T) {
	const sc = `{"protocol": "raft", "seed": %d, "nodes": 5, "until": "3s", "network": {"latency": "1ms..10ms"}, "faults": [%s]}`
	for seed := 1; seed <= 3; seed++ {
		// Who leads at 1s? (Faults scheduled later do not change the run before them.)
		s := newSim(t, raftProto, fmt.Sprintf(sc, seed, ""))
		s.RunUntil(time.Second)
		old, oldTerm := leader(s)
		require.GreaterOrEqual(t, old, 0, "seed %d: a leader by 1s", seed)
		s.Run()
		assert.Empty(t, simtest.Failed(s))
		assert.Equal(t, [2]int{old, oldTerm}, pair(leader(s)), "heartbeats keep the leader in place")

		// Crash that leader at 1s, recover it at 2s.
		s = newSim(t, raftProto, fmt.Sprintf(sc, seed, fmt.Sprintf(`{"at": "1s", "crash": %d}, {"at": "2s", "recover": %d}`, old, old)))
		s.RunUntil(time.Second)
		require.True(t, s.Crashed(old))
		atCrash := *s.Node(old).(*raftNode) // the crashed incarnation's last state
		assert.Equal(t, "leader", atCrash.role)
		assert.Equal(t, [2]int{oldTerm, old}, [2]int{atCrash.term, atCrash.votedFor}, "it voted for itself")
		s.RunUntil(1900 * time.Millisecond)
		newer, newTerm := leader(s)
		assert.True(t, newer >= 0 && newer != old && newTerm > oldTerm, "seed %d: a new leader in a higher term while P%d is down", seed, old)
		s.Run()
		require.NoError(t, s.Err())
		assert.Empty(t, simtest.Failed(s), "at most one leader per term")
		back := s.Node(old).(*raftNode)
		assert.Equal(t, [2]int{atCrash.term, atCrash.votedFor}, back.restored, "stable storage kept currentTerm and votedFor")
		assert.GreaterOrEqual(t, back.term, newTerm, "the recovered node caught up with the new term")
	}
	// The invariant has teeth: a node that votes twice in a term lets two leaders in.
	s := run(t, raftProto, `{"protocol": "raft", "seed": 1, "nodes": 5, "until": "3s", "params": {"broken": true}}`)
	assert.Contains(t, simtest.Failed(s), "election-safety")
}

func pair(a, b int) [2]int { return [2]int{a, b} }
