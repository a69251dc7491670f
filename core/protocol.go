package core

import (
	"math/rand/v2"
	"time"
)

// Message is a protocol message's payload. Protocols define one small struct
// per message type of the paper and implement these two methods.
type Message interface {
	// Type is the paper's name in capitals: "MARKER", "PROBE", "PRE-PREPARE".
	Type() string
	// String is a deterministic one-line rendering, e.g. "PROBE(P1, P2, P3)".
	String() string
}

// Node is one process: a pure state machine. The engine calls it when it
// starts (or restarts after a crash), when a message is delivered and when a
// timer fires; the node answers only by calling its Env. A node must not keep
// the Env beyond the call, start goroutines, read the wall clock or use any
// random source but Env.Rand.
type Node interface {
	Start(env Env)
	Receive(env Env, from int, m Message)
	Timer(env Env, t Timer)
	// State returns the node's state as plain data (JSON-marshallable) for the
	// inspector and the bridge.
	State() any
	// String is a deterministic one-line summary of the state.
	String() string
}

// Corruptible is implemented by nodes that must react at the moment they
// turn Byzantine (for example to drop honest timers). Nodes that only consult
// Env.Strategy in their handlers need not implement it.
type Corruptible interface {
	Corrupt(env Env, strategy string)
}

// TimerID names a pending timer so it can be cancelled.
type TimerID int32

// Timer is what a node receives when one of its timers fires.
type Timer struct {
	ID   TimerID
	Name string
	Data any
}

// Env is the node's only window on the world. Every call is recorded in the
// trace where the design says so.
type Env interface {
	ID() int
	// N is the number of processes in the run (scenario nodes plus any extra
	// processes, such as clients, that the protocol added).
	N() int
	// Nodes is the scenario's node count (processes 0..Nodes()-1).
	Nodes() int
	Now() time.Duration
	// Rand is the simulation's single seeded source, shared by every node.
	Rand() *rand.Rand
	// Neighbors are the processes this node has an outgoing channel to, sorted.
	Neighbors() []int
	// Weight is the weight of the link to a neighbour (scenario edges may set
	// it; 1 by default; 0 when there is no such link).
	Weight(to int) int64
	// Send puts m on the channel to `to` and returns the message id. A send is
	// an event of the book's model: it ticks the clocks. Sending to a process
	// without a channel records a dropped message.
	Send(to int, m Message) int
	// Broadcast sends m to every neighbour (never to itself).
	Broadcast(m Message)
	// SetTimer arranges for Timer to be called after d; name and data are
	// handed back.
	SetTimer(d time.Duration, name string, data any) TimerID
	CancelTimer(id TimerID)
	// Local records a local event of the book's model (ticks the clocks).
	Local(text string)
	// Phase annotates the trace: the node entered a named phase (a name from
	// the protocol's Phases, used for colours) with a description.
	Phase(name, text string)
	// Decide records an output or decision with a description.
	Decide(value, text string)
	// Note annotates the trace without a phase (kind "local" is not used:
	// notes do not tick clocks). Use sparingly.
	Note(text string)
	// Store and Load are the node's stable storage: what it stores survives a
	// crash and is there when the node is rebuilt on recovery. Values must be
	// treated as immutable once stored.
	Store(key string, v any)
	Load(key string) (any, bool)
	// Strategy is "" for an honest node, otherwise the traitor strategy the
	// node was made to follow.
	Strategy() string
	// Lamport and VC are the engine's clocks for this process as they stand.
	Lamport() int64
	VC() []int32
	// Name is the display name of a process: "P0", or a protocol label.
	Name(id int) string
}

// Instance is one run's worth of a protocol: built by Protocol.Build from the
// validated scenario. It makes the nodes and may implement the optional
// interfaces below.
type Instance interface {
	// NewNode builds process id, at start and again at every recovery.
	NewNode(id int) Node
}

// Checked is implemented by instances that declare invariants.
type Checked interface {
	Invariants() []Invariant
}

// Measured is implemented by instances that compute metrics at the end.
type Measured interface {
	Metrics(s *Sim) map[string]float64
}

// Outputter is implemented by instances that produce a result worth printing
// (a recorded snapshot, a decision table); it appears as "output" in the summary.
type Outputter interface {
	Output(s *Sim) any
}

// Invariant is a property the engine checks. A safety invariant (Final false)
// is checked after every trace event e; the first event after which it fails
// is reported. A final invariant (liveness, end-of-run) is checked once when
// the run ends, with e == nil.
type Invariant struct {
	Name  string
	Final bool
	Check func(s *Sim, e *Event) (ok bool, detail string)
}

// Protocol describes one algorithm in the registry: everything the command
// line, the bridge and the page learn about it.
type Protocol struct {
	Name    string // registry name: "snapshot"
	Title   string // "Chandy–Lamport snapshot"
	Section string // the seed's section: "3"
	Group   string // the seed's section title, for grouping in the picker
	Summary string // one paragraph for the page

	Params       []ParamSpec
	Workload     string // how the protocol reads scenario.workload (docs)
	MessageTypes []Kindspec
	Phases       []Kindspec
	Strategies   []Kindspec // Byzantine strategies the protocol supports
	Invariants   []Kindspec
	Metrics      []Kindspec
	Complexity   string // what the book states, e.g. "3(N-1) messages per CS entry"

	MinNodes int // 0 means 1
	MaxNodes int // 0 means the engine's limit
	// Connected says the protocol needs a connected topology.
	Connected bool
	// Default is a complete scenario (JSON) that shows the protocol well.
	Default string

	// Build validates params and workload and returns the run's instance.
	// Errors should be *ScenarioError values with paths (see Value).
	Build func(b *Build) (Instance, error)
}

// Kindspec names and documents a message type, phase, strategy, invariant or
// metric. Color is a CSS colour (message types and phases).
type Kindspec struct {
	Name  string `json:"name"`
	Doc   string `json:"doc,omitempty"`
	Color string `json:"color,omitempty"`
	// Expected is what the book states, for metrics ("3(N-1)").
	Expected string `json:"expected,omitempty"`
	// Final marks an end-of-run invariant.
	Final bool `json:"final,omitempty"`
}

// ParamSpec describes one protocol parameter. Type is one of "int", "float",
// "bool", "string", "duration", "enum", "json".
type ParamSpec struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Default any      `json:"default,omitempty"`
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	Enum    []string `json:"enum,omitempty"`
	Doc     string   `json:"doc,omitempty"`
}

// Bound is a helper for ParamSpec.Min and Max.
func Bound(v float64) *float64 { return &v }
