package deadlock

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"distlab/core"
)

// The ground truth is the sites' lock tables: Pw waits for Ph when Pw's
// request for a resource is queued at its site and Ph holds the resource.
// The nodes change the tables (and call changed); declarations are judged
// against the tables at the moment of the declaration (declare is called
// just before the decide event is recorded).

// edge is a wait-for edge of the ground truth.
type edge struct{ W, H, Res int }

type truth struct {
	in       *instance
	version  int
	edgesMax int
	decls    []*decl
}

// decl is one declared deadlock, judged when it was made.
type decl struct {
	At       time.Duration
	By       int
	Cycle    []int
	Victim   int
	Real     bool
	Detail   string
	Edges    int   // wait-for edges in the ground truth then
	Sites    []int // the sites of the resources on the declared cycle (for crash exemptions)
	Resolved bool
	ResolvAt time.Duration
	Exempt   string // why the resolution check does not apply
}

func (t *truth) init(in *instance) { t.in = in }

func (t *truth) changed() {
	t.version++
	if e := len(t.edges()); e > t.edgesMax {
		t.edgesMax = e
	}
}

// edges lists the ground truth's wait-for edges, sorted.
func (t *truth) edges() []edge {
	var out []edge
	for _, l := range t.in.locks {
		if l.Holder < 0 {
			continue
		}
		for _, w := range l.Queue {
			out = append(out, edge{W: w.Proc, H: l.Holder, Res: l.Res})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.W != b.W {
			return a.W < b.W
		}
		if a.H != b.H {
			return a.H < b.H
		}
		return a.Res < b.Res
	})
	return out
}

// edgeRes returns the resources by which w waits for h (none: no edge).
func (t *truth) edgeRes(w, h int) []int {
	var out []int
	for _, l := range t.in.locks {
		if l.Holder != h {
			continue
		}
		for _, q := range l.Queue {
			if q.Proc == w {
				out = append(out, l.Res)
			}
		}
	}
	return out
}

// isCycle says whether cycle is a cycle of the ground truth now, and if not
// which edge is missing.
func (t *truth) isCycle(cycle []int) (bool, string, []int) {
	seen := map[int]bool{}
	var sites []int
	for i, w := range cycle {
		if seen[w] {
			return false, fmt.Sprintf("P%d appears twice", w), nil
		}
		seen[w] = true
		h := cycle[(i+1)%len(cycle)]
		rs := t.edgeRes(w, h)
		if len(rs) == 0 {
			return false, fmt.Sprintf("P%d does not wait for P%d", w, h), sites
		}
		for _, r := range rs {
			sites = append(sites, t.in.site(r))
		}
	}
	return len(cycle) > 0, "", sites
}

// declare records a declaration and judges it against the ground truth now.
func (t *truth) declare(now time.Duration, by int, cycle []int, victim int) {
	ok, why, sites := t.isCycle(cycle)
	d := &decl{At: now, By: by, Cycle: append([]int(nil), cycle...), Victim: victim, Real: ok, Edges: len(t.edges()), Sites: sites}
	if ok {
		d.Detail = "a cycle of the wait-for graph"
	} else {
		d.Detail = "not a cycle of the wait-for graph: " + why
		d.Resolved = true // nothing to break
	}
	t.decls = append(t.decls, d)
}

// components returns, for each process on a cycle of live edges, the
// members of its strongly connected component (of more than one process),
// by Tarjan's algorithm. An edge is live when its waiter, its holder and the
// site of its resource are up: a request queued at a crashed site, or a
// release lost there, blocks the waiter for ever, but that is a failure,
// not a deadlock.
func (t *truth) components(s *core.Sim) map[int][]int {
	adj := map[int][]int{}
	for _, e := range t.edges() {
		if !s.Crashed(e.W) && !s.Crashed(e.H) && !s.Crashed(t.in.site(e.Res)) {
			adj[e.W] = append(adj[e.W], e.H)
		}
	}
	index, low := map[int]int{}, map[int]int{}
	on := map[int]bool{}
	var stack []int
	next := 0
	out := map[int][]int{}
	var strong func(v int)
	strong = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		on[v] = true
		for _, w := range adj[v] {
			if _, ok := index[w]; !ok {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if on[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > 1 {
				sort.Ints(comp)
				for _, w := range comp {
					out[w] = comp
				}
			}
		}
	}
	for _, v := range core.SortedKeys(adj) {
		if _, ok := index[v]; !ok {
			strong(v)
		}
	}
	return out
}

// detectBound is how long a process may stay on a cycle of live processes
// before a declaration must name it.
func (in *instance) detectBound() time.Duration {
	if in.central {
		// the next report of every site, its delay, and slack for the ABORT
		return in.every + 2*in.lmax + time.Millisecond
	}
	// QUEUED to the last waiter, the probe delay, N hops round the cycle
	// for the PROBE and N more for the ABORT
	return in.probeDly + time.Duration(2*in.n+1)*in.lmax + time.Millisecond
}

// retryBound is how long a resolution deferred by a pledge may wait before
// its victim probes again.
func (in *instance) retryBound() time.Duration {
	if in.central {
		return 0
	}
	return in.pledgeTTL()
}

// resolveBound is how long a declared cycle may survive its declaration:
// the ABORT to the victim and the victim's RELEASEs to the sites.
func (in *instance) resolveBound() time.Duration { return 2*in.lmax + time.Millisecond }

func (in *instance) Invariants() []core.Invariant {
	t := &in.truth
	nextDecl := 0
	since := map[int]time.Duration{} // process -> when it joined a cycle of live edges
	var comp map[int][]int           // process -> its strongly connected component
	seenVersion := -1
	crashes := 0
	probes := map[[5]int]int{}
	invs := []core.Invariant{
		{Name: "declared-cycle-real", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if e.Kind != core.KDecide || e.Aux != "deadlock" {
				return true, ""
			}
			if nextDecl >= len(t.decls) {
				return false, "a deadlock decide event without a recorded declaration"
			}
			d := t.decls[nextDecl]
			nextDecl++
			if !d.Real {
				return false, fmt.Sprintf("%s declared the deadlock %s at %v, but at that moment %s: a phantom deadlock",
					s.Name(d.By), cycleText(d.Cycle), d.At, strings.TrimPrefix(d.Detail, "not a cycle of the wait-for graph: "))
			}
			return true, ""
		}},
		{Name: "cycles-detected", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if e.Kind == core.KCrash || e.Kind == core.KRecover {
				crashes++
			}
			if v := t.version*1024 + crashes; v != seenVersion {
				seenVersion = v
				comp = t.components(s)
				for p := range since {
					if comp[p] == nil {
						delete(since, p)
					}
				}
				for p := range comp {
					if _, ok := since[p]; !ok {
						since[p] = s.Now()
					}
				}
			}
			return in.checkDetected(s, since, comp, s.Now())
		}},
		{Name: "resolution-breaks-cycle", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			return in.checkResolved(s, s.Now())
		}},
	}
	if !in.central {
		invs = append(invs, core.Invariant{Name: "probe-once-per-edge", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if e.Kind != core.KSend {
				return true, ""
			}
			m := s.Msg(int(e.Msg))
			p, ok := m.Payload.(Probe)
			if !ok {
				return true, ""
			}
			k := [5]int{p.Init, p.Seq, p.From, p.To, p.Res}
			probes[k]++
			if probes[k] > 1 {
				return false, fmt.Sprintf("detection #%d of P%d sent %s twice along the edge P%d→P%d (R%d)", p.Seq, p.Init, p, p.From, p.To, p.Res)
			}
			return true, ""
		}})
	}
	// The end of the run: the state stands until `until`.
	invs = append(invs,
		core.Invariant{Name: "cycles-detected-by-end", Final: true, Check: func(s *core.Sim, _ *core.Event) (bool, string) {
			return in.checkDetected(s, since, comp, s.Scenario().Until)
		}},
		core.Invariant{Name: "resolution-by-end", Final: true, Check: func(s *core.Sim, _ *core.Event) (bool, string) {
			return in.checkResolved(s, s.Scenario().Until)
		}},
	)
	return invs
}

// checkDetected: a process on a cycle of live edges since t0 must see a
// declaration that touches its strongly connected component within the
// detection bound; after each such declaration the component gets the time
// to resolve it and to detect what is left (cycles can share processes, and
// one resolution can break several).
func (in *instance) checkDetected(s *core.Sim, since map[int]time.Duration, comp map[int][]int, now time.Duration) (bool, string) {
	for _, p := range core.SortedKeys(since) {
		t0 := since[p]
		deadline := t0 + in.detectBound()
		for _, d := range in.truth.decls {
			if d.At >= t0 && intersects(d.Cycle, comp[p]) {
				deadline = max(deadline, d.At+in.resolveBound()+in.retryBound()+in.detectBound())
			}
		}
		if now > deadline {
			return false, fmt.Sprintf("P%d has been on a wait-for cycle (among %s) since %v and no deadlock there was declared within %v",
				p, procList(comp[p]), t0, in.detectBound())
		}
	}
	return true, ""
}

func intersects(a, b []int) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

func procList(ps []int) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("P%d", p)
	}
	return strings.Join(parts, ", ")
}

func (in *instance) checkResolved(s *core.Sim, now time.Duration) (bool, string) {
	bound := in.resolveBound()
	for _, d := range in.truth.decls {
		if d.Resolved || d.Exempt != "" {
			continue
		}
		if ok, _, _ := in.truth.isCycle(d.Cycle); !ok {
			d.Resolved, d.ResolvAt = true, now
			continue
		}
		if now-d.At <= bound {
			continue // not due yet (at the end: due after the run)
		}
		if s.Crashed(d.Victim) {
			d.Exempt = fmt.Sprintf("the victim P%d crashed", d.Victim)
			continue
		}
		crashedSite := -1
		for _, st := range d.Sites {
			if s.Crashed(st) {
				crashedSite = st
			}
		}
		if crashedSite >= 0 {
			d.Exempt = fmt.Sprintf("site P%d crashed", crashedSite)
			continue
		}
		return false, fmt.Sprintf("the deadlock %s declared at %v (victim P%d) still stands %v later", cycleText(d.Cycle), d.At, d.Victim, now-d.At)
	}
	return true, ""
}

func contains(l []int, x int) bool {
	for _, y := range l {
		if y == x {
			return true
		}
	}
	return false
}

func (in *instance) Metrics(s *core.Sim) map[string]float64 {
	t := &in.truth
	real, phantoms, edgeSum := 0, 0, 0
	for _, d := range t.decls {
		if d.Real {
			real++
		} else {
			phantoms++
		}
		edgeSum += d.Edges
	}
	aborts, done := 0, 0
	for _, nd := range in.nodes {
		if nd != nil {
			aborts += nd.aborts
			done += nd.done
		}
	}
	det := len(t.decls)
	out := map[string]float64{
		"detections": float64(det), "phantoms": float64(phantoms), "aborts": float64(aborts), "jobs_done": float64(done),
		"wait_edges_max": float64(t.edgesMax),
	}
	if det > 0 {
		out["wait_edges_at_detection"] = float64(edgeSum) / float64(det)
	}
	count := map[string]int{}
	perComp := map[[2]int]int{}
	for id := 0; id < s.NumMsgs(); id++ {
		m := s.Msg(id)
		if m.DupOf >= 0 {
			continue
		}
		count[m.Type]++
		if p, ok := m.Payload.(Probe); ok {
			perComp[[2]int{p.Init, p.Seq}]++
		}
	}
	if in.central {
		out["reports"] = float64(count["REPORT"])
		if det > 0 {
			out["reports_per_detection"] = float64(count["REPORT"]) / float64(det)
		}
	} else {
		out["probes"] = float64(count["PROBE"])
		if det > 0 {
			out["probes_per_detection"] = float64(count["PROBE"]) / float64(det)
		}
		mx := 0
		for _, c := range perComp {
			mx = max(mx, c)
		}
		out["max_probes_per_computation"] = float64(mx)
	}
	return out
}

// Output is the run's declarations and the wait-for graph at the end.
type Output struct {
	Declarations []DeclOutput `json:"declarations"`
	WaitFor      [][3]int     `json:"wait_for"` // [waiter, holder, resource] at the end
	Locks        []LockOutput `json:"locks"`
}

// DeclOutput is one declared deadlock.
type DeclOutput struct {
	AtUS      int64  `json:"at_us"`
	By        string `json:"by"`
	Cycle     []int  `json:"cycle"`
	Victim    int    `json:"victim"`
	Real      bool   `json:"real"`
	Phantom   bool   `json:"phantom"`
	Detail    string `json:"detail"`
	WaitEdges int    `json:"wait_edges"`
	Resolved  bool   `json:"resolved"`
}

// LockOutput is one resource at the end.
type LockOutput struct {
	Res    int   `json:"res"`
	Site   int   `json:"site"`
	Holder int   `json:"holder"`
	Queue  []int `json:"queue"`
}

func (in *instance) Output(s *core.Sim) any {
	out := Output{Declarations: []DeclOutput{}, WaitFor: [][3]int{}, Locks: []LockOutput{}}
	for _, d := range in.truth.decls {
		out.Declarations = append(out.Declarations, DeclOutput{AtUS: d.At.Microseconds(), By: s.Name(d.By), Cycle: d.Cycle,
			Victim: d.Victim, Real: d.Real, Phantom: !d.Real, Detail: d.Detail, WaitEdges: d.Edges, Resolved: d.Resolved})
	}
	for _, e := range in.truth.edges() {
		out.WaitFor = append(out.WaitFor, [3]int{e.W, e.H, e.Res})
	}
	for _, l := range in.locks {
		lo := LockOutput{Res: l.Res, Site: l.Site, Holder: l.Holder, Queue: []int{}}
		for _, w := range l.Queue {
			lo.Queue = append(lo.Queue, w.Proc)
		}
		out.Locks = append(out.Locks, lo)
	}
	return out
}
