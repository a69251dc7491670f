// Package snapshot is the Chandy–Lamport global snapshot of the seed's
// section 3 (Chandy and Lamport, "Distributed snapshots", ACM TOCS 1985),
// run over a small bank so that the recorded state means something: every
// process holds a balance and sends random TRANSFERs to its neighbours, and
// a correct snapshot records balances plus in-transit transfers that add up
// to exactly the money in the system.
//
// The algorithm, as in the seed: the initiator records its state and sends
// MARKER on every outgoing channel; a process receiving its first MARKER
// records its state, records that channel as empty and sends markers; it
// records the messages arriving on each other incoming channel until that
// channel's MARKER arrives. Snapshots carry an id, so several may run at
// once, and one snapshot may have several initiators.
package snapshot

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"distlab/core"
)

// Protocol is the registry entry.
var Protocol = &core.Protocol{
	Name:    "snapshot",
	Title:   "Chandy–Lamport snapshot",
	Section: "3",
	Group:   "Global state and consistent cuts",
	Summary: "A bank runs underneath: every process holds a balance and sends random TRANSFERs to its neighbours. " +
		"A snapshot records each balance and, on each channel, the transfers in transit, using MARKERs: the initiator " +
		"records its state and sends a MARKER on every outgoing channel; a process receiving its first MARKER records its " +
		"state, records that channel as empty and sends markers; it records what arrives on each other incoming channel until " +
		"that channel's MARKER arrives. The checker verifies the recorded cut against the trace's vector clocks, that the " +
		"recording conserves the money, and that exactly one MARKER crossed each directed channel. Start a snapshot live with " +
		"an input \"snapshot\" to any process. Fault model: reliable FIFO channels and no crashes. With non-FIFO channels a " +
		"transfer can overtake a MARKER and the recording breaks (the checker shows which message); a lost MARKER leaves the " +
		"snapshot incomplete and a lost TRANSFER destroys money. A crashed process keeps its state on stable storage but " +
		"misses what is sent to it while down, so a crash during a snapshot is reported, not tolerated.",
	Params: []core.ParamSpec{
		{Name: "initiate", Type: "json", Default: []any{map[string]any{"at": "40ms", "node": 0}},
			Doc: `when and where snapshots start: a list of {"at": DURATION, "node": ID} with an optional "id" (1..1000000); entries with the same id are one snapshot with several initiators, entries without one are separate snapshots`},
		{Name: "balance", Type: "int", Default: 100, Min: core.Bound(0), Max: core.Bound(1e9), Doc: "each process's opening balance"},
		{Name: "transfer_every", Type: "duration", Default: "4ms", Min: core.Bound(0), Max: core.Bound(3.6e6),
			Doc: `mean time between a process's random transfers ("0s": no random transfers, only the workload's)`},
		{Name: "max_transfer", Type: "int", Default: 20, Min: core.Bound(1), Max: core.Bound(1e9), Doc: "largest random transfer (never more than the balance)"},
	},
	Workload: `optional scripted transfers: {"transfers": [{"at": "8ms", "from": 1, "to": 2, "amount": 5}]}; ` +
		`they come on top of the random ones (set params.transfer_every to "0s" for scripted transfers only)`,
	MessageTypes: []core.Kindspec{
		{Name: "MARKER", Doc: "MARKER(s): separates, on one channel, what belongs to snapshot s from what comes after it", Color: "#D55E00"},
		{Name: "TRANSFER", Doc: "TRANSFER($a): the bank moves a dollars from the sender to the receiver", Color: "#0072B2"},
	},
	Phases: []core.Kindspec{
		{Name: "record", Doc: "the process recorded its local state (its balance) for a snapshot", Color: "#E69F00"},
		{Name: "close", Doc: "an incoming channel's MARKER arrived: that channel's recorded state is final", Color: "#009E73"},
	},
	Invariants: []core.Kindspec{
		{Name: "consistent-cut", Doc: "the cut formed by the recording moments is consistent, checked from the trace (every receive inside the cut has its send inside; CheckCut and the vector clocks agree)"},
		{Name: "money-conserved", Doc: "a completed snapshot's recorded balances plus recorded in-transit transfers equal the total money"},
		{Name: "channel-states", Doc: "each recorded channel state is exactly the transfers the trace shows in transit across the cut"},
		{Name: "one-marker-per-channel", Doc: "no snapshot sends two MARKERs on one directed channel"},
		{Name: "markers-complete", Doc: "every snapshot sent exactly one MARKER on every directed channel", Final: true},
		{Name: "snapshot-complete", Doc: "every snapshot started: every process recorded and every channel closed by the end", Final: true},
	},
	Metrics: []core.Kindspec{
		{Name: "snapshots", Doc: "snapshots started"},
		{Name: "snapshots_complete", Doc: "snapshots in which every process recorded and every channel closed"},
		{Name: "markers", Doc: "MARKER messages sent"},
		{Name: "directed_channels", Doc: "directed channels in the topology (e)"},
		{Name: "markers_per_snapshot", Doc: "MARKERs per snapshot started", Expected: "e (one per directed channel)"},
		{Name: "transfers", Doc: "TRANSFER messages sent"},
		{Name: "recorded_in_transit", Doc: "transfers recorded in channel states, over all snapshots"},
		{Name: "money", Doc: "total money in the bank"},
	},
	Complexity: "one MARKER per directed channel per snapshot: e messages (N(N-1) on a complete graph, 2N on a ring); O(diameter) message delays",
	MinNodes:   2,
	MaxNodes:   64,
	Connected:  true,
	Default: `{
  "protocol": "snapshot", "seed": 1, "nodes": 4, "until": "300ms",
  "topology": "complete",
  "network": {"latency": "2ms..12ms", "fifo": true},
  "params": {
    "initiate": [
      {"at": "40ms", "node": 0},
      {"at": "120ms", "node": 1, "id": 2},
      {"at": "124ms", "node": 3, "id": 2}
    ],
    "balance": 100, "transfer_every": "4ms", "max_transfer": 20
  }
}`,
	Build: build,
}

// Marker is the paper's MARKER, tagged with the snapshot it belongs to.
type Marker struct{ Snap int }

func (m Marker) Type() string   { return "MARKER" }
func (m Marker) String() string { return fmt.Sprintf("MARKER(s%d)", m.Snap) }

// Transfer is the bank's message: Amount dollars move to the receiver.
type Transfer struct{ Amount int }

func (m Transfer) Type() string   { return "TRANSFER" }
func (m Transfer) String() string { return fmt.Sprintf("TRANSFER($%d)", m.Amount) }

// initiation is one scheduled start of a snapshot at a process.
type initiation struct {
	At   time.Duration
	Snap int
}

// scripted is one transfer from the workload.
type scripted struct {
	At     time.Duration
	To     int
	Amount int
}

type instance struct {
	n        int
	balance  int
	every    time.Duration
	maxAmt   int
	inits    [][]initiation // per node, by time
	scripted [][]scripted   // per node, by time
	in       [][]int        // incoming neighbours per node; nil: same as outgoing
	nodes    []*node        // the processes (their memory survives crashes: stable storage)
	snaps    map[int]*snapInfo
	nextID   int // next id for a live snapshot
}

// snapInfo is what the instance knows about one snapshot (for annotations,
// checks and output).
type snapInfo struct {
	ID         int
	Initiators []int
	Started    time.Duration
	done       int // processes whose part is done
}

func build(b *core.Build) (core.Instance, error) {
	in := &instance{
		n: b.Nodes, balance: b.Int("balance"), every: b.Duration("transfer_every"), maxAmt: b.Int("max_transfer"),
		inits: make([][]initiation, b.Nodes), scripted: make([][]scripted, b.Nodes),
		nodes: make([]*node, b.Nodes), snaps: map[int]*snapInfo{},
	}
	if err := in.parseInitiate(b.JSON("initiate")); err != nil {
		return nil, err
	}
	if err := in.parseWorkload(b.Workload); err != nil {
		return nil, err
	}
	if t := b.Scenario.Topology; t.Shape == "edges" && t.Directed {
		in.in = make([][]int, b.Nodes)
		for _, e := range t.Edges {
			in.in[e.To] = append(in.in[e.To], e.From)
		}
		for _, l := range in.in {
			sort.Ints(l)
		}
	}
	return in, nil
}

func (in *instance) parseInitiate(v core.Value) error {
	if v.Null() {
		in.nextID = 1
		return nil
	}
	list, err := v.List()
	if err != nil {
		return err
	}
	type entry struct {
		at   time.Duration
		node int
		id   int // 0: none given
	}
	var entries []entry
	used := map[int]bool{}
	for _, x := range list {
		if err := x.Object("at", "node", "id"); err != nil {
			return err
		}
		var e entry
		if x.Get("at").Null() {
			return core.Errorf(x.Get("at").Path, `missing: when to start, e.g. "40ms"`)
		}
		if e.at, err = x.Get("at").Duration(); err != nil {
			return err
		}
		if x.Get("node").Null() {
			return core.Errorf(x.Get("node").Path, "missing: which process initiates (0..%d)", in.n-1)
		}
		if e.node, err = x.Get("node").Node(in.n); err != nil {
			return err
		}
		if id := x.Get("id"); !id.Null() {
			if e.id, err = id.Int(1, 1_000_000); err != nil {
				return err
			}
			used[e.id] = true
		}
		entries = append(entries, e)
	}
	next := 1
	for _, e := range entries {
		id := e.id
		if id == 0 {
			for used[next] {
				next++
			}
			id = next
			used[id] = true
		}
		in.inits[e.node] = append(in.inits[e.node], initiation{At: e.at, Snap: id})
	}
	for id := range used {
		in.nextID = max(in.nextID, id)
	}
	in.nextID++
	for _, l := range in.inits {
		sort.SliceStable(l, func(i, j int) bool { return l[i].At < l[j].At })
	}
	return nil
}

func (in *instance) parseWorkload(w core.Value) error {
	list, ok, err := w.SoleList("transfers")
	if err != nil || !ok {
		return err
	}
	for _, x := range list {
		if err := x.Object("at", "from", "to", "amount"); err != nil {
			return err
		}
		for _, k := range []string{"at", "from", "to", "amount"} {
			if x.Get(k).Null() {
				return core.Errorf(x.Get(k).Path, "missing (a transfer is {\"at\", \"from\", \"to\", \"amount\"})")
			}
		}
		var st scripted
		var from int
		if st.At, err = x.Get("at").Duration(); err != nil {
			return err
		}
		if from, err = x.Get("from").Node(in.n); err != nil {
			return err
		}
		if st.To, err = x.Get("to").Node(in.n); err != nil {
			return err
		}
		if st.To == from {
			return core.Errorf(x.Get("to").Path, "a process cannot transfer to itself")
		}
		if st.Amount, err = x.Get("amount").Int(1, 1_000_000_000); err != nil {
			return err
		}
		in.scripted[from] = append(in.scripted[from], st)
	}
	for _, l := range in.scripted {
		sort.SliceStable(l, func(i, j int) bool { return l[i].At < l[j].At })
	}
	return nil
}

// NewNode builds process id at start; at recovery the process comes back
// with its memory (balance and recordings are on stable storage).
func (in *instance) NewNode(id int) core.Node {
	if in.nodes[id] == nil {
		in.nodes[id] = &node{in: in, id: id, balance: in.balance, recs: map[int]*record{}}
	}
	return in.nodes[id]
}

func (in *instance) money() int { return in.n * in.balance }

// info returns the instance's bookkeeping for snapshot id, creating it (as
// started now) the first time any process records or initiates it.
func (in *instance) info(id int, now time.Duration) *snapInfo {
	si := in.snaps[id]
	if si == nil {
		si = &snapInfo{ID: id, Started: now}
		in.snaps[id] = si
	}
	return si
}

func durationUS(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// snapIDs lists the snapshots that have started, in id order.
func (in *instance) snapIDs() []int { return core.SortedKeys(in.snaps) }

func money(amounts []int) string {
	parts := make([]string, len(amounts))
	for i, a := range amounts {
		parts[i] = "$" + strconv.Itoa(a)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
