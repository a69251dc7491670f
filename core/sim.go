package core

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sort"
	"time"
)

// Inputter is implemented by nodes that accept live input from the user or
// the scenario ({"input": ID, "data": "..."}), such as "start a snapshot now".
type Inputter interface {
	Input(env Env, data string) error
}

type channel struct {
	from, to int
	link     Link
	state    ChanState
	lastDue  time.Duration
	held     []int32
}

// ChanState is a channel's state.
type ChanState uint8

const (
	Up ChanState = iota
	Cut
	HeldState
)

var chanStateNames = [...]string{"up", "cut", "held"}

func (c ChanState) String() string { return chanStateNames[c] }

type timerRec struct {
	at        time.Duration
	node      int32
	epoch     uint32
	cancelled bool
	name      string
	data      any
}

type rule struct {
	kind string // drop or delay
	f    Filter
	left int // remaining matches (0 and unlimited: -1)
}

// InvResult is the state of one invariant.
type InvResult struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail"`
	Event   int    `json:"event"`             // first event after which it failed, or -1
	Final   bool   `json:"final,omitempty"`   // an end-of-run property
	Pending bool   `json:"pending,omitempty"` // final and the run has not ended
}

// Sim is one simulation run.
type Sim struct {
	sc    *Scenario
	proto *Protocol
	inst  Instance
	rng   *rand.Rand

	n      int // processes
	nodesN int // scenario nodes
	names  []string

	now   time.Duration
	seq   uint64
	steps int64
	q     queue

	nodes    []Node
	envs     []*env
	crashed  []bool
	epoch    []uint32
	strategy []string
	stable   []map[string]any

	out      [][]int
	chans    map[uint64]*channel // sparse index (large runs)
	chanMat  []*channel          // dense index from*n+to (small runs)
	chanList []*channel

	events chunked[Event]
	texts  []string // event texts (Event.text indexes it; texts[0] is "")
	msgs   chunked[Msg]
	byNode [][]int32

	lam    []int64
	vc     []int32
	vcSlab []int32 // vectors of the messages in flight, n entries per row
	vcFree []int32 // free rows of vcSlab

	cps        []checkpoint
	sinceCP    int
	cpEvery    int
	cpBytes    int
	cpScratch  []uint64
	lastReplay *clockReplay

	timers   []timerRec
	rules    []*rule
	triggers []*trigger
	live     []Action // actions injected live, in order
	pending  []Action // live actions to re-apply during replay, by Step
	pendNext int

	sent, delivered, dropped int
	typeNames                []string // message types in order of first send
	typeCounts               []int

	invs    []Invariant
	invRes  []InvResult
	err     error
	checked int // events already seen by the invariants
}

// New builds a simulation of a validated scenario.
func New(sc *Scenario) (s *Sim, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: building the run failed: %v", sc.Protocol, r)
		}
	}()
	proto := sc.proto
	b, err := buildInstance(sc)
	if err != nil {
		return nil, err
	}
	inst := b.inst
	n := b.Procs()
	if n > MaxProcesses {
		return nil, Errorf("nodes", "%d processes is beyond the engine's limit of %d", n, MaxProcesses)
	}
	s = &Sim{
		sc: sc, proto: proto, inst: inst,
		rng:    rand.New(rand.NewPCG(sc.Seed, 0x6469_7374_6c61_62)), // "distlab"
		n:      n,
		nodesN: sc.Nodes,
		names:  make([]string, n),
		nodes:  make([]Node, n), envs: make([]*env, n), crashed: make([]bool, n),
		epoch: make([]uint32, n), strategy: make([]string, n), stable: make([]map[string]any, n),
		out: make([][]int, n), chans: map[uint64]*channel{},
		byNode: make([][]int32, n), texts: []string{""},
		lam: make([]int64, n), vc: make([]int32, n*n),
	}
	if n <= 256 {
		s.chanMat = make([]*channel, n*n)
	}
	for i := range s.names {
		s.names[i] = fmt.Sprintf("P%d", i)
		if l, ok := b.labels[i]; ok {
			s.names[i] = l
		}
		s.envs[i] = &env{s: s, id: i}
	}
	// Channels: the scenario's topology among the nodes, then the extra
	// processes linked both ways to every node.
	edges := channelsOf(&sc.Topology, sc.Nodes, sc.Network, func(k int) int { return s.rng.IntN(k) })
	for x := sc.Nodes; x < n; x++ {
		for y := 0; y < sc.Nodes; y++ {
			edges = append(edges, Edge{From: x, To: y, Link: sc.Network}, Edge{From: y, To: x, Link: sc.Network})
		}
	}
	for _, e := range edges {
		s.addChannel(e.From, e.To, e.Link)
	}
	for i := range s.out {
		sort.Ints(s.out[i])
	}
	s.cps = []checkpoint{{at: 0, vc: make([]int32, n*n)}}
	s.cpEvery = max(256, n*n*4/checkpointBytesPerEvent)
	if c, ok := inst.(Checked); ok {
		s.invs = c.Invariants()
		for _, inv := range s.invs {
			s.invRes = append(s.invRes, InvResult{Name: inv.Name, OK: true, Event: -1, Final: inv.Final})
		}
	}
	for i := 0; i < n; i++ {
		s.nodes[i] = inst.NewNode(i)
		s.push(0, qStart, int32(i), 0)
	}
	for i, a := range sc.Faults {
		if a.Step >= 0 {
			s.pending = append(s.pending, a)
			continue
		}
		s.push(a.At, qAction, int32(i), 0)
	}
	sort.SliceStable(s.pending, func(i, j int) bool { return s.pending[i].Step < s.pending[j].Step })
	return s, nil
}

func buildInstance(sc *Scenario) (b *Build, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: building the run failed: %v", sc.Protocol, r)
		}
	}()
	b = &Build{Scenario: sc, Nodes: sc.Nodes, Params: sc.Params, Workload: sc.Workload}
	b.inst, err = sc.proto.Build(b)
	return b, err
}

// NewFromJSON parses, validates and builds in one call.
func NewFromJSON(data []byte, cat Catalog) (*Sim, error) {
	sc, err := ParseScenario(data, cat)
	if err != nil {
		return nil, err
	}
	return New(sc)
}

func (s *Sim) addChannel(from, to int, l Link) {
	key := uint64(from)<<32 | uint64(to)
	if _, dup := s.chans[key]; dup {
		return
	}
	c := &channel{from: from, to: to, link: l}
	s.chans[key] = c
	if s.chanMat != nil {
		s.chanMat[from*s.n+to] = c
	}
	s.chanList = append(s.chanList, c)
	s.out[from] = append(s.out[from], to)
}

func (s *Sim) channel(from, to int) *channel {
	if s.chanMat != nil {
		return s.chanMat[from*s.n+to]
	}
	return s.chans[uint64(from)<<32|uint64(to)]
}

func durationOf(ns int64) time.Duration { return time.Duration(ns) }

func (s *Sim) push(at time.Duration, k qKind, ref int32, gen uint32) {
	s.seq++
	s.q.push(qItem{t: int64(at), seq: s.seq, kind: k, ref: ref, gen: gen})
}

// ---- accessors ----

func (s *Sim) Scenario() *Scenario      { return s.sc }
func (s *Sim) Protocol() *Protocol      { return s.proto }
func (s *Sim) Instance() Instance       { return s.inst }
func (s *Sim) Now() time.Duration       { return s.now }
func (s *Sim) Steps() int64             { return s.steps }
func (s *Sim) N() int                   { return s.n }
func (s *Sim) Nodes() int               { return s.nodesN }
func (s *Sim) Name(id int) string       { return s.names[id] }
func (s *Sim) Node(id int) Node         { return s.nodes[id] } // a crashed node keeps its last state until it recovers
func (s *Sim) Crashed(id int) bool      { return s.crashed[id] }
func (s *Sim) Strategy(id int) string   { return s.strategy[id] }
func (s *Sim) Neighbors(id int) []int   { return s.out[id] }
func (s *Sim) NumEvents() int           { return s.events.n }
func (s *Sim) Event(i int) *Event       { return s.events.at(i) }
func (s *Sim) NumMsgs() int             { return s.msgs.n }
func (s *Sim) Msg(id int) *Msg          { return s.msgs.at(id) }
func (s *Sim) Err() error               { return s.err }
func (s *Sim) LiveActions() []Action    { return s.live }
func (s *Sim) Lamport(id int) int64     { return s.lam[id] }
func (s *Sim) CurrentVC(id int) []int32 { return append([]int32(nil), s.vc[id*s.n:(id+1)*s.n]...) }

// Done reports whether the run has reached its end: nothing left to happen
// before the scenario's until, or a protocol error stopped it.
func (s *Sim) Done() bool {
	if s.err != nil {
		return true
	}
	if s.pendNext < len(s.pending) && s.pending[s.pendNext].Step <= s.steps {
		return false
	}
	s.purge()
	return s.q.len() == 0 || time.Duration(s.q.peek().t) > s.sc.Until
}

// stale reports whether a queued item has been overtaken (a cancelled
// timer, a timer of a crashed incarnation, a delivery that was delayed,
// dropped or held).
func (s *Sim) stale(it *qItem) bool {
	switch it.kind {
	case qDeliver:
		m := s.msgs.at(int(it.ref))
		return m.gen != it.gen || m.Status != InFlight
	case qTimer:
		t := &s.timers[it.ref]
		return t.cancelled || t.epoch != s.epoch[t.node] || s.crashed[t.node]
	}
	return false
}

// purge discards stale items at the head of the queue, so that neither the
// clock nor the step count moves for them.
func (s *Sim) purge() {
	for s.q.len() > 0 && s.stale(s.q.peek()) {
		s.q.pop()
	}
}

// NextTime is the time of the next queued item (or -1).
func (s *Sim) NextTime() time.Duration {
	if s.q.len() == 0 {
		return -1
	}
	return time.Duration(s.q.peek().t)
}

// ---- running ----

// Step processes one queued item (which may record zero or more events).
// It returns false when the run is done.
func (s *Sim) Step() bool {
	if s.err != nil {
		return false
	}
	s.applyDue()
	s.purge()
	if s.q.len() == 0 || time.Duration(s.q.peek().t) > s.sc.Until {
		return false
	}
	it := s.q.pop()
	s.now = time.Duration(it.t)
	s.steps++
	s.dispatch(it)
	if len(s.invs) > 0 && s.err == nil {
		s.checkInvariants()
	}
	return s.err == nil
}

// applyDue applies the recorded live actions whose step has come (and whose
// time is not after limit). An action injected after the clock had moved on
// past the last step (run until a time, then inject) moves the clock to its
// time again, so a replay puts it exactly where it was.
func (s *Sim) applyDue() { s.applyDueUntil(time.Duration(1<<63 - 1)) }

func (s *Sim) applyDueUntil(limit time.Duration) {
	for s.pendNext < len(s.pending) && s.pending[s.pendNext].Step <= s.steps && s.err == nil {
		a := s.pending[s.pendNext]
		if a.At > limit {
			break
		}
		s.pendNext++
		if a.At > s.now && (s.q.len() == 0 || time.Duration(s.q.peek().t) >= a.At) {
			s.now = a.At
		}
		if a.live {
			s.live = append(s.live, a)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					s.err = fmt.Errorf("%s: protocol error applying %s: %v", s.proto.Name, a, r)
				}
			}()
			s.applyAction(a)
		}()
	}
	if len(s.invs) > 0 && s.err == nil {
		s.checkInvariants()
	}
}

func (s *Sim) dispatch(it qItem) {
	node := -1
	defer func() {
		if r := recover(); r != nil {
			who := ""
			if node >= 0 {
				who = " in " + s.names[node]
			}
			s.err = fmt.Errorf("%s: protocol error%s at t=%v (step %d): %v\n%s", s.proto.Name, who, s.now, s.steps, r, debug.Stack())
		}
	}()
	switch it.kind {
	case qStart:
		node = int(it.ref)
		s.record(KStart, node, -1, "", "start")
		s.nodes[node].Start(s.envs[node])
	case qDeliver:
		m := s.msgs.at(int(it.ref))
		if m.gen != it.gen || m.Status != InFlight {
			return
		}
		node = m.To
		s.arrive(m)
	case qTimer:
		t := &s.timers[it.ref]
		node = int(t.node)
		if t.cancelled || t.epoch != s.epoch[node] || s.crashed[node] {
			return
		}
		t.cancelled = true
		s.record(KTimer, node, -1, t.name, "")
		s.nodes[node].Timer(s.envs[node], Timer{ID: TimerID(it.ref), Name: t.name, Data: t.data})
	case qAction:
		s.applyAction(s.sc.Faults[it.ref])
	}
}

func (s *Sim) arrive(m *Msg) {
	ch := s.channel(m.From, m.To)
	switch {
	case m.lost:
		s.drop(m, "lost on the channel")
	case ch.state == Cut:
		s.drop(m, "the channel is cut")
	case ch.state == HeldState:
		m.Status = Held
		ch.held = append(ch.held, int32(m.ID))
	case s.crashed[m.To]:
		s.drop(m, s.names[m.To]+" is crashed")
	default:
		s.deliver(m)
	}
}

func (s *Sim) deliver(m *Msg) {
	to := m.To
	if m.lamport > s.lam[to] {
		s.lam[to] = m.lamport
	}
	s.lam[to]++
	row := s.vc[to*s.n : (to+1)*s.n]
	if m.vcRow > 0 {
		for k, x := range s.msgVC(m) {
			if x > row[k] {
				row[k] = x
			}
		}
	}
	row[to]++
	m.Status = Delivered
	m.RecvEvent = s.record(KReceive, to, m.ID, "", "")
	s.freeVC(m)
	s.delivered++
	if len(s.triggers) > 0 {
		if s.fire(to, m.Type, false); s.crashed[to] {
			return
		}
	}
	s.nodes[to].Receive(s.envs[to], m.From, m.Payload)
}

func (s *Sim) drop(m *Msg, reason string) {
	m.Status = Dropped
	m.reason = int32(len(s.texts))
	s.texts = append(s.texts, reason)
	m.DropEvent = s.record(KDrop, m.To, m.ID, "", "")
	s.freeVC(m)
	s.dropped++
}

// DropReason says why message id was dropped ("" unless it was).
func (s *Sim) DropReason(id int) string { return s.texts[s.msgs.at(id).reason] }

func (s *Sim) freeVC(m *Msg) {
	if m.vcRow > 0 {
		s.vcFree = append(s.vcFree, m.vcRow-1)
		m.vcRow = 0
	}
}

// msgVC is the vector a message in flight carries (nil if none).
func (s *Sim) msgVC(m *Msg) []int32 {
	if m.vcRow == 0 {
		return nil
	}
	r := int(m.vcRow-1) * s.n
	return s.vcSlab[r : r+s.n : r+s.n]
}

// getVC takes a free row of vcSlab (growing it if none) and returns its
// number plus one.
func (s *Sim) getVC() int32 {
	if k := len(s.vcFree); k > 0 {
		r := s.vcFree[k-1]
		s.vcFree = s.vcFree[:k-1]
		return r + 1
	}
	s.vcSlab = append(s.vcSlab, make([]int32, s.n)...)
	return int32(len(s.vcSlab) / s.n)
}

// record appends an event with the clocks as they stand.
func (s *Sim) record(k Kind, node int, msg int, aux, text string) int32 {
	if s.sinceCP >= s.cpEvery {
		s.checkpoint()
	}
	s.sinceCP++
	id := int32(s.events.n)
	e := s.events.add()
	// Field by field into the chunk's zeroed memory: no struct copy (and
	// no write barriers) for the events that carry no strings.
	e.ID, e.Node, e.T, e.Kind, e.Msg = id, int32(node), s.now, k, int32(msg)
	if aux != "" {
		e.Aux = aux
	}
	if text != "" {
		e.text = int32(len(s.texts))
		s.texts = append(s.texts, text)
	}
	if node >= 0 {
		e.Lamport = s.lam[node]
		e.Own = s.vc[node*s.n+node]
		s.byNode[node] = append(s.byNode[node], id)
	}
	return id
}

func (s *Sim) tick(node int) {
	s.lam[node]++
	s.vc[node*s.n+node]++
}

// send is Env.Send.
func (s *Sim) send(from, to int, p Message) int {
	s.tick(from)
	id := s.msgs.n
	m := s.msgs.add()
	typ := p.Type()
	// Field by field into the chunk's zeroed memory (no struct copy).
	m.ID, m.From, m.To, m.SentAt = id, from, to, s.now
	m.Type, m.Payload = typ, p
	m.RecvEvent, m.DropEvent, m.DupOf, m.dup = -1, -1, -1, -1
	m.SendEvent = s.record(KSend, from, id, "", "")
	m.lamport = s.lam[from]
	if len(s.triggers) > 0 {
		defer s.fire(from, typ, true)
	}
	s.sent++
	s.countType(typ)
	if to < 0 || to >= s.n {
		s.drop(m, fmt.Sprintf("there is no process %d", to))
		return id
	}
	ch := s.channel(from, to)
	if ch == nil {
		s.drop(m, "no channel from "+s.names[from]+" to "+s.names[to])
		return id
	}
	if ch.state == Cut {
		s.drop(m, "the channel is cut")
		return id
	}
	var extra time.Duration
	for _, r := range s.rules {
		if r.left == 0 || !r.f.match(m) {
			continue
		}
		if r.left > 0 {
			r.left--
		}
		if r.kind == "drop" {
			s.drop(m, "dropped by a fault")
			return id
		}
		extra += r.f.By
	}
	s.launch(m, ch, extra, true)
	if ch.link.DupPPM > 0 && s.rng.Uint32N(1_000_000) < ch.link.DupPPM {
		did := s.msgs.n
		d := s.msgs.add()
		*d = *m
		d.ID, d.DupOf, d.dup, d.vcRow = did, id, -1, 0
		m.dup = int32(did)
		s.launch(d, ch, extra, false)
	}
	return id
}

// countType counts a send by message type. Protocols have a handful of
// types: a linear scan beats a map here.
func (s *Sim) countType(typ string) {
	for i, t := range s.typeNames {
		if t == typ {
			s.typeCounts[i]++
			return
		}
	}
	s.typeNames = append(s.typeNames, typ)
	s.typeCounts = append(s.typeCounts, 1)
}

// SentByType returns how many messages of each type were sent.
func (s *Sim) SentByType() map[string]int {
	out := make(map[string]int, len(s.typeNames))
	for i, t := range s.typeNames {
		out[t] = s.typeCounts[i]
	}
	return out
}

// launch draws the message's latency and fate and queues its arrival.
func (s *Sim) launch(m *Msg, ch *channel, extra time.Duration, fifo bool) {
	l := &ch.link
	lat := l.LatMin
	if l.LatMax > l.LatMin {
		lat += time.Duration(s.rng.Int64N(int64(l.LatMax-l.LatMin)/1000+1)) * time.Microsecond
	}
	m.lost = l.LossPPM > 0 && s.rng.Uint32N(1_000_000) < l.LossPPM
	due := s.now + lat + extra
	if l.FIFO && fifo {
		if due < ch.lastDue {
			due = ch.lastDue
		}
		ch.lastDue = due
	}
	m.DueAt = due
	if !m.lost {
		m.vcRow = s.getVC()
		copy(s.msgVC(m), s.vc[m.From*s.n:(m.From+1)*s.n])
	}
	s.push(due, qDeliver, int32(m.ID), m.gen)
}

// RunUntil processes everything up to and including virtual time t (bounded
// by the scenario's until) and leaves the clock at t.
func (s *Sim) RunUntil(t time.Duration) {
	t = min(t, s.sc.Until)
	for s.purge(); s.q.len() > 0 && time.Duration(s.q.peek().t) <= t; s.purge() {
		if !s.Step() {
			break
		}
	}
	if s.err == nil && t > s.now && s.q.len() > 0 {
		s.now = t
	}
}

// RunEvents processes steps until at least k more events are in the trace
// (or the run is done). It returns the number of events added.
func (s *Sim) RunEvents(k int) int {
	start := s.events.n
	for s.events.n-start < k {
		if !s.Step() {
			break
		}
	}
	return s.events.n - start
}

// Run runs to the scenario's until.
func (s *Sim) Run() { s.RunUntil(s.sc.Until) }

// ---- invariants ----

func (s *Sim) checkInvariants() {
	for ; s.checked < s.events.n; s.checked++ {
		e := s.events.at(s.checked)
		for i, inv := range s.invs {
			if inv.Final || !s.invRes[i].OK {
				continue
			}
			if ok, detail := s.safeCheck(inv, e); !ok {
				s.invRes[i] = InvResult{Name: inv.Name, OK: false, Detail: detail, Event: int(e.ID)}
			}
		}
	}
}

func (s *Sim) safeCheck(inv Invariant, e *Event) (ok bool, detail string) {
	defer func() {
		if r := recover(); r != nil {
			ok, detail = false, fmt.Sprintf("the checker failed: %v", r)
		}
	}()
	return inv.Check(s, e)
}

// Invariants returns the invariants' state; final ones are evaluated now if
// the run is done, and marked pending otherwise.
func (s *Sim) Invariants() []InvResult {
	out := append([]InvResult(nil), s.invRes...)
	done := s.Done()
	for i, inv := range s.invs {
		if !inv.Final {
			continue
		}
		if !done {
			out[i].Pending = true
			out[i].Detail = "checked when the run ends"
			continue
		}
		ok, detail := s.safeCheck(inv, nil)
		out[i] = InvResult{Name: inv.Name, OK: ok, Detail: detail, Event: -1, Final: true}
	}
	if s.err != nil {
		out = append(out, InvResult{Name: "no-protocol-error", OK: false, Detail: s.err.Error(), Event: s.events.n - 1})
	}
	return out
}

// ---- the environment ----

type env struct {
	s  *Sim
	id int
}

func (e *env) ID() int            { return e.id }
func (e *env) N() int             { return e.s.n }
func (e *env) Nodes() int         { return e.s.nodesN }
func (e *env) Now() time.Duration { return e.s.now }
func (e *env) Rand() *rand.Rand   { return e.s.rng }
func (e *env) Neighbors() []int   { return e.s.out[e.id] }
func (e *env) Strategy() string   { return e.s.strategy[e.id] }
func (e *env) Lamport() int64     { return e.s.lam[e.id] }
func (e *env) VC() []int32        { return e.s.CurrentVC(e.id) }
func (e *env) Name(id int) string { return e.s.names[id] }

// A node that crashed in the middle of a handler (a crash trigger) does
// nothing more: its remaining calls are ignored.
func (e *env) dead() bool { return e.s.crashed[e.id] }

func (e *env) Send(to int, m Message) int {
	if e.dead() {
		return -1
	}
	return e.s.send(e.id, to, m)
}

// Weight is the weight of the link to `to` (1 unless the topology says).
func (e *env) Weight(to int) int64 {
	if c := e.s.channel(e.id, to); c != nil {
		return c.link.Weight
	}
	return 0
}

func (e *env) Broadcast(m Message) {
	for _, to := range e.s.out[e.id] {
		if e.dead() { // a crash trigger fired on an earlier send
			return
		}
		e.s.send(e.id, to, m)
	}
}

func (e *env) SetTimer(d time.Duration, name string, data any) TimerID {
	s := e.s
	if e.dead() {
		return -1
	}
	if d < 0 {
		d = 0
	}
	id := TimerID(len(s.timers))
	s.timers = append(s.timers, timerRec{at: s.now + d, node: int32(e.id), epoch: s.epoch[e.id], name: name, data: data})
	s.push(s.now+d, qTimer, int32(id), 0)
	return id
}

func (e *env) CancelTimer(id TimerID) {
	if int(id) >= 0 && int(id) < len(e.s.timers) && int(e.s.timers[id].node) == e.id {
		e.s.timers[id].cancelled = true
	}
}

func (e *env) Local(text string) {
	if e.dead() {
		return
	}
	e.s.tick(e.id)
	e.s.record(KLocal, e.id, -1, "", text)
}

func (e *env) Phase(name, text string) {
	if !e.dead() {
		e.s.record(KPhase, e.id, -1, name, text)
	}
}

func (e *env) Decide(value, text string) {
	if !e.dead() {
		e.s.record(KDecide, e.id, -1, value, text)
	}
}

func (e *env) Note(text string) {
	if !e.dead() {
		e.s.record(KNote, e.id, -1, "", text)
	}
}

func (e *env) Store(key string, v any) {
	if e.dead() {
		return
	}
	if e.s.stable[e.id] == nil {
		e.s.stable[e.id] = map[string]any{}
	}
	e.s.stable[e.id][key] = v
}

func (e *env) Load(key string) (any, bool) {
	v, ok := e.s.stable[e.id][key]
	return v, ok
}
