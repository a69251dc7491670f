// Package pbft is Practical Byzantine Fault Tolerance (Castro and Liskov,
// OSDI 1999; TOCS 20(4), 2002), the second half of the seed's section 11:
// n replicas, of which at most f are faulty (n ≥ 3f+1), order client
// requests with three phases (PRE-PREPARE, PREPARE, COMMIT), execute them in
// sequence order and reply; a client accepts a result after f+1 matching
// REPLY messages. A faulty primary is replaced by a view change (VIEW-CHANGE,
// NEW-VIEW) and checkpoints (CHECKPOINT) bound the log.
//
// Modelling choices (the paper's cryptography is assumed, not computed):
// the engine tells a receiver who sent a message, which stands for the
// paper's MACs and signatures; a client's signature on its request is
// checked against the requests clients really issued; digests are real
// SHA-256 of the request. A replica that falls behind a stable checkpoint
// takes the state from the CHECKPOINT messages (the paper's state transfer,
// folded into one message).
package pbft

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"distlab/core"
)

// Protocol is the registry entry.
var Protocol = &core.Protocol{
	Name:    "pbft",
	Title:   "PBFT: Practical Byzantine Fault Tolerance",
	Section: "11",
	Group:   "Byzantine fault tolerance",
	Summary: "Replicas agree on the order of client requests despite up to f traitors among n ≥ 3f+1: the primary " +
		"assigns a sequence number (PRE-PREPARE with the request's SHA-256 digest), backups echo it (PREPARE) " +
		"until 2f+1 replicas agree on it, then everyone commits (COMMIT, 2f+1) and executes in sequence order; " +
		"the client accepts a result once f+1 replicas REPLY the same. A silent or lying primary is replaced by a " +
		"view change; checkpoints keep the log short.",
	Params: []core.ParamSpec{
		{Name: "f", Type: "int", Min: core.Bound(0), Max: core.Bound(21),
			Doc: "faults tolerated; default ⌊(n−1)/3⌋. Quorums are 2f+1 replicas when n = 3f+1 (in general ⌈(n+f+1)/2⌉, so that two quorums share f+1 replicas): a pre-prepare and 2f prepares, 2f+1 commits, checkpoints and view changes. Setting n < 3f+1 breaks the assumption"},
		{Name: "checkpoint", Type: "int", Default: 4, Min: core.Bound(1), Max: core.Bound(1000),
			Doc: "checkpoint interval K: a CHECKPOINT every K executed requests; the log window is 2K sequence numbers"},
		{Name: "client_timeout", Type: "duration", Default: "150ms", Min: core.Bound(1), Max: core.Bound(600_000),
			Doc: "a client that has no f+1 matching replies by then multicasts its request to every replica"},
		{Name: "view_timeout", Type: "duration", Default: "250ms", Min: core.Bound(1), Max: core.Bound(600_000),
			Doc: "a replica waiting that long for a request to execute starts a view change; doubled at every further view change"},
		{Name: "slow", Type: "duration", Default: "80ms", Min: core.Bound(0), Max: core.Bound(600_000),
			Doc: "how long a replica with the slow strategy holds each message before sending it"},
	},
	Workload: `{"requests": 4, "clients": 1}: each client (extra processes C0, C1, ... numbered after the replicas) performs "requests" operations one after another`,
	MessageTypes: []core.Kindspec{
		{Name: "REQUEST", Doc: "REQUEST(o, t, c): a client's operation o with timestamp t; also a backup forwarding it to the primary", Color: "#000000"},
		{Name: "PRE-PREPARE", Doc: "PRE-PREPARE(v, n, d): the primary of view v assigns sequence number n to the request with digest d", Color: "#E69F00"},
		{Name: "PREPARE", Doc: "PREPARE(v, n, d, i): backup i accepts the assignment", Color: "#56B4E9"},
		{Name: "COMMIT", Doc: "COMMIT(v, n, d, i): replica i is prepared", Color: "#009E73"},
		{Name: "REPLY", Doc: "REPLY(v, t, c, i, r): replica i executed the request and got r", Color: "#CC79A7"},
		{Name: "CHECKPOINT", Doc: "CHECKPOINT(n, d, i): replica i's state digest after executing n", Color: "#999999"},
		{Name: "VIEW-CHANGE", Doc: "VIEW-CHANGE(v+1, n, C, P, i): replica i gives up on view v, with its stable checkpoint n and prepared certificates P", Color: "#D55E00"},
		{Name: "NEW-VIEW", Doc: "NEW-VIEW(v+1, V, O): the new primary's proof (2f+1 view changes) and re-issued pre-prepares", Color: "#0072B2"},
	},
	Phases: []core.Kindspec{
		{Name: "request", Doc: "a client issues (or retransmits) a request", Color: "#000000"},
		{Name: "pre-prepared", Doc: "a replica accepted a PRE-PREPARE", Color: "#E69F00"},
		{Name: "prepared", Doc: "pre-prepare and 2f matching prepares", Color: "#56B4E9"},
		{Name: "committed", Doc: "committed-local: prepared and 2f+1 matching commits", Color: "#009E73"},
		{Name: "executed", Doc: "executed in sequence order", Color: "#CC79A7"},
		{Name: "accepted", Doc: "a client accepted a result (f+1 matching replies)", Color: "#F0E442"},
		{Name: "checkpoint", Doc: "a checkpoint became stable (2f+1 matching CHECKPOINT)", Color: "#999999"},
		{Name: "view-change", Doc: "a replica starts a view change", Color: "#D55E00"},
		{Name: "new-view", Doc: "a replica enters a new view", Color: "#0072B2"},
	},
	Strategies: []core.Kindspec{
		{Name: "silent", Doc: "sends nothing at all (a crash that still listens)"},
		{Name: "wrong-digest", Doc: "puts a wrong digest in its PRE-PREPARE, PREPARE, COMMIT and CHECKPOINT messages (the seed's faulty replica); as primary this stalls the view until it is replaced"},
		{Name: "equivocate", Doc: "as primary, sends odd-numbered replicas one order of the pending requests and even-numbered ones another (a forged request when only one is pending); as any replica, answers every PREPARE with a matching PREPARE and COMMIT (agrees with everyone)"},
		{Name: "lie", Doc: "follows the protocol but replies a wrong result to the client"},
		{Name: "slow", Doc: "follows the protocol but holds every message for params.slow before sending it"},
	},
	Invariants: []core.Kindspec{
		{Name: "same-order", Doc: "all correct replicas execute the same request at each sequence number (so the same requests in the same order)"},
		{Name: "correct-result", Doc: "a client accepts only the result correct replicas computed for its request"},
		{Name: "every-request-commits", Doc: "with at most f traitors and a network that eventually delivers, every client's requests commit and are accepted", Final: true},
	},
	Metrics: []core.Kindspec{
		{Name: "requests_accepted", Doc: "client requests accepted (f+1 matching replies)"},
		{Name: "messages_per_request", Doc: "all messages sent per accepted request", Expected: "O(n²): 2n²−n+1 plus checkpoints"},
		{Name: "request_per_request", Doc: "REQUEST messages per accepted request", Expected: "1"},
		{Name: "pre_prepare_per_request", Doc: "PRE-PREPARE messages per accepted request", Expected: "n−1"},
		{Name: "prepare_per_request", Doc: "PREPARE messages per accepted request", Expected: "(n−1)²"},
		{Name: "commit_per_request", Doc: "COMMIT messages per accepted request", Expected: "n(n−1)"},
		{Name: "reply_per_request", Doc: "REPLY messages per accepted request", Expected: "n"},
		{Name: "checkpoint_per_request", Doc: "CHECKPOINT messages per accepted request", Expected: "n(n−1)/K"},
		{Name: "view_change_messages", Doc: "VIEW-CHANGE and NEW-VIEW messages sent"},
		{Name: "view", Doc: "the highest view a correct replica reached"},
	},
	Complexity: "O(n²) messages per request: 1 REQUEST, n−1 PRE-PREPARE, (n−1)² PREPARE, n(n−1) COMMIT, n REPLY; 3 message delays from PRE-PREPARE to REPLY",
	MinNodes:   1,
	MaxNodes:   64,
	Default: `{
  "protocol": "pbft", "seed": 1, "nodes": 4, "until": "1s",
  "network": {"latency": "1ms..10ms"},
  "workload": {"requests": 4, "clients": 1},
  "faults": [{"at": "0s", "byzantine": 3, "strategy": "wrong-digest"}]
}`,
	Build: build,
}

// equivocateHold is how long an equivocating primary waits for a second
// request to pair with the first.
const equivocateHold = 30 * time.Millisecond

// ---- messages ----

// Request is REQUEST(o, t, c).
type Request struct {
	Op     string
	T      int // the client's timestamp (1, 2, ...)
	Client int // the client's process id
	Name   string
}

func (m Request) Type() string { return "REQUEST" }
func (m Request) String() string {
	return fmt.Sprintf("REQUEST(%s, t=%d, %s)", m.Op, m.T, m.Name)
}

// Digest is the SHA-256 of the request, in hex.
func (m Request) Digest() string {
	h := sha256.Sum256([]byte(fmt.Sprintf("REQUEST|%s|%d|%d", m.Op, m.T, m.Client)))
	return hex.EncodeToString(h[:])
}

// nullDigest is the digest of the null request that a NEW-VIEW puts where no
// request was prepared.
var nullDigest = func() string { h := sha256.Sum256([]byte("null")); return hex.EncodeToString(h[:]) }()

func short(d string) string {
	if len(d) > 8 {
		return d[:8]
	}
	return d
}

// PrePrepare is PRE-PREPARE(v, n, d) with the request m piggybacked.
type PrePrepare struct {
	V, N int
	D    string
	M    Request
	Null bool // the null request of a NEW-VIEW
}

func (m PrePrepare) Type() string { return "PRE-PREPARE" }
func (m PrePrepare) String() string {
	return fmt.Sprintf("PRE-PREPARE(v=%d, n=%d, d=%s)", m.V, m.N, short(m.D))
}

// Prepare is PREPARE(v, n, d, i).
type Prepare struct {
	V, N int
	D    string
	I    int
}

func (m Prepare) Type() string { return "PREPARE" }
func (m Prepare) String() string {
	return fmt.Sprintf("PREPARE(v=%d, n=%d, d=%s, i=%d)", m.V, m.N, short(m.D), m.I)
}

// Commit is COMMIT(v, n, d, i).
type Commit struct {
	V, N int
	D    string
	I    int
}

func (m Commit) Type() string { return "COMMIT" }
func (m Commit) String() string {
	return fmt.Sprintf("COMMIT(v=%d, n=%d, d=%s, i=%d)", m.V, m.N, short(m.D), m.I)
}

// Reply is REPLY(v, t, c, i, r).
type Reply struct {
	V, T, Client, I int
	R               string
}

func (m Reply) Type() string { return "REPLY" }
func (m Reply) String() string {
	return fmt.Sprintf("REPLY(v=%d, t=%d, i=%d, r=%s)", m.V, m.T, m.I, m.R)
}

// Checkpoint is CHECKPOINT(n, d, i); Snap is the state itself, carried for
// state transfer.
type Checkpoint struct {
	N    int
	D    string
	I    int
	Snap *Snapshot
}

func (m Checkpoint) Type() string { return "CHECKPOINT" }
func (m Checkpoint) String() string {
	return fmt.Sprintf("CHECKPOINT(n=%d, d=%s, i=%d)", m.N, short(m.D), m.I)
}

// Certificate is a prepared certificate: a pre-prepare and the replicas whose
// matching prepares made it prepared.
type Certificate struct {
	PP       PrePrepare
	Prepares []int
}

// ViewChange is VIEW-CHANGE(v+1, n, C, P, i).
type ViewChange struct {
	V int           // the new view
	N int           // the sequence number of the stable checkpoint
	C []Checkpoint  // 2f+1 CHECKPOINT messages proving it
	P []Certificate // prepared certificates for sequence numbers above N
	I int
}

func (m ViewChange) Type() string { return "VIEW-CHANGE" }
func (m ViewChange) String() string {
	ns := make([]string, len(m.P))
	for k, c := range m.P {
		ns[k] = fmt.Sprint(c.PP.N)
	}
	return fmt.Sprintf("VIEW-CHANGE(v=%d, n=%d, P={%s}, i=%d)", m.V, m.N, strings.Join(ns, ","), m.I)
}

// NewView is NEW-VIEW(v+1, V, O).
type NewView struct {
	V  int
	VC []ViewChange
	O  []PrePrepare
}

func (m NewView) Type() string { return "NEW-VIEW" }
func (m NewView) String() string {
	from := make([]string, len(m.VC))
	for k, vc := range m.VC {
		from[k] = fmt.Sprint(vc.I)
	}
	return fmt.Sprintf("NEW-VIEW(v=%d, V={%s}, O=%d pre-prepares)", m.V, strings.Join(from, ","), len(m.O))
}

// ---- the service ----

// Snapshot is the replicated service's state: a counter, and per client the
// last reply (for exactly-once execution and retransmitted replies).
type Snapshot struct {
	N       int // the last sequence number executed into this state
	Total   int
	Replies map[int]Reply // by client process id
}

func (s *Snapshot) clone() *Snapshot {
	c := &Snapshot{N: s.N, Total: s.Total, Replies: make(map[int]Reply, len(s.Replies))}
	for k, v := range s.Replies {
		c.Replies[k] = v
	}
	return c
}

// Digest is the checkpoint digest of the state.
func (s *Snapshot) Digest() string {
	var b strings.Builder
	fmt.Fprintf(&b, "n=%d|total=%d", s.N, s.Total)
	for _, c := range core.SortedKeys(s.Replies) {
		r := s.Replies[c]
		fmt.Fprintf(&b, "|%d:%d:%s", c, r.T, r.R)
	}
	h := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(h[:])
}

// apply executes an operation "add k" and returns the result.
func (s *Snapshot) apply(op string) string {
	var k int
	fmt.Sscanf(op, "add %d", &k)
	s.Total += k
	return fmt.Sprintf("total=%d", s.Total)
}

// ---- the instance ----

type instance struct {
	nR, nC, f, k  int
	q             int // the quorum: ⌈(n+f+1)/2⌉, which is 2f+1 when n = 3f+1
	requests      int
	clientTimeout time.Duration
	viewTimeout   time.Duration
	slow          time.Duration

	issued map[string]bool // digests of requests clients really sent (their signatures)

	// What the checkers read, kept here so it survives a node's rebuild.
	exec        []map[int]string // per replica: sequence number -> digest executed
	canon       map[int]execRec  // the first correct execution of each sequence number
	results     map[string]string
	accepted    [][]string // per client: accepted results in order
	safety      string     // the first same-order violation
	safetyEvent bool
	wrongResult string
	byzAtExec   []bool
}

type execRec struct {
	digest, what string
	by           int
}

func build(b *core.Build) (core.Instance, error) {
	if sh := b.Scenario.Topology.Shape; sh != "complete" && sh != "edges" {
		return nil, core.Errorf("topology", "PBFT replicas multicast to each other: use \"complete\" (got %q)", sh)
	}
	in := &instance{nR: b.Nodes, nC: 1, requests: 4, k: b.Int("checkpoint"),
		clientTimeout: b.Duration("client_timeout"), viewTimeout: b.Duration("view_timeout"), slow: b.Duration("slow"),
		issued: map[string]bool{}, canon: map[int]execRec{}, results: map[string]string{}}
	in.f = (in.nR - 1) / 3
	if b.Has("f") {
		in.f = b.Int("f")
	}
	if in.f >= in.nR {
		return nil, core.Errorf("params.f", "f = %d faulty replicas out of %d leaves none correct (at most %d)", in.f, in.nR, in.nR-1)
	}
	in.q = (in.nR + in.f + 2) / 2
	if in.q > in.nR {
		return nil, core.Errorf("params.f", "f = %d needs quorums of %d replicas but there are only %d", in.f, in.q, in.nR)
	}
	if w := b.Workload; !w.Null() {
		if err := w.Object("requests", "clients"); err != nil {
			return nil, err
		}
		var err error
		if x := w.Get("requests"); !x.Null() {
			if in.requests, err = x.Int(0, 10_000); err != nil {
				return nil, err
			}
		}
		if x := w.Get("clients"); !x.Null() {
			if in.nC, err = x.Int(1, 64); err != nil {
				return nil, err
			}
		}
	}
	if in.nR+in.nC > core.MaxProcesses {
		return nil, core.Errorf("workload.clients", "too many processes")
	}
	b.AddProcesses(in.nC, "C")
	for i := 0; i < in.nR; i++ {
		b.Label(i, fmt.Sprintf("R%d", i))
	}
	in.exec = make([]map[int]string, in.nR)
	for i := range in.exec {
		in.exec[i] = map[int]string{}
	}
	in.accepted = make([][]string, in.nC)
	return in, nil
}

func (in *instance) NewNode(id int) core.Node {
	if id >= in.nR {
		return &client{in: in, id: id, idx: id - in.nR, replies: map[int]Reply{}}
	}
	return newReplica(in, id)
}

func (in *instance) primary(v int) int { return v % in.nR }

// recordExec is called by replica i when it executes sequence number n. The
// first execution of n by a replica that is not a traitor is the reference;
// any other correct replica must execute the same digest there.
func (in *instance) recordExec(env core.Env, i, n int, d, what, result string, req *Request) {
	in.exec[i][n] = d
	if env.Strategy() != "" {
		return
	}
	if req != nil && result != "" {
		k := fmt.Sprintf("%d/%d", req.Client, req.T)
		if _, ok := in.results[k]; !ok {
			in.results[k] = result
		}
	}
	c, ok := in.canon[n]
	if !ok {
		in.canon[n] = execRec{digest: d, what: what, by: i}
		return
	}
	if c.digest != d && in.safety == "" {
		in.safety = fmt.Sprintf("at sequence number %d, correct R%d executed %s but correct R%d executed %s",
			n, c.by, c.what, i, what)
	}
}

func sortRequests(rs []Request) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Client != rs[j].Client {
			return rs[i].Client < rs[j].Client
		}
		return rs[i].T < rs[j].T
	})
}
