package core

import (
	"slices"
	"sort"
)

// Vector clocks are not stored per event (O(N) each). The live engine keeps
// every process's current vector and each in-flight message's; the trace
// keeps checkpoints of that state, taken every so many events so that they
// cost a bounded number of bytes per event, and any event's vector is
// recomputed by replaying the clock rules forward from the nearest checkpoint.

const checkpointBytesPerEvent = 96 // amortised budget for checkpoints

type checkpoint struct {
	at    int     // events before the checkpoint
	vc    []int32 // n*n, row per process
	ids   []int32 // send events of the messages in flight, sorted, distinct
	sends []int32 // their vectors, n entries each, in the order of ids
}

// send returns the saved vector of the message sent by event id (nil if it
// was not in flight at the checkpoint).
func (cp *checkpoint) send(id int32, n int) []int32 {
	lo, hi := 0, len(cp.ids)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if cp.ids[mid] < id {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(cp.ids) && cp.ids[lo] == id {
		return cp.sends[lo*n : (lo+1)*n : (lo+1)*n]
	}
	return nil
}

type sendVC struct {
	vc        []int32
	remaining int
}

// clockReplay recomputes vector clocks forward from a checkpoint.
type clockReplay struct {
	s     *Sim
	n     int
	vc    []int32
	base  *checkpoint
	sends map[int32]*sendVC
	next  int // next event to apply
	upto  int // the trace's length when the replay was made: sends whose receive came later have no saved vector
}

func (s *Sim) newReplay(cp *checkpoint) *clockReplay {
	r := &clockReplay{s: s, n: s.n, vc: make([]int32, len(cp.vc)), base: cp, sends: map[int32]*sendVC{}, next: cp.at, upto: s.events.n}
	copy(r.vc, cp.vc)
	return r
}

func (r *clockReplay) row(node int) []int32 { return r.vc[node*r.n : (node+1)*r.n] }

// apply advances the replay over event r.next and returns that event.
func (r *clockReplay) apply() *Event {
	s := r.s
	e := s.events.at(r.next)
	r.next++
	if !e.Kind.Ticks() || e.Node < 0 {
		return e
	}
	row := r.row(int(e.Node))
	switch e.Kind {
	case KReceive:
		m := s.msgs.at(int(e.Msg))
		var from []int32
		if sv := r.sends[m.SendEvent]; sv != nil {
			from = sv.vc
			sv.remaining--
			if sv.remaining <= 0 {
				delete(r.sends, m.SendEvent)
			}
		} else {
			from = r.base.send(m.SendEvent, r.n)
		}
		for k, x := range from {
			if x > row[k] {
				row[k] = x
			}
		}
	case KSend:
		if e.Msg >= 0 {
			m := s.msgs.at(int(e.Msg))
			rem := 0
			if m.RecvEvent >= 0 {
				rem++
			}
			if m.dup >= 0 && s.msgs.at(int(m.dup)).RecvEvent >= 0 {
				rem++
			}
			if rem > 0 {
				defer func() {
					cp := make([]int32, r.n)
					copy(cp, row)
					r.sends[e.ID] = &sendVC{vc: cp, remaining: rem}
				}()
			}
		}
	}
	row[e.Node] = e.Own
	return e
}

// VC returns the vector clock of event i (a fresh slice).
func (s *Sim) VC(i int) []int32 {
	out := make([]int32, s.n)
	e := s.events.at(i)
	if e.Node < 0 {
		return out
	}
	r := s.replayTo(i)
	copy(out, r.row(int(e.Node)))
	return out
}

// replayTo returns a replay that has applied events up to and including i,
// reusing the previous replay when i is ahead of it in the same window and
// the trace has not grown since it was made (a send it applied before its
// message was received kept no vector for that receive).
func (s *Sim) replayTo(i int) *clockReplay {
	cpi := s.checkpointFor(i)
	r := s.lastReplay
	if r == nil || r.next > i+1 || s.cps[cpi].at > r.next || r.upto != s.events.n {
		r = s.newReplay(&s.cps[cpi])
	}
	for r.next <= i {
		r.apply()
	}
	s.lastReplay = r
	return r
}

func (s *Sim) checkpointFor(i int) int {
	lo, hi := 0, len(s.cps)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if s.cps[mid].at <= i {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// checkpoint is called before an event is appended, once cpEvery events
// have been recorded since the last one.
func (s *Sim) checkpoint() {
	s.sinceCP = 0
	cp := checkpoint{at: s.events.n, vc: make([]int32, len(s.vc))}
	copy(cp.vc, s.vc)
	// Messages in flight as send event << 32 | vcSlab row: plain integers,
	// so sorting them moves no pointers.
	list := s.cpScratch[:0]
	for i := range s.q.items {
		if it := &s.q.items[i]; it.kind == qDeliver {
			if m := s.msgs.at(int(it.ref)); m.vcRow > 0 {
				list = append(list, uint64(m.SendEvent)<<32|uint64(m.vcRow-1))
			}
		}
	}
	for _, ch := range s.chanList {
		for _, id := range ch.held {
			if m := s.msgs.at(int(id)); m.vcRow > 0 {
				list = append(list, uint64(m.SendEvent)<<32|uint64(m.vcRow-1))
			}
		}
	}
	inflight := len(list)
	slices.Sort(list)
	// Message vectors are copied (into one block) because their rows are
	// reused after delivery. A message and its duplicate share a send event
	// and a vector (both copied from the sender's clock at the send): keep one.
	cp.ids = make([]int32, 0, len(list))
	cp.sends = make([]int32, 0, len(list)*s.n)
	for _, x := range list {
		id := int32(x >> 32)
		if k := len(cp.ids); k > 0 && cp.ids[k-1] == id {
			continue
		}
		r := int(uint32(x)) * s.n
		cp.ids = append(cp.ids, id)
		cp.sends = append(cp.sends, s.vcSlab[r:r+s.n]...)
	}
	s.cpScratch = list[:0]
	s.cps = append(s.cps, cp)
	size := (len(s.vc) + inflight*s.n) * 4
	s.cpEvery = max(256, size/checkpointBytesPerEvent)
	s.cpBytes += size + len(cp.ids)*4
}

// HappensBefore reports whether event a happened before event b (a -> b).
// Annotations (start, timer, phase, ...) are points on their process's line
// between model events: an annotation a happened before b exactly when the
// next model event of a's process at or after a did (or a and b are on the
// same process, a first). So a -> b iff VC(b)[p] >= own(a) (+1 for an
// annotation), where p is a's process.
func (s *Sim) HappensBefore(a, b int) bool {
	if a == b {
		return false
	}
	ea, eb := s.events.at(a), s.events.at(b)
	if ea.Node < 0 || eb.Node < 0 {
		return false
	}
	if ea.Node == eb.Node {
		return a < b
	}
	need := ea.Own
	if !ea.Kind.Ticks() {
		need++
	}
	r := s.replayTo(b)
	return r.row(int(eb.Node))[ea.Node] >= need
}

// Concurrent reports whether neither a -> b nor b -> a.
func (s *Sim) Concurrent(a, b int) bool {
	return a != b && !s.HappensBefore(a, b) && !s.HappensBefore(b, a)
}

// NodeEvents returns the ids of process p's events in order (shared; do not modify).
func (s *Sim) NodeEvents(p int) []int32 { return s.byNode[p] }

// CausalPast returns, per process, the number of that process's events
// (a prefix of NodeEvents) that happened before or are e.
func (s *Sim) CausalPast(e int) []int {
	return s.perProcess(func(x int) bool { return x != e && !s.HappensBefore(x, e) })
}

// CausalFuture returns, per process, the index in NodeEvents of the first
// event that e happened before (len(NodeEvents(p)) when none).
func (s *Sim) CausalFuture(e int) []int {
	return s.perProcess(func(x int) bool { return x == e || s.HappensBefore(e, x) })
}

// perProcess binary-searches each process's events for the first one where
// pred turns true (pred must be monotone along a process's events).
func (s *Sim) perProcess(pred func(x int) bool) []int {
	out := make([]int, s.n)
	for p := range out {
		evs := s.byNode[p]
		out[p] = sort.Search(len(evs), func(i int) bool { return pred(int(evs[i])) })
	}
	return out
}

// CutVerdict says whether a cut is consistent and, if not, which message
// crosses it backwards (received inside the cut, sent outside it).
type CutVerdict struct {
	Consistent bool   `json:"consistent"`
	Msg        int    `json:"msg"`  // the offending message id, or -1
	Send       int    `json:"send"` // its send event, or -1
	Recv       int    `json:"recv"` // its receive event, or -1
	Detail     string `json:"detail"`
}

// CheckCut checks a cut given, per process, the number of its events that
// are inside the cut (a prefix of NodeEvents). A cut is consistent when every
// message received inside it was also sent inside it (the seed, section 3).
func (s *Sim) CheckCut(prefix []int) (CutVerdict, error) {
	if len(prefix) != s.n {
		return CutVerdict{}, Errorf("cut", "expected %d entries (one per process), got %d", s.n, len(prefix))
	}
	for p, k := range prefix {
		if k < 0 || k > len(s.byNode[p]) {
			return CutVerdict{}, Errorf("cut", "entry %d: %d is out of range (P%d has %d events)", p, k, p, len(s.byNode[p]))
		}
	}
	inCut := func(ev int) bool {
		e := s.events.at(ev)
		if e.Node < 0 {
			return true
		}
		k := prefix[e.Node]
		return k > 0 && int(s.byNode[e.Node][k-1]) >= ev
	}
	best := CutVerdict{Consistent: true, Msg: -1, Send: -1, Recv: -1, Detail: "consistent: every message received inside the cut was sent inside it"}
	for p := 0; p < s.n; p++ {
		for _, ev := range s.byNode[p][:prefix[p]] {
			e := s.events.at(int(ev))
			if e.Kind != KReceive {
				continue
			}
			m := s.msgs.at(int(e.Msg))
			if !inCut(int(m.SendEvent)) && (best.Consistent || int(ev) < best.Recv) {
				best = CutVerdict{Msg: m.ID, Send: int(m.SendEvent), Recv: int(ev),
					Detail: "inconsistent: " + s.Name(m.To) + " receives " + m.Payload.String() + " inside the cut, but " + s.Name(m.From) + " sends it outside"}
			}
		}
	}
	return best, nil
}
