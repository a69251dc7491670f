package deadlock

import (
	"fmt"
	"sort"
	"strings"

	"distlab/core"
)

// The centralized detector (the seed's section 5): every site sends its
// local wait-for graph to the controller periodically; the controller joins
// the latest report of each site into a global graph, finds cycles by
// depth-first search and aborts a victim. It trusts the reports, so a
// report that is late (or a site that stopped reporting) can make it join an
// edge that is gone with one that is new: a phantom deadlock.

type jobRef struct{ Proc, Job int }

type controller struct {
	in      *instance
	id      int
	reports map[int]Report  // latest report per site
	aborted map[jobRef]bool // jobs this controller aborted: their edges are ignored from then on
	decided int
}

func newController(in *instance, id int) *controller {
	return &controller{in: in, id: id, reports: map[int]Report{}, aborted: map[jobRef]bool{}}
}

func (c *controller) Start(env core.Env)               {}
func (c *controller) Timer(env core.Env, t core.Timer) {}

func (c *controller) Receive(env core.Env, from int, m core.Message) {
	rep, ok := m.(Report)
	if !ok {
		return
	}
	if old, seen := c.reports[rep.Site]; seen && old.Seq >= rep.Seq {
		return
	}
	c.reports[rep.Site] = rep
	c.detect(env)
}

// cedge is an edge of the controller's global graph.
type cedge struct {
	to  int
	res int
}

// graph joins the latest reports: waiter -> holder for every queued request,
// leaving out the jobs already aborted. It also returns, per process, the
// newest job seen (with its start) and how many resources it holds.
func (c *controller) graph() (adj map[int][]cedge, jobs map[int]Waiter, holds map[int]int) {
	adj, jobs, holds = map[int][]cedge{}, map[int]Waiter{}, map[int]int{}
	seeJob := func(w Waiter) {
		if j, ok := jobs[w.Proc]; !ok || w.Job > j.Job {
			jobs[w.Proc] = w
		}
	}
	for _, site := range core.SortedKeys(c.reports) {
		for _, l := range c.reports[site].Locks {
			h := Waiter{Proc: l.Holder, Job: l.HolderJob, TS: l.HolderTS}
			if c.aborted[jobRef{h.Proc, h.Job}] {
				continue
			}
			seeJob(h)
			holds[h.Proc]++
			for _, w := range l.Waiters {
				if c.aborted[jobRef{w.Proc, w.Job}] {
					continue
				}
				seeJob(w)
				adj[w.Proc] = append(adj[w.Proc], cedge{to: h.Proc, res: l.Res})
			}
		}
	}
	for p := range adj {
		sort.Slice(adj[p], func(i, j int) bool {
			a, b := adj[p][i], adj[p][j]
			return a.to < b.to || a.to == b.to && a.res < b.res
		})
	}
	return
}

// findCycle is a depth-first search in id order; it returns the first cycle
// found, rotated to start at its smallest process.
func findCycle(adj map[int][]cedge) []int {
	const white, grey, black = 0, 1, 2
	colour := map[int]int{}
	var stack []int
	var found []int
	var visit func(p int) bool
	visit = func(p int) bool {
		colour[p] = grey
		stack = append(stack, p)
		for _, e := range adj[p] {
			switch colour[e.to] {
			case grey:
				for i, q := range stack {
					if q == e.to {
						found = append([]int(nil), stack[i:]...)
						return true
					}
				}
			case white:
				if visit(e.to) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		colour[p] = black
		return false
	}
	for _, p := range core.SortedKeys(adj) {
		if colour[p] == white && visit(p) {
			break
		}
	}
	if found == nil {
		return nil
	}
	lo := 0
	for i, p := range found {
		if p < found[lo] {
			lo = i
		}
	}
	return append(found[lo:], found[:lo]...)
}

// detect declares every cycle of the controller's graph, one victim each.
func (c *controller) detect(env core.Env) {
	for {
		adj, jobs, holds := c.graph()
		cycle := findCycle(adj)
		if cycle == nil {
			return
		}
		victim, why := c.chooseVictim(cycle, jobs, holds)
		vj := jobs[victim]
		c.aborted[jobRef{victim, vj.Job}] = true
		c.decided++
		c.in.truth.declare(env.Now(), c.id, cycle, victim)
		env.Decide("deadlock", fmt.Sprintf("deadlock: cycle %s in the reported wait-for graph; victim P%d (%s)", cycleText(cycle), victim, why))
		env.Send(victim, Abort{Cycle: cycle, Victim: victim, Job: vj.Job, By: c.id, Why: why})
	}
}

// chooseVictim picks the youngest job on the cycle (the latest start), or
// with params.victim "cheapest" the process holding the fewest resources;
// ties go to the youngest, then to the largest id.
func (c *controller) chooseVictim(cycle []int, jobs map[int]Waiter, holds map[int]int) (int, string) {
	better := func(p, q int) bool { // is p a better victim than q?
		if c.in.victimBy == "cheapest" && holds[p] != holds[q] {
			return holds[p] < holds[q]
		}
		if jobs[p].TS != jobs[q].TS {
			return jobs[p].TS > jobs[q].TS
		}
		return p > q
	}
	victim := cycle[0]
	for _, p := range cycle[1:] {
		if better(p, victim) {
			victim = p
		}
	}
	if c.in.victimBy == "cheapest" {
		return victim, fmt.Sprintf("cheapest: holds %d resource(s); job started at %v", holds[victim], jobs[victim].TS)
	}
	return victim, fmt.Sprintf("youngest: its job started at %v", jobs[victim].TS)
}

// ControllerState is the controller's view, for the inspector.
type ControllerState struct {
	Reports  map[string]ReportState `json:"reports"` // by site "P1"
	Edges    []string               `json:"edges"`   // the joined graph, "P0→P1 (R1)"
	Aborted  []string               `json:"aborted"` // jobs aborted, "P2 job 1"
	Declared int                    `json:"declared"`
}

// ReportState is one site's latest report.
type ReportState struct {
	Seq   int      `json:"seq"`
	Edges []string `json:"edges"`
}

func (c *controller) State() any {
	st := ControllerState{Reports: map[string]ReportState{}, Edges: []string{}, Aborted: []string{}, Declared: c.decided}
	for _, site := range core.SortedKeys(c.reports) {
		rep := c.reports[site]
		rs := ReportState{Seq: rep.Seq, Edges: []string{}}
		for _, l := range rep.Locks {
			for _, w := range l.Waiters {
				rs.Edges = append(rs.Edges, fmt.Sprintf("P%d→P%d (R%d)", w.Proc, l.Holder, l.Res))
			}
		}
		st.Reports[fmt.Sprintf("P%d", site)] = rs
	}
	adj, _, _ := c.graph()
	for _, p := range core.SortedKeys(adj) {
		for _, e := range adj[p] {
			st.Edges = append(st.Edges, fmt.Sprintf("P%d→P%d (R%d)", p, e.to, e.res))
		}
	}
	refs := make([]jobRef, 0, len(c.aborted))
	for r := range c.aborted {
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool {
		return refs[i].Proc < refs[j].Proc || refs[i].Proc == refs[j].Proc && refs[i].Job < refs[j].Job
	})
	for _, r := range refs {
		st.Aborted = append(st.Aborted, fmt.Sprintf("P%d job %d", r.Proc, r.Job))
	}
	return st
}

func (c *controller) String() string {
	st := c.State().(ControllerState)
	s := fmt.Sprintf("%d report(s) held; graph: %s", len(c.reports), strings.Join(st.Edges, ", "))
	if len(st.Edges) == 0 {
		s = fmt.Sprintf("%d report(s) held; graph: no waits", len(c.reports))
	}
	return s + fmt.Sprintf("; %d deadlock(s) declared", c.decided)
}
