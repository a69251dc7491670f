package core

import "fmt"

// StormProtocol is the engine benchmark: every process starts with a few
// messages ("tokens") and forwards each one it receives to a neighbour chosen
// with Env.Rand, so the number of messages in flight stays constant and the
// run only ends at its until. It is deliberately not in the catalogue: the
// native benchmark (BenchmarkStorm16) and the page's DistLab.bench() run this
// one protocol so that their figures compare.
func StormProtocol() *Protocol { return stormProtocol }

// StormScenario validates a storm over a complete topology of the given size
// with the default network. Bad sizes are scenario errors ("nodes: ...").
func StormScenario(nodes int, seed uint64) (*Scenario, error) {
	data := fmt.Appendf(nil, `{"protocol": "storm", "nodes": %d, "seed": %d}`, nodes, seed)
	return ParseScenario(data, Catalog{stormProtocol})
}

var stormProtocol = &Protocol{
	Name:    "storm",
	Title:   "Message storm (engine benchmark)",
	Section: "-",
	Group:   "Benchmarks",
	Summary: "Every process starts with a few tokens and forwards each token it receives to a random " +
		"neighbour: a constant load of messages that measures the engine, not an algorithm.",
	Params: []ParamSpec{{Name: "tokens", Type: "int", Default: 4, Min: Bound(1), Max: Bound(64),
		Doc: "messages each process starts with"}},
	MessageTypes: []Kindspec{{Name: "STORM", Doc: "a token being forwarded", Color: "#999999"}},
	Complexity:   "one send and one receive per hop",
	MinNodes:     2,
	// A complete graph of 512 nodes has 261,632 channels, just under MaxChannels.
	MaxNodes: 512,
	Default:  `{"protocol": "storm", "seed": 1, "nodes": 16, "until": "24h"}`,
	Build: func(b *Build) (Instance, error) {
		return stormInstance{tokens: b.Int("tokens")}, nil
	},
}

// StormMsg is the storm's only message: it carries nothing, so the benchmark
// measures the engine rather than payload copying.
type StormMsg struct{}

func (StormMsg) Type() string   { return "STORM" }
func (StormMsg) String() string { return "STORM" }

type stormInstance struct{ tokens int }

func (in stormInstance) NewNode(id int) Node { return &stormNode{tokens: in.tokens} }

type stormNode struct {
	tokens    int
	forwarded int64
}

func (n *stormNode) Start(env Env) {
	for i := 0; i < n.tokens; i++ {
		n.forward(env)
	}
}

func (n *stormNode) forward(env Env) {
	if nb := env.Neighbors(); len(nb) > 0 {
		env.Send(nb[env.Rand().IntN(len(nb))], StormMsg{})
	}
}

func (n *stormNode) Receive(env Env, from int, m Message) {
	n.forwarded++
	n.forward(env)
}

func (n *stormNode) Timer(env Env, t Timer) {}
func (n *stormNode) State() any             { return map[string]any{"forwarded": n.forwarded} }
func (n *stormNode) String() string         { return fmt.Sprintf("%d tokens forwarded", n.forwarded) }
