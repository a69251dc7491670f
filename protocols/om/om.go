// Package om is the Byzantine generals problem solved with oral messages:
// the algorithm OM(m) of Lamport, Shostak and Pease ("The Byzantine Generals
// Problem", ACM TOPLAS 4(3), 1982, section 3), the first half of the seed's
// section 11.
//
// Node 0 is the commander (G); nodes 1..n-1 are lieutenants (L1, L2, ...).
// The run is synchronous: round 0 carries the commander's ORDER, rounds
// 1..m carry RELAY messages ("L3 says L2 says G said ATTACK"), and at the end
// of round m every lieutenant decides by majority votes over the tree of
// relayed values. A missing value counts as RETREAT (the paper's default).
package om

import (
	"fmt"
	"strings"
	"time"

	"distlab/core"
)

// The two orders of the paper.
const (
	Attack  = "attack"
	Retreat = "retreat"
)

// maxMessages bounds OM(m)'s factorial message count so a run stays usable.
const maxMessages = 200_000

// Protocol is the registry entry.
var Protocol = &core.Protocol{
	Name:    "om",
	Title:   "Byzantine generals: oral messages OM(m)",
	Section: "11",
	Group:   "Byzantine fault tolerance",
	Summary: "A commander sends an order to its lieutenants; some of the generals are traitors. In OM(m) every " +
		"lieutenant relays what it heard for m rounds, then decides by nested majority votes over the tree of " +
		"relayed values. With n ≥ 3m+1 generals and at most m traitors all loyal lieutenants agree (IC1), and on " +
		"the commander's order if it is loyal (IC2); with n = 3 and one traitor they do not.",
	Params: []core.ParamSpec{
		{Name: "m", Type: "int", Min: core.Bound(0), Max: core.Bound(14),
			Doc: "rounds of relaying, the number of traitors OM(m) is built to tolerate; default the largest m with n ≥ 3m+1 (at most n−2)"},
		{Name: "order", Type: "enum", Enum: []string{Attack, Retreat}, Default: Attack,
			Doc: "the order a loyal commander gives"},
		{Name: "round", Type: "duration", Min: core.Bound(0.001), Max: core.Bound(60_000),
			Doc: "length of one synchronous round; default the network's largest latency plus 1ms (a message that arrives later counts as missing)"},
	},
	MessageTypes: []core.Kindspec{
		{Name: "ORDER", Doc: "the commander's order to a lieutenant (round 0)", Color: "#E69F00"},
		{Name: "RELAY", Doc: "a lieutenant relays a value along a path: RELAY(G,L2,L3: RETREAT) is L3 saying that L2 said that G said RETREAT", Color: "#56B4E9"},
	},
	Phases: []core.Kindspec{
		{Name: "order", Doc: "the commander sends its order", Color: "#E69F00"},
		{Name: "relay", Doc: "a lieutenant relays the values it received in the previous round", Color: "#56B4E9"},
		{Name: "decide", Doc: "a lieutenant takes the majority over its tree of values", Color: "#009E73"},
	},
	Strategies: []core.Kindspec{
		{Name: "opposite", Doc: "send the opposite of the true value (the order, or the value being relayed)"},
		{Name: "equivocate", Doc: "send different values to different receivers: the opposite to odd-numbered receivers, the truth to even-numbered ones (the seed's traitor tells L1 RETREAT and L2 ATTACK)"},
		{Name: "silent", Doc: "send nothing; receivers use the default RETREAT"},
		{Name: "random", Doc: "send ATTACK or RETREAT at random in every message"},
	},
	Invariants: []core.Kindspec{
		{Name: "IC1", Doc: "all loyal lieutenants decide the same order (guaranteed when n ≥ 3m+1 and at most m generals are traitors)"},
		{Name: "IC2", Doc: "if the commander is loyal, every loyal lieutenant decides its order (same assumption)"},
		{Name: "termination", Doc: "every loyal lieutenant decides after round m", Final: true},
	},
	Metrics: []core.Kindspec{
		{Name: "messages", Doc: "ORDER and RELAY messages sent (network duplicates not counted)"},
		{Name: "expected_messages", Doc: "the paper's count for OM(m) with n generals", Expected: "(n−1) + (n−1)(n−2) + … + (n−1)(n−2)…(n−m−1)"},
		{Name: "rounds", Doc: "rounds of message exchange", Expected: "m+1"},
		{Name: "traitors", Doc: "generals that were traitors or crashed"},
	},
	Complexity: "m+1 rounds; (n−1)+(n−1)(n−2)+…+(n−1)…(n−m−1) = O(n^(m+1)) messages",
	MinNodes:   2,
	MaxNodes:   16,
	Default: `{
  "protocol": "om", "seed": 1, "nodes": 4, "until": "100ms",
  "network": {"latency": "1ms..10ms"},
  "faults": [{"at": "0s", "byzantine": 3, "strategy": "equivocate"}]
}`,
	Build: build,
}

// Name is a general's display name: G for the commander, Li for lieutenants.
func Name(id int) string {
	if id == 0 {
		return "G"
	}
	return fmt.Sprintf("L%d", id)
}

// PaperMessages is the number of messages OM(m) sends with n generals and no
// silent traitor: sum over k = 1..m+1 of (n−1)(n−2)…(n−k).
func PaperMessages(n, m int) int {
	total, term := 0, 1
	for k := 1; k <= m+1 && n-k >= 1; k++ {
		term *= n - k
		total += term
	}
	return total
}

// Order is the commander's message in round 0.
type Order struct{ Value string }

func (o Order) Type() string   { return "ORDER" }
func (o Order) String() string { return strings.ToUpper(o.Value) }

// Relay carries Value along Path: the last general of Path says that the one
// before it said ... that the commander said Value. The sender is the last
// element of Path.
type Relay struct {
	Path  []int
	Value string
}

func (r Relay) Type() string { return "RELAY" }
func (r Relay) String() string {
	return "RELAY(" + pathString(r.Path) + ": " + strings.ToUpper(r.Value) + ")"
}

func pathString(p []int) string {
	parts := make([]string, len(p))
	for i, x := range p {
		parts[i] = Name(x)
	}
	return strings.Join(parts, ",")
}

type instance struct {
	n, m  int
	order string
	round time.Duration

	built    []int    // NewNode calls per general (more than one: it recovered)
	decision []string // each lieutenant's decision ("" until it decides)
}

func build(b *core.Build) (core.Instance, error) {
	n := b.Nodes
	if sh := b.Scenario.Topology.Shape; sh != "complete" && sh != "edges" {
		return nil, core.Errorf("topology", "OM relays between every pair of generals: use \"complete\" (got %q)", sh)
	}
	in := &instance{n: n, order: b.String("order"), built: make([]int, n), decision: make([]string, n)}
	in.m = (n - 1) / 3
	if b.Has("m") {
		in.m = b.Int("m")
		if in.m > n-2 {
			return nil, core.Errorf("params.m", "OM(%d) needs at least %d generals (paths of relays visit distinct generals); with %d nodes m is at most %d", in.m, in.m+2, n, n-2)
		}
	}
	if c := PaperMessages(n, in.m); c > maxMessages {
		return nil, core.Errorf("params.m", "OM(%d) with %d generals sends %d messages, beyond the limit of %d: lower m or nodes", in.m, n, c, maxMessages)
	}
	if b.Has("round") {
		in.round = b.Duration("round")
	} else {
		lat := b.Scenario.Network.LatMax
		for _, e := range b.Scenario.Topology.Edges {
			lat = max(lat, e.Link.LatMax)
		}
		in.round = lat + time.Millisecond
	}
	for i := 0; i < n; i++ {
		b.Label(i, Name(i))
	}
	return in, nil
}

func (in *instance) NewNode(id int) core.Node {
	in.built[id]++
	if id == 0 {
		return &commander{in: in}
	}
	return &lieutenant{in: in, id: id, vals: map[string]string{}}
}

// faulty reports whether general i is a traitor or has crashed (a crash is
// a fault too: OM's assumptions count it against m).
func (in *instance) faulty(s *core.Sim, i int) bool {
	return s.Strategy(i) != "" || s.Crashed(i) || in.built[i] > 1
}

func opposite(v string) string {
	if v == Attack {
		return Retreat
	}
	return Attack
}

// lie is what a general following strategy st sends to receiver `to` when
// the true value is v; ok is false when it sends nothing.
func lie(env core.Env, st, v string, to int) (string, bool) {
	switch st {
	case "opposite":
		return opposite(v), true
	case "equivocate":
		if to%2 == 1 {
			return opposite(v), true
		}
		return v, true
	case "silent":
		return "", false
	case "random":
		if env.Rand().IntN(2) == 0 {
			return Attack, true
		}
		return Retreat, true
	}
	return v, true
}

// ---- the commander ----

type commander struct {
	in   *instance
	sent bool
}

// Start arms round 0 with a timer rather than sending at once, so that a
// traitor scheduled at time 0 is already a traitor when it gives its order.
// A commander rebuilt after a crash takes no further part.
func (c *commander) Start(env core.Env) {
	if env.Now() == 0 {
		env.SetTimer(0, "round 0", 0)
	}
}

func (c *commander) Receive(env core.Env, from int, m core.Message) {}

// Timer is round 0: OM(m) step (1), the commander sends its value to every
// lieutenant.
func (c *commander) Timer(env core.Env, t core.Timer) {
	env.Phase("order", "G orders "+strings.ToUpper(c.in.order))
	for to := 1; to < c.in.n; to++ {
		if v, ok := lie(env, env.Strategy(), c.in.order, to); ok {
			env.Send(to, Order{Value: v})
		}
	}
	c.sent = true
}

func (c *commander) State() any {
	return map[string]any{"role": "commander", "order": c.in.order, "sent": c.sent}
}

func (c *commander) String() string {
	if c.sent {
		return "commander: ordered " + strings.ToUpper(c.in.order)
	}
	return "commander: order " + strings.ToUpper(c.in.order) + " not sent yet"
}

// ---- a lieutenant ----

type lieutenant struct {
	in      *instance
	id      int
	passive bool              // rebuilt after a crash: takes no further part
	vals    map[string]string // path key -> value received along that path
	round   int               // the last round started
	decided string
	tree    []TreeEntry // filled at the decision
}

// TreeEntry is one node of a lieutenant's tree of relayed values: the value
// received along Path (or the default RETREAT when none came) and, for inner
// nodes, the majority computed there.
type TreeEntry struct {
	Path     string `json:"path"`
	Value    string `json:"value"`
	Missing  bool   `json:"missing,omitempty"`
	Majority string `json:"majority,omitempty"`
}

func key(p []int) string {
	var b strings.Builder
	for i, x := range p {
		if i > 0 {
			b.WriteByte('.')
		}
		fmt.Fprint(&b, x)
	}
	return b.String()
}

func contains(p []int, x int) bool {
	for _, y := range p {
		if y == x {
			return true
		}
	}
	return false
}

func extend(p []int, x int) []int { return append(append(make([]int, 0, len(p)+1), p...), x) }

// Start arms round 1. A lieutenant rebuilt after a crash stays out of the run:
// it lost what it heard, and OM has no way to recover it.
func (l *lieutenant) Start(env core.Env) {
	if env.Now() > 0 {
		l.passive = true
		env.Note(Name(l.id) + " recovered after the start: it takes no further part")
		return
	}
	env.SetTimer(l.in.round, "round 1", 1)
}

// Receive has one handler per message type.
func (l *lieutenant) Receive(env core.Env, from int, m core.Message) {
	if l.passive || l.decided != "" {
		return
	}
	switch m := m.(type) {
	case Order:
		l.onOrder(from, m)
	case Relay:
		l.onRelay(from, m)
	}
}

// onOrder records the commander's value (the root of the tree).
func (l *lieutenant) onOrder(from int, m Order) {
	if from != 0 || m.Value != Attack && m.Value != Retreat {
		return
	}
	if _, dup := l.vals["0"]; !dup {
		l.vals["0"] = m.Value
	}
}

// onRelay records "from says that Path[:len-1] said Value". A path must start
// at the commander, end at its sender, visit distinct generals and not
// include this lieutenant; anything else is ignored (oral messages: the
// receiver knows who sent a message, A2 of the paper).
func (l *lieutenant) onRelay(from int, m Relay) {
	p := m.Path
	if len(p) < 2 || len(p) > l.in.m+1 || p[0] != 0 || p[len(p)-1] != from || contains(p, l.id) ||
		m.Value != Attack && m.Value != Retreat {
		return
	}
	for i := 1; i < len(p); i++ {
		if p[i] <= 0 || p[i] >= l.in.n || contains(p[:i], p[i]) {
			return
		}
	}
	if k := key(p); l.vals[k] == "" {
		l.vals[k] = m.Value
	}
}

// value is what this lieutenant holds for path p: the value received, or
// RETREAT if none came (A3: the absence of a message can be detected).
func (l *lieutenant) value(p []int) (string, bool) {
	if v, ok := l.vals[key(p)]; ok {
		return v, true
	}
	return Retreat, false
}

// paths lists, in order, the paths of length k this lieutenant can have
// received: from the commander through k−1 distinct other lieutenants.
func (l *lieutenant) paths(k int) [][]int {
	out := [][]int{{0}}
	for len(out) > 0 && len(out[0]) < k {
		var next [][]int
		for _, p := range out {
			for j := 1; j < l.in.n; j++ {
				if j != l.id && !contains(p, j) {
					next = append(next, extend(p, j))
				}
			}
		}
		out = next
	}
	return out
}

// Timer runs round r: relay (rounds 1..m) or decide (after round m).
func (l *lieutenant) Timer(env core.Env, t core.Timer) {
	r, _ := t.Data.(int)
	l.round = r
	if r <= l.in.m {
		l.relay(env, r)
		env.SetTimer(l.in.round, fmt.Sprintf("round %d", r+1), r+1)
		return
	}
	l.decide(env)
}

// relay is OM(m) step (2) one level down: for every value received along a
// path of length r, act as the commander of OM(m−r) and send it on to every
// lieutenant not yet on the path.
func (l *lieutenant) relay(env core.Env, r int) {
	env.Phase("relay", fmt.Sprintf("%s relays the values of round %d", Name(l.id), r-1))
	st := env.Strategy()
	for _, p := range l.paths(r) {
		v, _ := l.value(p)
		q := extend(p, l.id)
		for to := 1; to < l.in.n; to++ {
			if to == l.id || contains(p, to) {
				continue
			}
			if w, ok := lie(env, st, v, to); ok {
				env.Send(to, Relay{Path: q, Value: w})
			}
		}
	}
}

// majority is the paper's majority function: the value held by more than
// half, and RETREAT on a tie.
func majority(votes []string) string {
	a := 0
	for _, v := range votes {
		if v == Attack {
			a++
		}
	}
	if 2*a > len(votes) {
		return Attack
	}
	return Retreat
}

// vote is the value this lieutenant settles on for the sub-problem rooted at
// path p: OM(0) at the leaves takes the value received; an inner node takes
// the majority of its own value and every other lieutenant's result one
// level down (OM(m) step 3).
func (l *lieutenant) vote(p []int) string {
	v, ok := l.value(p)
	e := len(l.tree)
	l.tree = append(l.tree, TreeEntry{Path: pathString(p), Value: v, Missing: !ok})
	if len(p) == l.in.m+1 {
		return v
	}
	votes := []string{v}
	for j := 1; j < l.in.n; j++ {
		if j != l.id && !contains(p, j) {
			votes = append(votes, l.vote(extend(p, j)))
		}
	}
	maj := majority(votes)
	l.tree[e].Majority = maj
	return maj
}

func (l *lieutenant) decide(env core.Env) {
	l.tree = l.tree[:0]
	l.decided = l.vote([]int{0})
	l.in.decision[l.id] = l.decided
	env.Phase("decide", fmt.Sprintf("%s takes the majority over %d values", Name(l.id), len(l.tree)))
	env.Decide(l.decided, fmt.Sprintf("%s decides %s", Name(l.id), strings.ToUpper(l.decided)))
}

// State is the tree of relayed values (in depth-first order, as the votes
// are taken) and the decision.
func (l *lieutenant) State() any {
	tree := l.tree
	if l.decided == "" {
		tree = nil
		for k := 1; k <= l.in.m+1 && k <= l.round+1; k++ {
			for _, p := range l.paths(k) {
				if v, ok := l.vals[key(p)]; ok {
					tree = append(tree, TreeEntry{Path: pathString(p), Value: v})
				}
			}
		}
	}
	if tree == nil {
		tree = []TreeEntry{}
	}
	return map[string]any{"role": "lieutenant", "round": l.round, "decision": l.decided, "passive": l.passive, "tree": tree}
}

func (l *lieutenant) String() string {
	switch {
	case l.passive:
		return Name(l.id) + ": recovered, passive"
	case l.decided != "":
		return Name(l.id) + ": decided " + strings.ToUpper(l.decided)
	}
	return fmt.Sprintf("%s: round %d, %d values heard", Name(l.id), l.round, len(l.vals))
}

func durationOf(k int) time.Duration { return time.Duration(k) }
