package deadlock

import (
	"fmt"
	"strings"
	"time"

	"distlab/core"
)

// Chandy–Misra–Haas edge chasing for the AND model (the seed's section 5).
//
// A blocked process Pi initiates a detection computation by sending
// PROBE(i, i, k) to every Pk it waits for. A process Pk receiving PROBE(i,
// j, k) while blocked forwards it once per initiator (per computation) as
// PROBE(i, k, m) to every Pm it waits for; an active process drops it. When
// PROBE(i, j, i) reaches Pi, still blocked as it was when it initiated,
// there is a cycle, and the probe's path names it. The victim is the
// process with the largest id on the cycle.
//
// CMH's guarantee ("the cycle existed when the probe came back") holds when
// nobody aborts. With resolution, two details keep every declaration real:
//   - each edge is checked by its receiver: Pk forwards only if it still
//     holds the resource Pj waits for, under the same grant (the probe
//     carries the resource and the grant number from QUEUED), so a probe
//     never follows an edge that has gone;
//   - the ABORT order is relayed round the cycle, from the victim's
//     successor to the victim. Each member checks that it is still blocked
//     in the episode it was in when the probe passed (else the cycle has
//     broken and the order is dropped) and pledges, for a short while, not to
//     be aborted as the victim of another cycle. The victim declares the
//     deadlock only if it has not pledged to a larger victim itself. So when
//     it declares, every member has been checked and none can have aborted
//     since: the cycle stands. Without this, two overlapping cycles (AND
//     model: a process waiting for several) resolved at once could both be
//     declared after the first resolution had broken the second, and two
//     initiators of one cycle could both declare it.

// pledgeTTL is how long a member of a cycle under resolution refuses to be
// a victim elsewhere: long enough for the ABORT to reach the victim.
func (in *instance) pledgeTTL() time.Duration {
	return time.Duration(in.n)*in.lmax + time.Millisecond
}

// armProbe schedules an initiation after params.probe_delay: a process
// initiates whenever it learns a wait-for edge (several edges learned within
// the delay share one computation).
func (n *node) armProbe(env core.Env) {
	if n.in.central || n.probeArmed {
		return
	}
	n.probeArmed = true
	env.SetTimer(n.in.probeDly, "probe", nil)
}

// initiate starts a detection computation: PROBE(i, i, k) to every holder
// this process waits for.
func (n *node) initiate(env core.Env) {
	if !n.blocked() {
		return
	}
	var targets []string
	for _, r := range core.SortedKeys(n.pending) {
		if h := n.pending[r].Holder; h >= 0 {
			targets = append(targets, fmt.Sprintf("P%d (R%d)", h, r))
		}
	}
	if len(targets) == 0 {
		return
	}
	n.seq++
	n.forwarded[n.id] = n.seq
	env.Phase("probe", fmt.Sprintf("blocked on %s: initiates detection #%d", strings.Join(targets, ", "), n.seq))
	path := []Hop{{Node: n.id, Episode: n.episode}}
	for _, r := range core.SortedKeys(n.pending) {
		if p := n.pending[r]; p.Holder >= 0 {
			env.Send(p.Holder, Probe{Init: n.id, From: n.id, To: p.Holder, Seq: n.seq, Res: r, G: p.G, Path: path})
		}
	}
}

func (n *node) onProbe(env core.Env, m Probe) {
	// Is the edge From -> me still there? I must hold the resource under
	// the grant QUEUED named, or have that grant on its way to me.
	grantedInFlight := false
	if g, ok := n.held[m.Res]; ok && g == m.G {
		// held as the waiter was told
	} else if p := n.pending[m.Res]; p != nil && m.G > n.lastGrant[m.Res] {
		grantedInFlight = true // the GRANT is still in flight: I no longer wait for it
	} else {
		env.Note(fmt.Sprintf("%s dropped: I no longer hold R%d (a stale edge)", m, m.Res))
		return
	}
	waits := len(n.pending)
	if grantedInFlight {
		waits--
	}
	if waits == 0 {
		env.Note(fmt.Sprintf("%s dropped: P%d is not blocked, so no cycle runs through it", m, n.id))
		return
	}
	if m.Init == n.id {
		n.probeReturned(env, m)
		return
	}
	if n.forwarded[m.Init] >= m.Seq {
		return // forwarded once for this initiator already
	}
	n.forwarded[m.Init] = m.Seq
	path := append(append([]Hop(nil), m.Path...), Hop{Node: n.id, Episode: n.episode})
	for _, r := range core.SortedKeys(n.pending) {
		p := n.pending[r]
		if p.Holder < 0 || grantedInFlight && r == m.Res {
			continue
		}
		env.Send(p.Holder, Probe{Init: m.Init, From: n.id, To: p.Holder, Seq: m.Seq, Res: r, G: p.G, Path: path})
	}
}

// probeReturned: PROBE(i, j, i) is back at Pi. If Pi has stayed blocked
// since it initiated, the path is a cycle; the victim is its largest process.
func (n *node) probeReturned(env core.Env, m Probe) {
	if m.Path[0].Episode != n.episode {
		env.Note(fmt.Sprintf("%s is from an earlier detection (I have been unblocked since): dropped", m))
		return
	}
	a := Abort{By: n.id, Victim: -1}
	for _, h := range m.Path {
		a.Cycle = append(a.Cycle, h.Node)
		a.Episodes = append(a.Episodes, h.Episode)
		a.Victim = max(a.Victim, h.Node)
	}
	env.Phase("detect", fmt.Sprintf("%s came back: cycle %s; victim P%d (the largest id); ABORT goes round the cycle to it",
		m, cycleText(a.Cycle), a.Victim))
	n.relay(env, a, indexOf(a.Cycle, a.Victim))
}

// relay passes the ABORT to the member after position i (starting from the
// victim's successor, the order visits every member and ends at the victim).
func (n *node) relay(env core.Env, a Abort, i int) {
	next := a.Cycle[(i+1)%len(a.Cycle)]
	if next == n.id {
		n.onAbort(env, a)
		return
	}
	env.Send(next, a)
}

// onAbort: a member checks that it is still blocked as when the probe
// passed, pledges not to be a victim elsewhere for a while and passes the
// order on; the victim declares the deadlock and aborts.
func (n *node) onAbort(env core.Env, a Abort) {
	i := indexOf(a.Cycle, n.id)
	if i < 0 {
		return
	}
	if !n.blocked() || n.episode != a.Episodes[i] {
		env.Note(fmt.Sprintf("ABORT(P%d) for cycle %s dropped: P%d is no longer blocked as it was when the probe passed, so the cycle is broken",
			a.Victim, cycleText(a.Cycle), n.id))
		return
	}
	now := env.Now()
	if n.id != a.Victim {
		n.pledges[a.Victim] = max(n.pledges[a.Victim], now+n.in.pledgeTTL())
		n.relay(env, a, i)
		return
	}
	if by := n.pledgedTo(now); by >= 0 {
		env.Note(fmt.Sprintf("ABORT for cycle %s deferred: the resolution of a cycle whose victim is P%d is passing through P%d; will probe again",
			cycleText(a.Cycle), by, n.id))
		env.SetTimer(n.pledges[by]-now, "retry", nil)
		return
	}
	n.in.truth.declare(now, n.id, a.Cycle, n.id)
	env.Decide("deadlock", fmt.Sprintf("deadlock: cycle %s; victim P%d (the largest id in the cycle); found by P%d's probe",
		cycleText(a.Cycle), n.id, a.By))
	n.abort(env, "deadlock victim")
}

// pledgedTo returns the victim this process has pledged to (the largest
// whose pledge has not expired), or -1.
func (n *node) pledgedTo(now time.Duration) int {
	by := -1
	for _, v := range core.SortedKeys(n.pledges) {
		if n.pledges[v] > now {
			by = v
		} else {
			delete(n.pledges, v)
		}
	}
	return by
}

func indexOf(l []int, x int) int {
	for i, y := range l {
		if y == x {
			return i
		}
	}
	return -1
}
