package snapshot

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"distlab/core"
)

// record is one process's part of one snapshot.
type record struct {
	snap      int
	recorded  bool
	initiator bool
	balance   int   // the recorded local state
	own       int32 // own vector-clock component at the recording point (model events before it)
	atUS      int64
	open      map[int]bool  // incoming channels still being recorded
	chans     map[int][]int // per incoming channel: the recorded transfers, in arrival order
	done      bool
}

// node is one process: a bank account plus the snapshot algorithm.
type node struct {
	in      *instance
	id      int
	started bool
	balance int
	sent    int // transfers sent
	recv    int // transfers received
	nextIni int // next scheduled initiation
	nextScr int // next scripted transfer
	recs    map[int]*record
}

func (n *node) incoming(env core.Env) []int {
	if n.in.in != nil {
		return n.in.in[n.id]
	}
	return env.Neighbors()
}

// Start arms the bank's timers and the scheduled initiations. After a
// recovery the memory is intact; timers whose time passed while the process
// was down are skipped.
func (n *node) Start(env core.Env) {
	if n.started {
		env.Note("recovered: balance and recordings are on stable storage; messages sent while down were lost")
	}
	n.started = true
	now := env.Now()
	for n.nextIni < len(n.in.inits[n.id]) && n.in.inits[n.id][n.nextIni].At < now {
		n.nextIni++
	}
	for n.nextScr < len(n.in.scripted[n.id]) && n.in.scripted[n.id][n.nextScr].At < now {
		n.nextScr++
	}
	if n.nextIni < len(n.in.inits[n.id]) {
		env.SetTimer(n.in.inits[n.id][n.nextIni].At-now, "initiate", nil)
	}
	if n.nextScr < len(n.in.scripted[n.id]) {
		env.SetTimer(n.in.scripted[n.id][n.nextScr].At-now, "scripted", nil)
	}
	n.armTransfer(env)
}

func (n *node) armTransfer(env core.Env) {
	if e := n.in.every; e > 0 {
		// Uniform in [every/2, 3*every/2], in whole microseconds.
		lo := int64(e/2) / 1000
		d := lo + env.Rand().Int64N(int64(e)/1000+1)
		env.SetTimer(durationUS(d), "transfer", nil)
	}
}

func (n *node) Timer(env core.Env, t core.Timer) {
	switch t.Name {
	case "transfer":
		n.randomTransfer(env)
		n.armTransfer(env)
	case "scripted":
		l := n.in.scripted[n.id]
		for n.nextScr < len(l) && l[n.nextScr].At <= env.Now() {
			st := l[n.nextScr]
			n.nextScr++
			n.transfer(env, st.To, st.Amount)
		}
		if n.nextScr < len(l) {
			env.SetTimer(l[n.nextScr].At-env.Now(), "scripted", nil)
		}
	case "initiate":
		l := n.in.inits[n.id]
		for n.nextIni < len(l) && l[n.nextIni].At <= env.Now() {
			snap := l[n.nextIni].Snap
			n.nextIni++
			n.initiate(env, snap)
		}
		if n.nextIni < len(l) {
			env.SetTimer(l[n.nextIni].At-env.Now(), "initiate", nil)
		}
	}
}

// ---- the bank ----

func (n *node) randomTransfer(env core.Env) {
	nb := env.Neighbors()
	if n.balance <= 0 || len(nb) == 0 {
		return
	}
	to := nb[env.Rand().IntN(len(nb))]
	amount := 1 + env.Rand().IntN(min(n.in.maxAmt, n.balance))
	n.transfer(env, to, amount)
}

func (n *node) transfer(env core.Env, to, amount int) {
	if !hasChannel(env.Neighbors(), to) {
		env.Note(fmt.Sprintf("no channel to %s: transfer of $%d skipped", env.Name(to), amount))
		return
	}
	if amount > n.balance {
		env.Note(fmt.Sprintf("insufficient funds for $%d to %s (balance $%d): skipped", amount, env.Name(to), n.balance))
		return
	}
	n.balance -= amount
	n.sent++
	env.Send(to, Transfer{Amount: amount})
}

func hasChannel(nb []int, to int) bool {
	i := sort.SearchInts(nb, to)
	return i < len(nb) && nb[i] == to
}

// ---- the snapshot algorithm ----

func (n *node) Receive(env core.Env, from int, m core.Message) {
	switch m := m.(type) {
	case Transfer:
		n.onTransfer(env, from, m)
	case Marker:
		n.onMarker(env, from, m)
	}
}

// onTransfer credits the account and, for every snapshot in which this
// process has recorded its state but not yet seen the MARKER on this
// channel, records the transfer as in transit on the channel.
func (n *node) onTransfer(env core.Env, from int, m Transfer) {
	n.balance += m.Amount
	n.recv++
	for _, snap := range n.snapIDs() {
		if r := n.recs[snap]; r.recorded && r.open[from] {
			r.chans[from] = append(r.chans[from], m.Amount)
		}
	}
}

// onMarker: the first MARKER of a snapshot makes the process record its
// state (this channel's state is empty); a later one closes its channel.
func (n *node) onMarker(env core.Env, from int, m Marker) {
	r := n.recs[m.Snap]
	switch {
	case r == nil || !r.recorded:
		n.recordState(env, m.Snap, from)
	case r.open[from]:
		n.closeChannel(env, r, from)
		n.maybeDone(env, r)
	default:
		env.Note(fmt.Sprintf("s%d: a second MARKER from %s (the channel is already closed): ignored", m.Snap, env.Name(from)))
	}
}

// initiate starts snapshot snap here (a scheduled or live initiation).
func (n *node) initiate(env core.Env, snap int) {
	if r := n.recs[snap]; r != nil && r.recorded {
		env.Note(fmt.Sprintf("s%d: already recorded here: initiation ignored", snap))
		return
	}
	si := n.in.info(snap, env.Now())
	si.Initiators = append(si.Initiators, n.id)
	n.in.nextID = max(n.in.nextID, snap+1)
	n.recordState(env, snap, -1)
}

// recordState records the local state for snap; from is the channel whose
// MARKER caused it (-1 for an initiator). Then MARKERs go out on every
// outgoing channel.
func (n *node) recordState(env core.Env, snap, from int) {
	r := n.recs[snap]
	if r == nil {
		r = &record{snap: snap}
		n.recs[snap] = r
	}
	n.in.info(snap, env.Now())
	r.recorded, r.initiator = true, from < 0
	r.balance = n.balance
	r.own = env.VC()[n.id]
	if from >= 0 {
		r.own-- // the MARKER's receive is not part of the recorded state
	}
	r.atUS = env.Now().Microseconds()
	r.open = map[int]bool{}
	r.chans = map[int][]int{}
	for _, c := range n.incoming(env) {
		r.open[c] = true
		r.chans[c] = nil
	}
	how := "initiator"
	if from >= 0 {
		how = "first MARKER from " + env.Name(from)
	}
	env.Phase("record", fmt.Sprintf("s%d: record state: balance $%d (%s)", snap, r.balance, how))
	if from >= 0 && r.open[from] {
		n.closeChannel(env, r, from)
	}
	env.Broadcast(Marker{Snap: snap})
	n.maybeDone(env, r)
}

func (n *node) closeChannel(env core.Env, r *record, from int) {
	delete(r.open, from)
	env.Phase("close", fmt.Sprintf("s%d: channel %s→%s closed: %s", r.snap, env.Name(from), env.Name(n.id), money(r.chans[from])))
}

func (n *node) maybeDone(env core.Env, r *record) {
	if r.done || len(r.open) > 0 {
		return
	}
	r.done = true
	in := 0
	var parts []string
	for _, c := range core.SortedKeys(r.chans) {
		for _, a := range r.chans[c] {
			in += a
		}
		parts = append(parts, fmt.Sprintf("%s→%s %s", env.Name(c), env.Name(n.id), money(r.chans[c])))
	}
	text := fmt.Sprintf("s%d: my part is done: balance $%d", r.snap, r.balance)
	if len(parts) > 0 {
		text += "; in transit " + strings.Join(parts, ", ")
	}
	env.Decide(fmt.Sprintf("s%d done", r.snap), text)
	si := n.in.info(r.snap, env.Now())
	si.done++
	if si.done == n.in.n {
		bal, transit := n.in.recordedMoney(r.snap)
		env.Decide(fmt.Sprintf("s%d complete", r.snap), fmt.Sprintf("snapshot s%d complete (%s was the last to finish): $%d recorded = $%d in balances + $%d in transit; the bank holds $%d",
			r.snap, env.Name(n.id), bal+transit, bal, transit, n.in.money()))
	}
}

// Input starts a snapshot live: "snapshot" starts a new one, "snapshot ID"
// makes this process an initiator of snapshot ID.
func (n *node) Input(env core.Env, data string) error {
	f := strings.Fields(data)
	if len(f) == 0 || f[0] != "snapshot" || len(f) > 2 {
		word := ""
		if len(f) > 0 {
			word = f[0]
		}
		msg := fmt.Sprintf("unknown input %q", data)
		if s := core.Suggest(word, []string{"snapshot"}); s != "" && word != "snapshot" {
			msg += `; did you mean "snapshot"?`
		}
		return fmt.Errorf(`%s (valid: "snapshot" starts a new snapshot, "snapshot ID" joins snapshot ID as an initiator)`, msg)
	}
	snap := n.in.nextID
	if len(f) == 2 {
		id, err := strconv.Atoi(strings.TrimPrefix(f[1], "s"))
		if err != nil || id < 1 || id > 1_000_000 {
			return fmt.Errorf("snapshot id %q: expected an integer 1..1000000", f[1])
		}
		snap = id
	}
	n.initiate(env, snap)
	return nil
}

// recordedMoney sums a snapshot's recorded balances and in-transit transfers.
func (in *instance) recordedMoney(snap int) (bal, transit int) {
	for _, nd := range in.nodes {
		if nd == nil {
			continue
		}
		r := nd.recs[snap]
		if r == nil || !r.recorded {
			continue
		}
		bal += r.balance
		for _, l := range r.chans {
			for _, a := range l {
				transit += a
			}
		}
	}
	return
}

func (n *node) snapIDs() []int { return core.SortedKeys(n.recs) }

// ---- the inspector ----

// RecordState is one snapshot's record at a process, as plain data.
type RecordState struct {
	Snap      int              `json:"snap"`
	Recorded  bool             `json:"recorded"`
	Initiator bool             `json:"initiator"`
	Balance   int              `json:"balance"`
	AtUS      int64            `json:"at_us"`
	Open      []string         `json:"open"`     // incoming channels still recording, e.g. "P1→P0"
	Channels  map[string][]int `json:"channels"` // per incoming channel "P1→P0": recorded transfers
	Done      bool             `json:"done"`
}

// NodeState is a process's state for the inspector.
type NodeState struct {
	Balance   int           `json:"balance"`
	Sent      int           `json:"transfers_sent"`
	Received  int           `json:"transfers_received"`
	Snapshots []RecordState `json:"snapshots"`
}

func (n *node) name(i int) string { return "P" + strconv.Itoa(i) }

func (n *node) State() any {
	st := NodeState{Balance: n.balance, Sent: n.sent, Received: n.recv, Snapshots: []RecordState{}}
	for _, id := range n.snapIDs() {
		r := n.recs[id]
		rs := RecordState{Snap: id, Recorded: r.recorded, Initiator: r.initiator, Balance: r.balance, AtUS: r.atUS,
			Open: []string{}, Channels: map[string][]int{}, Done: r.done}
		for _, c := range core.SortedKeys(r.open) {
			rs.Open = append(rs.Open, n.name(c)+"→"+n.name(n.id))
		}
		for _, c := range core.SortedKeys(r.chans) {
			rs.Channels[n.name(c)+"→"+n.name(n.id)] = append([]int{}, r.chans[c]...)
		}
		st.Snapshots = append(st.Snapshots, rs)
	}
	return st
}

func (n *node) String() string {
	s := fmt.Sprintf("balance $%d", n.balance)
	for _, id := range n.snapIDs() {
		r := n.recs[id]
		switch {
		case r.done:
			s += fmt.Sprintf("; s%d done ($%d)", id, r.balance)
		case r.recorded:
			var open []string
			for _, c := range core.SortedKeys(r.open) {
				open = append(open, n.name(c))
			}
			s += fmt.Sprintf("; s%d recorded $%d, recording from %s", id, r.balance, strings.Join(open, ", "))
		}
	}
	return s
}
