package pbft

import (
	"fmt"
	"time"

	"distlab/core"
)

// vd names a (view, digest) pair: prepares and commits only count toward
// the pre-prepare they match.
type vd struct {
	V int
	D string
}

// entry is the log of one sequence number.
type entry struct {
	n           int
	view        int
	digest      string
	req         Request
	null        bool
	prePrepared bool
	prepared    bool
	committed   bool
	executed    bool
	prepares    map[vd]map[int]bool
	commits     map[vd]map[int]bool
	cert        *Certificate // the latest prepared certificate, for VIEW-CHANGE
}

type replica struct {
	in *instance
	id int

	view     int
	changing bool // between VIEW-CHANGE and NEW-VIEW for view
	seq      int  // primary: the last sequence number assigned

	log      map[int]*entry
	h        int          // low water mark: the stable checkpoint
	proof    []Checkpoint // 2f+1 CHECKPOINT messages for h
	lastExec int
	state    *Snapshot
	stableSt *Snapshot

	checkpoints map[int]map[string]map[int]Checkpoint // n -> digest -> replica -> message
	viewChanges map[int]map[int]ViewChange            // view -> replica -> message
	newViews    map[int]NewView                       // views this replica has entered, as primary

	waiting     map[string]Request // requests received and not executed yet (the view-change timer runs for them)
	queue       []Request          // primary: requests waiting for the log window
	assigned    map[string]int     // primary: digest -> sequence number in this view
	timer       core.TimerID
	timerOn     bool
	timeout     time.Duration
	echoed      map[string]bool // equivocate: answers already given
	holdOn      bool            // equivocate: waiting for a second request
	holdExpired bool
}

func newReplica(in *instance, id int) *replica {
	return &replica{in: in, id: id, log: map[int]*entry{}, state: &Snapshot{Replies: map[int]Reply{}},
		stableSt:    &Snapshot{Replies: map[int]Reply{}},
		checkpoints: map[int]map[string]map[int]Checkpoint{}, viewChanges: map[int]map[int]ViewChange{},
		newViews: map[int]NewView{}, waiting: map[string]Request{}, assigned: map[string]int{},
		timeout: in.viewTimeout, echoed: map[string]bool{}}
}

// stable is what a replica keeps on stable storage: enough to come back
// after a crash without executing anything twice.
type stable struct {
	View, H, LastExec int
	State, Stable     *Snapshot
	Proof             []Checkpoint
}

func (r *replica) persist(env core.Env) {
	env.Store("replica", stable{View: r.view, H: r.h, LastExec: r.lastExec, State: r.state.clone(), Stable: r.stableSt.clone(),
		Proof: append([]Checkpoint(nil), r.proof...)})
}

func (r *replica) Start(env core.Env) {
	if v, ok := env.Load("replica"); ok {
		st := v.(stable)
		r.view, r.h, r.lastExec, r.seq = st.View, st.H, st.LastExec, st.LastExec
		r.state, r.stableSt, r.proof = st.State.clone(), st.Stable.clone(), append([]Checkpoint(nil), st.Proof...)
		env.Note(fmt.Sprintf("R%d recovers in view %d having executed up to %d", r.id, r.view, r.lastExec))
	}
}

func (r *replica) f() int             { return r.in.f }
func (r *replica) isPrimary() bool    { return r.in.primary(r.view) == r.id }
func (r *replica) window() (int, int) { return r.h, r.h + 2*r.in.k }

func (r *replica) get(n int) *entry {
	e := r.log[n]
	if e == nil {
		e = &entry{n: n, prepares: map[vd]map[int]bool{}, commits: map[vd]map[int]bool{}}
		r.log[n] = e
	}
	return e
}

func add(m map[vd]map[int]bool, k vd, i int) {
	if m[k] == nil {
		m[k] = map[int]bool{}
	}
	m[k][i] = true
}

// ---- sending, and what traitors do to it ----

type delayed struct {
	to int
	m  core.Message
}

// send is where a traitor's strategy changes what goes out.
func (r *replica) send(env core.Env, to int, m core.Message) {
	switch env.Strategy() {
	case "silent":
		return
	case "wrong-digest":
		m = forgeDigest(m)
	case "lie":
		if rep, ok := m.(Reply); ok {
			var k int
			fmt.Sscanf(rep.R, "total=%d", &k)
			rep.R = fmt.Sprintf("total=%d", k+1000)
			m = rep
		}
	case "slow":
		env.SetTimer(r.in.slow, "slow send", delayed{to, m})
		return
	}
	env.Send(to, m)
}

// multicast sends m to every other replica: n−1 messages (a replica's own
// copy is local).
func (r *replica) multicast(env core.Env, m core.Message) {
	for j := 0; j < r.in.nR; j++ {
		if j != r.id {
			r.send(env, j, m)
		}
	}
}

func wrong(d string) string { return Request{Op: "forged " + d}.Digest() }

func forgeDigest(m core.Message) core.Message {
	switch x := m.(type) {
	case PrePrepare:
		x.D = wrong(x.D)
		return x
	case Prepare:
		x.D = wrong(x.D)
		return x
	case Commit:
		x.D = wrong(x.D)
		return x
	case Checkpoint:
		x.D = wrong(x.D)
		return x
	}
	return m
}

// ---- receiving: one handler per message type ----

func (r *replica) Receive(env core.Env, from int, m core.Message) {
	switch m := m.(type) {
	case Request:
		r.onRequest(env, from, m)
	case PrePrepare:
		r.onPrePrepare(env, from, m)
	case Prepare:
		r.onPrepare(env, from, m)
	case Commit:
		r.onCommit(env, from, m)
	case Checkpoint:
		r.onCheckpoint(env, from, m)
	case ViewChange:
		r.onViewChange(env, from, m)
	case NewView:
		r.onNewView(env, from, m)
	}
}

func (r *replica) Timer(env core.Env, t core.Timer) {
	switch t.Name {
	case "slow send":
		d := t.Data.(delayed)
		env.Send(d.to, d.m)
	case "view change":
		if t.ID == r.timer && r.timerOn {
			r.timerOn = false
			r.startViewChange(env, r.view+1)
		}
	case "new-view timeout":
		r.onNewViewTimeout(env, t.Data.(int))
	case "hold":
		r.holdOn, r.holdExpired = false, true
		r.assign(env)
	}
}

// onRequest: the primary assigns a sequence number; a backup relays the
// request to the primary and starts its view-change timer; a request
// already executed gets its reply again.
func (r *replica) onRequest(env core.Env, from int, m Request) {
	if !r.in.issued[m.Digest()] {
		env.Note(fmt.Sprintf("R%d ignores %s: not signed by its client", r.id, m))
		return
	}
	if last, ok := r.state.Replies[m.Client]; ok && last.T >= m.T {
		if last.T == m.T {
			rep := last
			rep.V, rep.I = r.view, r.id
			r.send(env, m.Client, rep)
		}
		return
	}
	d := m.Digest()
	fromClient := from >= r.in.nR
	_, seen := r.waiting[d]
	if fromClient || r.isPrimary() {
		if !seen {
			r.waiting[d] = m
		}
		r.startTimer(env)
	}
	if r.changing {
		return
	}
	// Clients send a request to the primary first and to everyone only when
	// they time out: a request from a client that a backup receives, or that
	// the primary already had, is a retransmission.
	if fromClient && (seen || !r.isPrimary()) {
		r.retransmit(env)
	}
	if r.isPrimary() {
		if _, ok := r.assigned[d]; ok {
			return
		}
		for _, q := range r.queue {
			if q.Digest() == d {
				return
			}
		}
		r.queue = append(r.queue, m)
		r.assign(env)
		return
	}
	if fromClient {
		r.send(env, r.in.primary(r.view), m)
	}
}

// retransmit answers a client's retransmission (a sign that something was
// lost): the replica sends again what it said about every sequence number
// above its stable checkpoint in this view (PRE-PREPARE, PREPARE, COMMIT)
// and its CHECKPOINT messages that are not stable yet, so a replica that
// missed some can catch up. The paper leaves retransmission to the
// implementation; this is the simplest that keeps PBFT live under loss.
func (r *replica) retransmit(env core.Env) {
	for _, n := range core.SortedKeys(r.log) {
		e := r.log[n]
		if n <= r.h || !e.prePrepared || e.view != r.view {
			continue
		}
		if r.isPrimary() {
			r.multicast(env, PrePrepare{V: e.view, N: n, D: e.digest, M: e.req, Null: e.null})
		} else {
			r.multicast(env, Prepare{V: e.view, N: n, D: e.digest, I: r.id})
		}
		if e.prepared {
			r.multicast(env, Commit{V: e.view, N: n, D: e.digest, I: r.id})
		}
	}
	for _, n := range core.SortedKeys(r.checkpoints) {
		for _, d := range core.SortedKeys(r.checkpoints[n]) {
			if c, ok := r.checkpoints[n][d][r.id]; ok && n > r.h {
				r.multicast(env, c)
			}
		}
	}
}

// assign is the primary's step: give the queued requests the next sequence
// numbers within the log window and multicast PRE-PREPARE(v, n, d).
func (r *replica) assign(env core.Env) {
	if !r.isPrimary() || r.changing {
		return
	}
	_, hi := r.window()
	for len(r.queue) > 0 && r.seq < hi {
		if env.Strategy() == "equivocate" {
			if !r.equivocate(env, hi) {
				return
			}
			continue
		}
		m := r.queue[0]
		r.queue = r.queue[1:]
		r.seq++
		pp := PrePrepare{V: r.view, N: r.seq, D: m.Digest(), M: m}
		r.assigned[pp.D] = pp.N
		r.acceptPrePrepare(env, pp)
		r.multicast(env, pp)
	}
}

// equivocate is the traitor primary: odd-numbered replicas get one order of
// two pending requests, even-numbered ones the other (with a single request,
// the even ones get a forged variant). It waits a little for a second
// request. It reports whether it assigned anything.
func (r *replica) equivocate(env core.Env, hi int) bool {
	if len(r.queue) < 2 && !r.holdExpired {
		if !r.holdOn {
			r.holdOn = true
			env.SetTimer(equivocateHold, "hold", nil)
		}
		return false
	}
	r.holdExpired = false
	a := r.queue[0]
	b := Request{Op: a.Op + " (forged)", T: a.T, Client: a.Client, Name: a.Name}
	k := 1
	if len(r.queue) >= 2 && r.seq+2 <= hi {
		b, k = r.queue[1], 2
	}
	r.queue = r.queue[k:]
	odd := []Request{a, b}
	even := []Request{b, a}
	for x := 0; x < k; x++ {
		r.seq++
		for j := 0; j < r.in.nR; j++ {
			if j == r.id {
				continue
			}
			m := even[x]
			if j%2 == 1 {
				m = odd[x]
			}
			env.Send(j, PrePrepare{V: r.view, N: r.seq, D: m.Digest(), M: m})
		}
		r.assigned[odd[x].Digest()] = r.seq
	}
	return true
}

// acceptPrePrepare logs a pre-prepare; a backup multicasts its PREPARE.
func (r *replica) acceptPrePrepare(env core.Env, pp PrePrepare) {
	e := r.get(pp.N)
	e.view, e.digest, e.req, e.null = pp.V, pp.D, pp.M, pp.Null
	e.prePrepared, e.prepared, e.committed = true, false, false
	env.Phase("pre-prepared", fmt.Sprintf("R%d pre-prepared n=%d in view %d (d=%s)", r.id, pp.N, pp.V, short(pp.D)))
	if !r.isPrimary() {
		add(e.prepares, vd{pp.V, pp.D}, r.id)
		r.multicast(env, Prepare{V: pp.V, N: pp.N, D: pp.D, I: r.id})
	}
	r.tryPrepared(env, e)
}

// onPrePrepare: accept PRE-PREPARE(v, n, d) from the primary of the current
// view if d is the request's digest, n is within the window and no other
// digest was accepted for (v, n).
func (r *replica) onPrePrepare(env core.Env, from int, pp PrePrepare) {
	if r.changing || pp.V != r.view || from != r.in.primary(pp.V) || r.isPrimary() {
		return
	}
	want := nullDigest
	if !pp.Null {
		want = pp.M.Digest()
	}
	if pp.D != want {
		env.Note(fmt.Sprintf("R%d rejects %s: d is not the digest of %s", r.id, pp, pp.M))
		return
	}
	if !pp.Null && !r.in.issued[want] {
		env.Note(fmt.Sprintf("R%d rejects %s: %s is not signed by its client", r.id, pp, pp.M))
		return
	}
	lo, hi := r.window()
	if pp.N <= lo || pp.N > hi {
		return
	}
	if e := r.log[pp.N]; e != nil && e.prePrepared && e.view == pp.V {
		if e.digest != pp.D {
			env.Note(fmt.Sprintf("R%d rejects %s: it accepted d=%s for n=%d in view %d", r.id, pp, short(e.digest), pp.N, pp.V))
		}
		return
	}
	if e := r.log[pp.N]; e != nil && e.executed {
		return
	}
	r.acceptPrePrepare(env, pp)
}

// onPrepare records PREPARE(v, n, d, i) from backup i.
func (r *replica) onPrepare(env core.Env, from int, p Prepare) {
	if p.I != from || from >= r.in.nR || from == r.in.primary(p.V) || p.V != r.view {
		return
	}
	if env.Strategy() == "equivocate" {
		r.agree(env, from, p)
	}
	lo, hi := r.window()
	if p.N <= lo || p.N > hi {
		return
	}
	e := r.get(p.N)
	add(e.prepares, vd{p.V, p.D}, from)
	r.tryPrepared(env, e)
}

// agree is the equivocating traitor's answer to a PREPARE: a matching
// PREPARE (unless it is the primary) and a matching COMMIT, whatever it
// told others.
func (r *replica) agree(env core.Env, to int, p Prepare) {
	k := fmt.Sprintf("%d/%d/%d/%s", to, p.V, p.N, p.D)
	if r.echoed[k] {
		return
	}
	r.echoed[k] = true
	if r.in.primary(p.V) != r.id {
		env.Send(to, Prepare{V: p.V, N: p.N, D: p.D, I: r.id})
	}
	env.Send(to, Commit{V: p.V, N: p.N, D: p.D, I: r.id})
}

// tryPrepared: prepared(m, v, n, i) holds once the pre-prepare and 2f
// matching prepares from distinct backups are in the log; then COMMIT.
func (r *replica) tryPrepared(env core.Env, e *entry) {
	if !e.prePrepared || e.prepared {
		return
	}
	k := vd{e.view, e.digest}
	if len(e.prepares[k]) < (r.in.q - 1) {
		return
	}
	e.prepared = true
	e.cert = &Certificate{PP: PrePrepare{V: e.view, N: e.n, D: e.digest, M: e.req, Null: e.null}, Prepares: core.SortedKeys(e.prepares[k])}
	env.Phase("prepared", fmt.Sprintf("R%d prepared n=%d in view %d with %d prepares", r.id, e.n, e.view, len(e.prepares[k])))
	add(e.commits, k, r.id)
	r.multicast(env, Commit{V: e.view, N: e.n, D: e.digest, I: r.id})
	r.tryCommitted(env, e)
}

// onCommit records COMMIT(v, n, d, i).
func (r *replica) onCommit(env core.Env, from int, c Commit) {
	if c.I != from || from >= r.in.nR || c.V != r.view {
		return
	}
	lo, hi := r.window()
	if c.N <= lo || c.N > hi {
		return
	}
	e := r.get(c.N)
	add(e.commits, vd{c.V, c.D}, from)
	r.tryCommitted(env, e)
}

// tryCommitted: committed-local holds once prepared and 2f+1 matching
// commits (its own included) are in the log; then execute in order.
func (r *replica) tryCommitted(env core.Env, e *entry) {
	if !e.prepared || e.committed || len(e.commits[vd{e.view, e.digest}]) < r.in.q {
		return
	}
	e.committed = true
	env.Phase("committed", fmt.Sprintf("R%d committed-local n=%d in view %d", r.id, e.n, e.view))
	r.execute(env)
}

// execute runs the committed requests in sequence order, replies to their
// clients, and takes a checkpoint every K sequence numbers.
func (r *replica) execute(env core.Env) {
	for {
		e := r.log[r.lastExec+1]
		if e == nil || !e.committed || e.executed {
			return
		}
		e.executed = true
		r.lastExec = e.n
		r.state.N = e.n
		what, result := "the null request", ""
		var req *Request
		if !e.null {
			m := e.req
			req = &m
			what = m.String()
			delete(r.waiting, e.digest)
			if last, ok := r.state.Replies[m.Client]; !ok || last.T < m.T {
				result = r.state.apply(m.Op)
				rep := Reply{V: r.view, T: m.T, Client: m.Client, I: r.id, R: result}
				r.state.Replies[m.Client] = rep
				r.send(env, m.Client, rep)
			} else {
				what += " (already executed: skipped)"
			}
		}
		r.in.recordExec(env, r.id, e.n, e.digest, what, result, req)
		env.Phase("executed", fmt.Sprintf("R%d executes n=%d: %s", r.id, e.n, what))
		env.Decide(fmt.Sprintf("n=%d %s", e.n, short(e.digest)), fmt.Sprintf("R%d executes n=%d: %s → %s", r.id, e.n, what, result))
		r.timeout = r.in.viewTimeout
		r.stopTimer(env)
		if len(r.waiting) > 0 {
			r.startTimer(env)
		}
		r.persist(env)
		if e.n%r.in.k == 0 {
			snap := r.state.clone()
			c := Checkpoint{N: e.n, D: snap.Digest(), I: r.id, Snap: snap}
			r.recordCheckpoint(env, c)
			r.multicast(env, c)
		}
	}
}

// ---- checkpoints ----

func (r *replica) onCheckpoint(env core.Env, from int, c Checkpoint) {
	if c.I != from || from >= r.in.nR {
		return
	}
	r.recordCheckpoint(env, c)
}

// recordCheckpoint counts CHECKPOINT(n, d, i); with 2f+1 matching ones the
// checkpoint is stable: the log up to n is discarded and the window moves.
func (r *replica) recordCheckpoint(env core.Env, c Checkpoint) {
	if c.N <= r.h {
		return
	}
	if r.checkpoints[c.N] == nil {
		r.checkpoints[c.N] = map[string]map[int]Checkpoint{}
	}
	if r.checkpoints[c.N][c.D] == nil {
		r.checkpoints[c.N][c.D] = map[int]Checkpoint{}
	}
	r.checkpoints[c.N][c.D][c.I] = c
	set := r.checkpoints[c.N][c.D]
	if len(set) < r.in.q {
		return
	}
	proof := make([]Checkpoint, 0, len(set))
	for _, i := range core.SortedKeys(set) {
		proof = append(proof, set[i])
	}
	r.makeStable(env, proof)
}

// makeStable installs a proven checkpoint; a replica that has not executed
// that far takes the state from the proof (state transfer).
func (r *replica) makeStable(env core.Env, proof []Checkpoint) {
	c := proof[0]
	if c.N <= r.h {
		return
	}
	var snap *Snapshot
	for _, p := range proof {
		if p.Snap != nil && p.Snap.Digest() == c.D {
			snap = p.Snap
			break
		}
	}
	if snap == nil {
		return
	}
	if r.lastExec < c.N {
		env.Note(fmt.Sprintf("R%d is behind (executed up to %d): it takes the state of checkpoint %d", r.id, r.lastExec, c.N))
		r.state = snap.clone()
		r.lastExec = c.N
		for d := range r.waiting {
			if req := r.waiting[d]; r.state.Replies[req.Client].T >= req.T {
				delete(r.waiting, d)
			}
		}
	}
	r.h, r.proof, r.stableSt = c.N, proof, snap.clone()
	r.seq = max(r.seq, r.h)
	for _, n := range core.SortedKeys(r.log) {
		if n <= r.h {
			delete(r.log, n)
		}
	}
	for _, n := range core.SortedKeys(r.checkpoints) {
		if n <= r.h {
			delete(r.checkpoints, n)
		}
	}
	env.Phase("checkpoint", fmt.Sprintf("R%d: checkpoint %d is stable (d=%s); the log starts after it", r.id, c.N, short(c.D)))
	r.persist(env)
	r.execute(env)
	r.assign(env)
}

// ---- the view-change timer ----

func (r *replica) startTimer(env core.Env) {
	if r.timerOn || r.changing {
		return
	}
	r.timerOn = true
	r.timer = env.SetTimer(r.timeout, "view change", r.view)
}

func (r *replica) stopTimer(env core.Env) {
	if r.timerOn {
		env.CancelTimer(r.timer)
	}
	r.timerOn = false
}

// ---- state for the inspector ----

// LogEntry is one row of the PBFT grid.
type LogEntry struct {
	N           int    `json:"n"`
	View        int    `json:"view"`
	Digest      string `json:"digest"`
	Request     string `json:"request"`
	PrePrepared bool   `json:"pre_prepared"`
	Prepared    bool   `json:"prepared"`
	Committed   bool   `json:"committed"`
	Executed    bool   `json:"executed"`
	Prepares    int    `json:"prepares"`
	Commits     int    `json:"commits"`
}

func (r *replica) State() any {
	rows := []LogEntry{}
	for _, n := range core.SortedKeys(r.log) {
		e := r.log[n]
		k := vd{e.view, e.digest}
		req := e.req.String()
		if e.null {
			req = "null"
		} else if !e.prePrepared {
			req = ""
		}
		rows = append(rows, LogEntry{N: n, View: e.view, Digest: short(e.digest), Request: req,
			PrePrepared: e.prePrepared, Prepared: e.prepared, Committed: e.committed, Executed: e.executed || n <= r.lastExec,
			Prepares: len(e.prepares[k]), Commits: len(e.commits[k])})
	}
	vcs := map[string]int{}
	for _, v := range core.SortedKeys(r.viewChanges) {
		vcs[fmt.Sprint(v)] = len(r.viewChanges[v])
	}
	return map[string]any{
		"role": "replica", "view": r.view, "primary": r.in.primary(r.view), "view_changing": r.changing,
		"stable_checkpoint": r.h, "last_executed": r.lastExec, "state": r.state.Total,
		"log": rows, "view_changes": vcs, "waiting": len(r.waiting), "queued": len(r.queue),
	}
}

func (r *replica) String() string {
	role := "backup"
	if r.isPrimary() {
		role = "primary"
	}
	if r.changing {
		role = "changing view"
	}
	return fmt.Sprintf("R%d: view %d (%s), executed up to %d, stable checkpoint %d, total=%d", r.id, r.view, role, r.lastExec, r.h, r.state.Total)
}
