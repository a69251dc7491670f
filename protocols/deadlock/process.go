package deadlock

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"distlab/core"
)

// pend is a request not yet granted: Holder is -1 until QUEUED says whom the
// process waits for.
type pend struct {
	Holder int
	G      int
}

// node is one process: it runs jobs (the process role) and keeps the lock
// table of the resources that live at it (the site role). In deadlock-cmh it
// also takes part in edge chasing.
type node struct {
	in      *instance
	id      int
	started bool

	// process role
	job       int
	jobTS     time.Duration
	active    bool
	held      map[int]int // resource -> grant number
	pending   map[int]*pend
	lastGrant map[int]int // resource -> highest grant number received
	want      []int       // random workload: resources still to request, in order
	episode   int         // blocking episodes so far (also bumped by an abort)
	working   bool
	workTimer core.TimerID
	nextWait  int
	done      int
	aborts    int

	// Chandy–Misra–Haas
	seq        int                   // this process's detection computations so far
	forwarded  map[int]int           // initiator -> highest computation forwarded
	probeArmed bool                  // an initiation is scheduled
	pledges    map[int]time.Duration // victim -> until when this process will not be a victim elsewhere

	// central: the site's report sequence
	reportSeq int
}

func newNode(in *instance, id int) *node {
	return &node{in: in, id: id, held: map[int]int{}, pending: map[int]*pend{}, lastGrant: map[int]int{}, forwarded: map[int]int{}, pledges: map[int]time.Duration{}}
}

func (n *node) blocked() bool { return len(n.pending) > 0 }

func (n *node) Start(env core.Env) {
	if n.started {
		env.Note("recovered: the job and the lock table are on stable storage; messages sent here while down were lost")
		n.resume(env)
		return
	}
	n.started = true
	if n.in.scripted {
		// Pi starts holding Ri for its first job and works.
		n.job, n.jobTS, n.active = 1, 0, true
		n.held[n.id], n.lastGrant[n.id] = 1, 1
		n.startWork(env)
		n.armWaits(env)
	} else {
		n.armThink(env)
	}
	n.armReport(env, true)
}

// resume re-arms the timers a crash killed.
func (n *node) resume(env core.Env) {
	switch {
	case n.working:
		n.startWork(env)
	case n.active && n.blocked():
		n.armProbe(env)
	case !n.active && !n.in.scripted:
		n.armThink(env)
	}
	if n.in.scripted {
		for n.nextWait < len(n.in.waits[n.id]) && n.in.waits[n.id][n.nextWait].At < env.Now() {
			n.nextWait++
		}
		n.armWaits(env)
	}
	n.armReport(env, false)
}

func (n *node) armWaits(env core.Env) {
	if l := n.in.waits[n.id]; n.nextWait < len(l) {
		env.SetTimer(l[n.nextWait].At-env.Now(), "wait", nil)
	}
}

func (n *node) armThink(env core.Env) {
	t := int64(n.in.think) / 1000
	env.SetTimer(time.Duration(t/2+env.Rand().Int64N(t+1))*time.Microsecond, "think", nil)
}

func (n *node) armReport(env core.Env, first bool) {
	if !n.in.central {
		return
	}
	d := n.in.every
	if first { // stagger the sites over the period
		d = n.in.every * time.Duration(n.id+1) / time.Duration(n.in.n)
	}
	env.SetTimer(d, "report", nil)
}

func (n *node) Timer(env core.Env, t core.Timer) {
	switch t.Name {
	case "wait":
		l := n.in.waits[n.id]
		for n.nextWait < len(l) && l[n.nextWait].At <= env.Now() {
			w := l[n.nextWait]
			n.nextWait++
			n.scriptedWait(env, w.Holder)
		}
		n.armWaits(env)
	case "think":
		n.randomJob(env)
	case "work":
		if n.working {
			n.finish(env)
		}
	case "probe":
		n.probeArmed = false
		n.initiate(env)
	case "retry": // a deferred resolution: look for the cycle again
		n.initiate(env)
	case "report":
		n.report(env)
		n.armReport(env, false)
	}
}

func (n *node) Receive(env core.Env, from int, m core.Message) {
	switch m := m.(type) {
	case Request:
		n.onRequest(env, from, m)
	case Release:
		n.onRelease(env, from, m)
	case Grant:
		n.onGrant(env, m)
	case Queued:
		n.onQueued(env, m)
	case Probe:
		n.onProbe(env, m)
	case Abort:
		if n.in.central {
			n.onCentralAbort(env, m)
		} else {
			n.onAbort(env, m)
		}
	}
}

// ---- the process role: jobs ----

func (n *node) newJob(env core.Env) {
	n.job++
	n.jobTS = env.Now()
	n.active = true
}

// scriptedWait makes this process request the holder's resource.
func (n *node) scriptedWait(env core.Env, holder int) {
	r := holder // in the scripted mode Pi's resource is Ri
	if _, ok := n.held[r]; ok {
		env.Note(fmt.Sprintf("already holds R%d: the wait for P%d is moot", r, holder))
		return
	}
	if n.pending[r] != nil {
		env.Note(fmt.Sprintf("already waits for R%d", r))
		return
	}
	if !n.active {
		n.newJob(env)
	}
	n.request(env, r)
}

// randomJob starts a job of the random workload: params.locks distinct
// resources in a random order, acquired one after the other.
func (n *node) randomJob(env core.Env) {
	if n.active {
		return
	}
	n.newJob(env)
	perm := env.Rand().Perm(n.in.nres)
	n.want = append([]int(nil), perm[:n.in.locksJob]...)
	n.requestNext(env)
}

func (n *node) requestNext(env core.Env) {
	r := n.want[0]
	n.want = n.want[1:]
	n.request(env, r)
}

// request asks r's site for r; the process is blocked until it is granted.
func (n *node) request(env core.Env, r int) {
	was := n.blocked()
	n.pending[r] = &pend{Holder: -1}
	if n.working {
		n.working = false
		env.CancelTimer(n.workTimer)
	}
	if !was {
		n.episode++
	}
	env.Phase("blocked", fmt.Sprintf("job %d: requests R%d from site P%d and waits", n.job, r, n.in.site(r)))
	n.toSite(env, r, Request{Res: r, Job: n.job, TS: n.jobTS})
}

func (n *node) onGrant(env core.Env, m Grant) {
	if !n.active || m.Job != n.job || n.pending[m.Res] == nil {
		env.Note(fmt.Sprintf("GRANT(R%d) for a job no longer running: ignored (its RELEASE returns it)", m.Res))
		return
	}
	delete(n.pending, m.Res)
	n.held[m.Res] = m.G
	n.lastGrant[m.Res] = max(n.lastGrant[m.Res], m.G)
	if n.blocked() {
		return
	}
	if len(n.want) > 0 {
		n.requestNext(env)
		return
	}
	n.startWork(env)
}

func (n *node) onQueued(env core.Env, m Queued) {
	p := n.pending[m.Res]
	if !n.active || m.Job != n.job || p == nil {
		return // about a request already withdrawn
	}
	p.Holder, p.G = m.Holder, m.G
	n.armProbe(env)
}

func (n *node) startWork(env core.Env) {
	n.working = true
	env.Phase("working", fmt.Sprintf("job %d: holds %s; works for %v", n.job, resList(core.SortedKeys(n.held)), n.in.hold))
	n.workTimer = env.SetTimer(n.in.hold, "work", nil)
}

// finish ends the job: everything held is released.
func (n *node) finish(env core.Env) {
	held := core.SortedKeys(n.held)
	n.working, n.active = false, false
	n.done++
	env.Phase("done", fmt.Sprintf("job %d done: releases %s", n.job, resList(held)))
	n.releaseAll(env, held)
	if !n.in.scripted {
		n.armThink(env)
	}
}

// abort ends the job as a deadlock victim: what it holds is released and
// what it asked for is withdrawn.
func (n *node) abort(env core.Env, why string) {
	held, asked := core.SortedKeys(n.held), core.SortedKeys(n.pending)
	if n.working {
		env.CancelTimer(n.workTimer)
	}
	n.working, n.active = false, false
	n.pending = map[int]*pend{}
	n.want = nil
	n.episode++
	n.aborts++
	text := fmt.Sprintf("job %d aborted (%s): releases %s", n.job, why, resList(held))
	if len(asked) > 0 {
		text += ", withdraws " + resList(asked)
	}
	env.Phase("abort", text)
	n.releaseAll(env, append(held, asked...))
	if !n.in.scripted {
		n.armThink(env)
	}
}

func (n *node) releaseAll(env core.Env, res []int) {
	job := n.job
	n.held = map[int]int{}
	sort.Ints(res)
	for _, r := range res {
		n.toSite(env, r, Release{Res: r, Job: job})
	}
}

// toSite sends m to resource r's site (a local call when it is this node).
func (n *node) toSite(env core.Env, r int, m core.Message) {
	if s := n.in.site(r); s != n.id {
		env.Send(s, m)
		return
	}
	n.Receive(env, n.id, m)
}

// toProc sends m to process p (a local call when it is this node).
func (n *node) toProc(env core.Env, p int, m core.Message) {
	if p != n.id {
		env.Send(p, m)
		return
	}
	n.Receive(env, n.id, m)
}

// ---- the site role: the lock table ----

func (n *node) onRequest(env core.Env, from int, m Request) {
	l := n.in.locks[m.Res]
	switch {
	case l.Holder < 0:
		n.grant(env, l, Waiter{Proc: from, Job: m.Job, TS: m.TS})
	case l.Holder == from && l.HolderJob == m.Job:
		env.Note(fmt.Sprintf("P%d already holds R%d", from, m.Res))
	default:
		l.Queue = append(l.Queue, Waiter{Proc: from, Job: m.Job, TS: m.TS})
		n.in.truth.changed()
		n.toProc(env, from, Queued{Res: m.Res, Holder: l.Holder, G: l.G, Job: m.Job})
	}
}

func (n *node) onRelease(env core.Env, from int, m Release) {
	l := n.in.locks[m.Res]
	if l.Holder == from && l.HolderJob == m.Job {
		l.Holder = -1
		n.in.truth.changed()
		if len(l.Queue) > 0 {
			head := l.Queue[0]
			l.Queue = l.Queue[1:]
			n.grant(env, l, head)
			// The others now wait for the new holder.
			for _, w := range l.Queue {
				n.toProc(env, w.Proc, Queued{Res: l.Res, Holder: l.Holder, G: l.G, Job: w.Job})
			}
		}
		return
	}
	for i, w := range l.Queue {
		if w.Proc == from && w.Job == m.Job {
			l.Queue = append(l.Queue[:i:i], l.Queue[i+1:]...)
			n.in.truth.changed()
			return
		}
	}
}

func (n *node) grant(env core.Env, l *lock, w Waiter) {
	l.G++
	l.Holder, l.HolderJob, l.HolderTS = w.Proc, w.Job, w.TS
	n.in.truth.changed()
	n.toProc(env, w.Proc, Grant{Res: l.Res, G: l.G, Job: w.Job})
}

// report sends this site's lock table to the central detector.
func (n *node) report(env core.Env) {
	rep := Report{Site: n.id, Seq: n.reportSeq}
	n.reportSeq++
	for r := n.id; r < n.in.nres; r += n.in.n {
		l := n.in.locks[r]
		if l.Holder < 0 {
			continue
		}
		rep.Locks = append(rep.Locks, LockReport{Res: r, Holder: l.Holder, HolderJob: l.HolderJob, HolderTS: l.HolderTS,
			Waiters: append([]Waiter(nil), l.Queue...)})
	}
	env.Send(n.in.ctrl, rep)
}

func (n *node) onCentralAbort(env core.Env, m Abort) {
	if !n.active || m.Job != n.job {
		env.Note(fmt.Sprintf("ABORT for job %d, which is no longer running: ignored", m.Job))
		return
	}
	n.abort(env, "victim chosen by "+env.Name(m.By))
}

// ---- the inspector ----

// WaitState is one pending request.
type WaitState struct {
	Res    int `json:"res"`
	Holder int `json:"holder"` // -1 until QUEUED says
}

// LockState is one resource of the site's lock table.
type LockState struct {
	Res    int   `json:"res"`
	Holder int   `json:"holder"` // -1: free
	Queue  []int `json:"queue"`
}

// NodeState is a process's state for the inspector.
type NodeState struct {
	Job      int         `json:"job"`
	Active   bool        `json:"active"`
	Blocked  bool        `json:"blocked"`
	Working  bool        `json:"working"`
	Episode  int         `json:"episode"`
	Holds    []int       `json:"holds"`
	WaitsFor []WaitState `json:"waits_for"`
	Site     []LockState `json:"site"`
	Done     int         `json:"jobs_done"`
	Aborts   int         `json:"aborts"`
}

func (n *node) State() any {
	st := NodeState{Job: n.job, Active: n.active, Blocked: n.blocked(), Working: n.working, Episode: n.episode,
		Holds: core.SortedKeys(n.held), WaitsFor: []WaitState{}, Site: []LockState{}, Done: n.done, Aborts: n.aborts}
	for _, r := range core.SortedKeys(n.pending) {
		st.WaitsFor = append(st.WaitsFor, WaitState{Res: r, Holder: n.pending[r].Holder})
	}
	for r := n.id; r < n.in.nres; r += n.in.n {
		l := n.in.locks[r]
		ls := LockState{Res: r, Holder: l.Holder, Queue: []int{}}
		for _, w := range l.Queue {
			ls.Queue = append(ls.Queue, w.Proc)
		}
		st.Site = append(st.Site, ls)
	}
	return st
}

func (n *node) String() string {
	var b strings.Builder
	switch {
	case !n.active:
		fmt.Fprintf(&b, "idle after %d job(s)", n.job)
	case n.blocked():
		fmt.Fprintf(&b, "job %d blocked: holds %s; waits for", n.job, resList(core.SortedKeys(n.held)))
		for _, r := range core.SortedKeys(n.pending) {
			if h := n.pending[r].Holder; h >= 0 {
				fmt.Fprintf(&b, " R%d (P%d)", r, h)
			} else {
				fmt.Fprintf(&b, " R%d (?)", r)
			}
		}
	default:
		fmt.Fprintf(&b, "job %d working: holds %s", n.job, resList(core.SortedKeys(n.held)))
	}
	for r := n.id; r < n.in.nres; r += n.in.n {
		l := n.in.locks[r]
		if l.Holder < 0 {
			fmt.Fprintf(&b, "; R%d free", r)
			continue
		}
		fmt.Fprintf(&b, "; R%d held by P%d", r, l.Holder)
		if len(l.Queue) > 0 {
			var q []string
			for _, w := range l.Queue {
				q = append(q, fmt.Sprintf("P%d", w.Proc))
			}
			fmt.Fprintf(&b, ", queue %s", strings.Join(q, " "))
		}
	}
	return b.String()
}

func resList(rs []int) string {
	if len(rs) == 0 {
		return "nothing"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("R%d", r)
	}
	return strings.Join(parts, ", ")
}
