// Package deadlock is the seed's section 5: deadlock detection on a
// wait-for graph (WFG), by the Chandy–Misra–Haas edge-chasing algorithm for
// the AND model (Chandy, Misra and Haas, "Distributed deadlock detection",
// ACM TOCS 1983) and by a centralized detector that collects the sites'
// local wait-for graphs.
//
// The workload is a small lock manager. Resources R0, R1, ... each live at a
// site (a node); a process asks the resource's site for it with REQUEST, the
// site answers GRANT when the resource is free, and otherwise queues the
// request and says who holds it (QUEUED), which is the wait-for edge
// "requester waits for holder". A process that has everything it asked for
// works for a while and then RELEASEs it all. The sites' lock tables are the
// ground truth: the instance reads the global wait-for graph from them, so
// the checker can compare every declared deadlock with the real graph at
// that moment.
package deadlock

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"distlab/core"
)

// ---- messages ----

// Request asks a resource's site for the resource, for a job of the sender.
type Request struct {
	Res int
	Job int
	TS  time.Duration // the job's start (its age, for the central detector's "youngest")
}

func (m Request) Type() string   { return "REQUEST" }
func (m Request) String() string { return fmt.Sprintf("REQUEST(R%d)", m.Res) }

// Grant gives the resource to the requester; G numbers the grants of Res.
type Grant struct {
	Res, G, Job int
}

func (m Grant) Type() string   { return "GRANT" }
func (m Grant) String() string { return fmt.Sprintf("GRANT(R%d)", m.Res) }

// Queued tells a requester that it waits: Res is held by Holder (under grant
// G). It is the wait-for edge requester -> Holder.
type Queued struct {
	Res, Holder, G, Job int
}

func (m Queued) Type() string   { return "QUEUED" }
func (m Queued) String() string { return fmt.Sprintf("QUEUED(R%d, held by P%d)", m.Res, m.Holder) }

// Release gives a held resource back, or withdraws a queued request (an
// aborted job withdraws everything it asked for).
type Release struct {
	Res, Job int
}

func (m Release) Type() string   { return "RELEASE" }
func (m Release) String() string { return fmt.Sprintf("RELEASE(R%d)", m.Res) }

// Hop is one process a PROBE went through, with the blocking episode it was
// in when it forwarded the probe.
type Hop struct {
	Node    int
	Episode int
}

// Probe is the paper's PROBE(i, j, k): detection initiated by Init, sent by
// From to To because From waits for To. It also carries what makes the
// edge checkable (the resource and its grant number), the initiator's
// computation number, and the path so far, so that the initiator knows the
// cycle when the probe comes back.
type Probe struct {
	Init, From, To int
	Seq            int
	Res, G         int
	Path           []Hop
}

func (m Probe) Type() string { return "PROBE" }
func (m Probe) String() string {
	return fmt.Sprintf("PROBE(P%d, P%d, P%d)", m.Init, m.From, m.To)
}

// Abort orders the victim to abort its job. In CMH it is relayed round the
// cycle to the victim and carries each member's blocking episode from the
// probe's path (Episodes[i] for Cycle[i]), so every member can check that
// the cycle still stands; from the central detector it goes straight to the
// victim and names the job to abort.
type Abort struct {
	Cycle    []int
	Episodes []int // CMH
	Victim   int
	Job      int // central
	By       int // who found the cycle
	Why      string
}

func (m Abort) Type() string { return "ABORT" }
func (m Abort) String() string {
	return fmt.Sprintf("ABORT(P%d: %s)", m.Victim, cycleText(m.Cycle))
}

// LockReport is one resource in a site's report.
type LockReport struct {
	Res       int
	Holder    int
	HolderJob int
	HolderTS  time.Duration
	Waiters   []Waiter
}

// Waiter is one queued request.
type Waiter struct {
	Proc int
	Job  int
	TS   time.Duration
}

// Report is a site's local wait-for graph (its lock table), sent to the
// central detector every period.
type Report struct {
	Site  int
	Seq   int
	Locks []LockReport
}

func (m Report) Type() string { return "REPORT" }
func (m Report) String() string {
	var edges []string
	for _, l := range m.Locks {
		for _, w := range l.Waiters {
			edges = append(edges, fmt.Sprintf("P%d→P%d", w.Proc, l.Holder))
		}
	}
	if len(edges) == 0 {
		return fmt.Sprintf("REPORT(site P%d: no waits)", m.Site)
	}
	return fmt.Sprintf("REPORT(site P%d: %s)", m.Site, strings.Join(edges, ", "))
}

func cycleText(c []int) string {
	if len(c) == 0 {
		return "()"
	}
	var b strings.Builder
	for _, p := range c {
		fmt.Fprintf(&b, "P%d→", p)
	}
	fmt.Fprintf(&b, "P%d", c[0])
	return b.String()
}

// ---- registry entries ----

var okabeIto = struct{ orange, sky, green, yellow, blue, vermillion, purple, black string }{
	"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000",
}

var lockMessages = []core.Kindspec{
	{Name: "REQUEST", Doc: "REQUEST(R): ask R's site for R", Color: okabeIto.blue},
	{Name: "GRANT", Doc: "GRANT(R): R is yours", Color: okabeIto.green},
	{Name: "QUEUED", Doc: "QUEUED(R, held by P): you wait for P — a wait-for edge", Color: okabeIto.yellow},
	{Name: "RELEASE", Doc: "RELEASE(R): give R back, or withdraw a queued request for it (an aborted job withdraws everything)", Color: okabeIto.sky},
}

var basePhases = []core.Kindspec{
	{Name: "blocked", Doc: "the process waits for a resource (it has a wait-for edge)", Color: okabeIto.purple},
	{Name: "working", Doc: "the process holds everything it asked for and works", Color: okabeIto.green},
	{Name: "done", Doc: "the job finished and released its resources", Color: okabeIto.sky},
	{Name: "abort", Doc: "the process was chosen as the victim: it aborts its job, releasing what it holds and withdrawing what it asked for", Color: okabeIto.black},
}

var waitsDoc = `workload.waits: a list of [waiter, holder] pairs (at the start) or {"at": DURATION, "waiter": ID, "holder": ID}; ` +
	`in this scripted mode every process Pi starts holding its own resource Ri (kept at its own site) and a wait makes the waiter request ` +
	`the holder's resource. Without workload.waits, a random lock workload: each process thinks, then acquires params.locks random ` +
	`resources of params.resources one at a time (holding what it has: hold-and-wait), works for params.hold and releases them.`

// detectorInvariants are the invariants both detectors are judged by: real
// declarations, detection within a bound (stated per detector), resolution;
// extra ones follow.
func detectorInvariants(realDoc, bound string, extra ...core.Kindspec) []core.Kindspec {
	return append([]core.Kindspec{
		{Name: "declared-cycle-real", Doc: realDoc},
		{Name: "cycles-detected", Doc: "a process that stays on a wait-for cycle (of live processes and sites) sees a deadlock declared in its strongly connected component within " + bound},
		{Name: "resolution-breaks-cycle", Doc: "after a declaration, the declared cycle is gone from the ground truth within 2·max latency (unless a process involved crashed)"},
		{Name: "cycles-detected-by-end", Doc: "the same, for the state the run ends in (it stands until the scenario's until)", Final: true},
		{Name: "resolution-by-end", Doc: "the same, for declarations whose deadline falls before the scenario's until", Final: true},
	}, extra...)
}

// detectorMetrics are both detectors' metrics with the detector's own
// message counts in the middle; edges names e in the docs.
func detectorMetrics(edges string, own ...core.Kindspec) []core.Kindspec {
	out := []core.Kindspec{
		{Name: "detections", Doc: "deadlocks declared"},
		{Name: "phantoms", Doc: "declared deadlocks that were not cycles of the ground truth"},
	}
	out = append(out, own...)
	return append(out,
		core.Kindspec{Name: "wait_edges_at_detection", Doc: "mean number of " + edges + " in the ground truth when a deadlock was declared"},
		core.Kindspec{Name: "wait_edges_max", Doc: "the most wait-for edges the ground truth had at once"},
		core.Kindspec{Name: "aborts", Doc: "jobs aborted to resolve deadlocks"},
		core.Kindspec{Name: "jobs_done", Doc: "jobs that finished"},
	)
}

func commonParams() []core.ParamSpec {
	return []core.ParamSpec{
		{Name: "hold", Type: "duration", Default: "40ms", Min: core.Bound(0.001), Max: core.Bound(3.6e6), Doc: "how long a process works once it holds everything it asked for, before releasing it all"},
		{Name: "think", Type: "duration", Default: "15ms", Min: core.Bound(0.001), Max: core.Bound(3.6e6), Doc: "random workload: mean pause between jobs (also after an abort)"},
		{Name: "resources", Type: "int", Default: 0, Min: core.Bound(0), Max: core.Bound(1024), Doc: "random workload: number of resources (0: one per node); resource Rk lives at site k mod nodes"},
		{Name: "locks", Type: "int", Default: 2, Min: core.Bound(1), Max: core.Bound(64), Doc: "random workload: resources a job acquires, one after the other"},
	}
}

// CMH is the Chandy–Misra–Haas registry entry.
var CMH = &core.Protocol{
	Name:    "deadlock-cmh",
	Title:   "Chandy–Misra–Haas deadlock detection (AND model)",
	Section: "5",
	Group:   "Deadlock detection: wait-for graphs",
	Summary: "Edge chasing. A process that becomes blocked sends PROBE(initiator, sender, receiver) along its wait-for edges; a blocked " +
		"process forwards a probe once per initiator along its own edges; an active one drops it. When a probe comes back to its " +
		"initiator there is a cycle, and the probe's path names it; the victim is the process with the largest id on it. The ABORT " +
		"order is relayed round the cycle to the victim: each member checks it is still blocked as when the probe passed and pledges " +
		"not to be aborted elsewhere meanwhile, so when the victim declares the deadlock the cycle still stands (without this, two " +
		"overlapping cycles resolved at once, or two initiators of one cycle, could declare a cycle already broken). The victim then " +
		"releases what it holds and withdraws what it asked for, which breaks the cycle. A probe's receiver also checks the edge it " +
		"came along (it must still hold that resource), so a stale edge never closes a cycle. The checker compares each declaration " +
		"with the ground-truth wait-for graph of the sites' lock tables at that moment, checks that every persisting cycle is " +
		"declared within a bound and that each resolution breaks its cycle, and counts probes against wait-for edges (the book's " +
		"O(e)). Fault model: reliable FIFO channels with bounded delay, crash-stop. A crashed process keeps its locks and drops " +
		"probes, so a cycle through it (or through a crashed site) is never declared: that is a failure (section 7), not a deadlock, " +
		"and the detection bound does not apply to it; declarations must still be real. A recovered process resumes with its memory " +
		"(jobs and lock tables are on stable storage) but the messages sent to it while it was down are lost.",
	Params: append(commonParams(),
		core.ParamSpec{Name: "probe_delay", Type: "duration", Default: "0s", Min: core.Bound(0), Max: core.Bound(3.6e6), Doc: "how long a process waits after learning a wait-for edge before it initiates a probe"},
	),
	Workload:     waitsDoc,
	MessageTypes: append(append([]core.Kindspec{}, lockMessages...), core.Kindspec{Name: "PROBE", Doc: "PROBE(i, j, k): detection initiated by Pi, sent by Pj to Pk because Pj waits for Pk", Color: okabeIto.orange}, core.Kindspec{Name: "ABORT", Doc: "ABORT(victim: cycle): the initiator's order to the cycle's largest process, relayed round the cycle so every member checks it still stands", Color: okabeIto.vermillion}),
	Phases: append(append([]core.Kindspec{}, basePhases...),
		core.Kindspec{Name: "probe", Doc: "a blocked process initiates a detection: PROBE(i, i, k) along each of its wait-for edges", Color: okabeIto.orange},
		core.Kindspec{Name: "detect", Doc: "a probe came back to its initiator: a cycle, and a victim chosen", Color: okabeIto.vermillion}),
	Invariants: detectorInvariants(
		"every declared deadlock is a cycle of the ground-truth wait-for graph at the moment it is declared",
		"probe_delay + (2N+1)·max latency + 1ms (after each such declaration, again within the time to resolve it, defer, and detect anew)",
		core.Kindspec{Name: "probe-once-per-edge", Doc: "one detection computation sends at most one PROBE along each wait-for edge (so at most e probes: O(e))"},
	),
	Metrics: detectorMetrics("wait-for edges (e)",
		core.Kindspec{Name: "probes", Doc: "PROBE messages sent"},
		core.Kindspec{Name: "probes_per_detection", Doc: "PROBE messages per declared deadlock (all probes, also those of computations that found nothing)"},
		core.Kindspec{Name: "max_probes_per_computation", Doc: "the most PROBEs one detection computation sent", Expected: "≤ e (wait-for edges)"},
	),
	Complexity: "O(e) PROBE messages per detection computation, e = edges of the wait-for graph (each edge carries a given initiator's probe at most once); a cycle of k processes is found k message delays after its last edge forms, and resolved at most k delays later (the ABORT relayed round it)",
	MinNodes:   2,
	MaxNodes:   64,
	Default: `{
  "protocol": "deadlock-cmh", "seed": 1, "nodes": 4, "until": "300ms",
  "topology": "complete",
  "network": {"latency": "1ms..4ms"},
  "workload": {"waits": [
    {"at": "1ms", "waiter": 1, "holder": 2},
    {"at": "5ms", "waiter": 3, "holder": 0},
    {"at": "10ms", "waiter": 2, "holder": 0},
    {"at": "20ms", "waiter": 0, "holder": 1}
  ]}
}`,
	Build: func(b *core.Build) (core.Instance, error) { return build(b, false) },
}

// Central is the centralized detector's registry entry.
var Central = &core.Protocol{
	Name:    "deadlock-central",
	Title:   "Centralized deadlock detection",
	Section: "5",
	Group:   "Deadlock detection: wait-for graphs",
	Summary: "Every site sends its local wait-for graph (its lock table) to a controller, C0, every report_every. The controller " +
		"keeps each site's latest report, joins them into a global wait-for graph, finds cycles by depth-first search and aborts a " +
		"victim (the youngest job or the cheapest, a parameter) with ABORT. Because reports are taken at different moments and " +
		"travel with delay, the controller's graph can join an edge that is already gone with one that is new: a phantom deadlock, " +
		"a cycle that never existed at once. The checker compares every declaration with the ground truth of the sites' lock " +
		"tables at that moment and flags phantoms (delay the REPORTs of one site to see one). Fault model: reliable FIFO channels " +
		"with bounded delay, crash-stop; a crashed site's last report stays in the controller's view (a source of phantoms); a " +
		"crashed process keeps its locks; cycles through crashed processes are not subject to the detection bound.",
	Params: append(commonParams(),
		core.ParamSpec{Name: "report_every", Type: "duration", Default: "10ms", Min: core.Bound(0.1), Max: core.Bound(3.6e6), Doc: "how often each site sends its local wait-for graph to the controller"},
		core.ParamSpec{Name: "victim", Type: "enum", Default: "youngest", Enum: []string{"youngest", "cheapest"}, Doc: "youngest: abort the job that started last; cheapest: abort the process holding the fewest resources (ties: youngest, then largest id)"},
	),
	Workload:     waitsDoc,
	MessageTypes: append(append([]core.Kindspec{}, lockMessages...), core.Kindspec{Name: "REPORT", Doc: "REPORT(site: edges): a site's local wait-for graph, sent to the controller", Color: okabeIto.purple}, core.Kindspec{Name: "ABORT", Doc: "ABORT(victim: cycle): the controller tells the victim to abort", Color: okabeIto.vermillion}),
	Phases:       append([]core.Kindspec{}, basePhases...),
	Invariants: detectorInvariants(
		"every declared deadlock is a cycle of the ground-truth wait-for graph at the moment it is declared (a phantom deadlock breaks it)",
		"report_every + 2·max latency + 1ms (after each such declaration, again within the time to resolve it and detect anew)",
	),
	Metrics: detectorMetrics("wait-for edges",
		core.Kindspec{Name: "reports", Doc: "REPORT messages sent"},
		core.Kindspec{Name: "reports_per_detection", Doc: "REPORT messages per declared deadlock"},
	),
	Complexity: "N REPORT messages per period (one per site) whatever happens, plus one ABORT per victim; a cycle is found within one period plus one message delay",
	MinNodes:   2,
	MaxNodes:   64,
	Default: `{
  "protocol": "deadlock-central", "seed": 1, "nodes": 4, "until": "300ms",
  "topology": "complete",
  "network": {"latency": "1ms..4ms"},
  "params": {"report_every": "10ms", "victim": "youngest"},
  "workload": {"waits": [
    {"at": "1ms", "waiter": 1, "holder": 2},
    {"at": "5ms", "waiter": 3, "holder": 0},
    {"at": "10ms", "waiter": 2, "holder": 0},
    {"at": "20ms", "waiter": 0, "holder": 1}
  ]}
}`,
	Build: func(b *core.Build) (core.Instance, error) { return build(b, true) },
}

// ---- the instance ----

// wait is one scripted wait.
type wait struct {
	At     time.Duration
	Waiter int
	Holder int
}

type instance struct {
	central  bool
	n        int // processes that run jobs (the scenario's nodes)
	ctrl     int // the controller's id (central), else -1
	hold     time.Duration
	think    time.Duration
	probeDly time.Duration
	every    time.Duration
	victimBy string
	nres     int
	locksJob int
	scripted bool
	waits    [][]wait // per waiter, by time
	lmax     time.Duration

	locks []*lock // the sites' lock tables, by resource: the ground truth
	nodes []*node
	ctrlN *controller
	truth truth
}

// lock is one resource's entry in its site's lock table.
type lock struct {
	Res       int
	Site      int
	Holder    int // -1: free
	HolderJob int
	HolderTS  time.Duration
	G         int // grants so far
	Queue     []Waiter
}

func build(b *core.Build, central bool) (core.Instance, error) {
	in := &instance{
		central: central, n: b.Nodes, ctrl: -1,
		hold: b.Duration("hold"), think: b.Duration("think"), nres: b.Int("resources"), locksJob: b.Int("locks"),
		waits: make([][]wait, b.Nodes), nodes: make([]*node, b.Nodes),
	}
	if central {
		in.every = b.Duration("report_every")
		in.victimBy = b.String("victim")
	} else {
		in.probeDly = b.Duration("probe_delay")
	}
	if err := completeTopology(b); err != nil {
		return nil, err
	}
	if err := in.parseWaits(b.Workload); err != nil {
		return nil, err
	}
	if in.scripted {
		if in.nres != 0 {
			return nil, core.Errorf("params.resources", "with workload.waits every process holds its own resource; params.resources is for the random workload")
		}
		in.nres = b.Nodes
	} else {
		if in.nres == 0 {
			in.nres = b.Nodes
		}
		if in.locksJob > in.nres {
			return nil, core.Errorf("params.locks", "%d is more than the %d resources (params.resources)", in.locksJob, in.nres)
		}
	}
	in.locks = make([]*lock, in.nres)
	for r := range in.locks {
		in.locks[r] = &lock{Res: r, Site: r % b.Nodes, Holder: -1}
		if in.scripted {
			// Pi starts holding Ri, for its first job (started at 0).
			in.locks[r].Holder, in.locks[r].HolderJob, in.locks[r].G = r, 1, 1
		}
	}
	in.lmax = b.Scenario.Network.LatMax
	for _, e := range b.Scenario.Topology.Edges {
		in.lmax = max(in.lmax, e.Link.LatMax)
	}
	if central {
		in.ctrl = b.AddProcesses(1, "C")
	}
	in.truth.init(in)
	return in, nil
}

// completeTopology checks that every process can send to every other: a
// process sends REQUESTs to any resource's site and PROBEs to any holder.
func completeTopology(b *core.Build) error {
	t := b.Scenario.Topology
	if t.Shape == "complete" {
		return nil
	}
	msg := fmt.Sprintf("%s needs a complete network (processes send REQUESTs to any site and PROBEs to any holder); use \"complete\"", b.Scenario.Protocol)
	if t.Shape != "edges" {
		return core.Errorf("topology", "%s, not %q", msg, t.Shape)
	}
	have := map[[2]int]bool{}
	for _, e := range t.Edges {
		have[[2]int{e.From, e.To}] = true
		if !t.Directed {
			have[[2]int{e.To, e.From}] = true
		}
	}
	for a := 0; a < b.Nodes; a++ {
		for c := 0; c < b.Nodes; c++ {
			if a != c && !have[[2]int{a, c}] {
				return core.Errorf("topology.edges", "%s: there is no channel from %d to %d", msg, a, c)
			}
		}
	}
	return nil
}

func (in *instance) parseWaits(w core.Value) error {
	list, ok, err := w.SoleList("waits")
	if err != nil || !ok {
		return err
	}
	in.scripted = true
	for _, x := range list {
		var wt wait
		var wp, hp core.Value
		switch {
		case x.IsList():
			pair, _ := x.List()
			if len(pair) != 2 {
				return core.Errorf(x.Path, "a wait is [waiter, holder] or {\"at\": DURATION, \"waiter\": ID, \"holder\": ID}")
			}
			wp, hp = pair[0], pair[1]
		case x.IsObject():
			if err := x.Object("at", "waiter", "holder"); err != nil {
				return err
			}
			if at := x.Get("at"); !at.Null() {
				if wt.At, err = at.Duration(); err != nil {
					return err
				}
			}
			wp, hp = x.Get("waiter"), x.Get("holder")
			for _, v := range []core.Value{wp, hp} {
				if v.Null() {
					return core.Errorf(v.Path, "missing: a wait names its waiter and its holder")
				}
			}
		default:
			return core.Errorf(x.Path, "a wait is [waiter, holder] or {\"at\": DURATION, \"waiter\": ID, \"holder\": ID}")
		}
		if wt.Waiter, err = wp.Node(in.n); err != nil {
			return err
		}
		if wt.Holder, err = hp.Node(in.n); err != nil {
			return err
		}
		if wt.Waiter == wt.Holder {
			return core.Errorf(hp.Path, "a process cannot wait for itself")
		}
		in.waits[wt.Waiter] = append(in.waits[wt.Waiter], wt)
	}
	for _, l := range in.waits {
		sort.SliceStable(l, func(i, j int) bool { return l[i].At < l[j].At })
	}
	return nil
}

func (in *instance) site(res int) int { return res % in.n }

// NewNode builds process id at start; at recovery the process comes back
// with its memory (its job and its site's lock table are on stable storage).
func (in *instance) NewNode(id int) core.Node {
	if id == in.ctrl {
		if in.ctrlN == nil {
			in.ctrlN = newController(in, id)
		}
		return in.ctrlN
	}
	if in.nodes[id] == nil {
		in.nodes[id] = newNode(in, id)
	}
	return in.nodes[id]
}
