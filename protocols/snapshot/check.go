package snapshot

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"distlab/core"
)

// The checker judges a snapshot from the trace, not from what the algorithm
// believes. A process's recording point is an event of the trace: for an
// initiator its "record" phase event, for any other process the receive of
// its first MARKER (the MARKER itself is not part of the recorded state). The
// node remembers its own vector-clock component at that point; the cut is,
// per process, the prefix of its events up to that point.

// cut returns, per process, the number of its events inside snapshot snap's
// cut and each process's own clock component there; ok is false while some
// process has not recorded.
func (in *instance) cut(s *core.Sim, snap int) (prefix []int, own []int32, ok bool) {
	prefix, own = make([]int, s.N()), make([]int32, s.N())
	for p := 0; p < in.n; p++ {
		nd := in.nodes[p]
		if nd == nil {
			return nil, nil, false
		}
		r := nd.recs[snap]
		if r == nil || !r.recorded {
			return nil, nil, false
		}
		own[p] = r.own
		evs := s.NodeEvents(p)
		prefix[p] = sort.Search(len(evs), func(i int) bool { return s.Event(int(evs[i])).Own > r.own })
	}
	return prefix, own, true
}

// checkCut decides whether snap's cut is consistent, twice: with the
// engine's CheckCut (every receive inside has its send inside) and with the
// vector clocks of the cut's frontier (no process's recorded state has seen
// an event of another process beyond that process's recording point).
func (in *instance) checkCut(s *core.Sim, snap int) (ok bool, detail string) {
	prefix, own, all := in.cut(s, snap)
	if !all {
		return true, "not every process has recorded yet"
	}
	v, err := s.CheckCut(prefix)
	if err != nil {
		return false, fmt.Sprintf("s%d: %v", snap, err)
	}
	if !v.Consistent {
		return false, fmt.Sprintf("s%d: %s (message #%d, send event %d, receive event %d)", snap, v.Detail, v.Msg, v.Send, v.Recv)
	}
	for p := 0; p < in.n; p++ {
		if prefix[p] == 0 {
			continue
		}
		last := int(s.NodeEvents(p)[prefix[p]-1])
		vc := s.VC(last)
		for q := 0; q < in.n; q++ {
			if q != p && vc[q] > own[q] {
				return false, fmt.Sprintf("s%d: %s's recorded state has seen %s's event %d, but %s recorded after its event %d (vector clocks)",
					snap, s.Name(p), s.Name(q), vc[q], s.Name(q), own[q])
			}
		}
	}
	return true, ""
}

// inTransit lists, per directed channel, the transfers that the trace shows
// crossing snap's cut: sent inside the sender's part of the cut and not
// received inside the receiver's.
func (in *instance) inTransit(s *core.Sim, prefix []int) map[[2]int][]int {
	last := make([]int, len(prefix))
	for p, k := range prefix {
		last[p] = -1
		if k > 0 {
			last[p] = int(s.NodeEvents(p)[k-1])
		}
	}
	out := map[[2]int][]int{}
	for id := 0; id < s.NumMsgs(); id++ {
		m := s.Msg(id)
		t, ok := m.Payload.(Transfer)
		if !ok || int(m.SendEvent) > last[m.From] {
			continue
		}
		if m.RecvEvent >= 0 && int(m.RecvEvent) <= last[m.To] {
			continue
		}
		k := [2]int{m.From, m.To}
		out[k] = append(out[k], t.Amount)
	}
	return out
}

func (in *instance) checkChannels(s *core.Sim, snap int) (bool, string) {
	prefix, _, all := in.cut(s, snap)
	if !all {
		return true, ""
	}
	truth := in.inTransit(s, prefix)
	for j := 0; j < in.n; j++ {
		r := in.nodes[j].recs[snap]
		for _, c := range core.SortedKeys(r.chans) {
			got := slices.Sorted(slices.Values(r.chans[c]))
			want := slices.Sorted(slices.Values(truth[[2]int{c, j}]))
			if !slices.Equal(got, want) {
				return false, fmt.Sprintf("s%d: channel %s→%s recorded %s but the trace shows %s in transit across the cut",
					snap, s.Name(c), s.Name(j), money(r.chans[c]), money(truth[[2]int{c, j}]))
			}
		}
	}
	return true, ""
}

func (in *instance) complete(snap int) bool {
	si := in.snaps[snap]
	return si != nil && si.done == in.n
}

func (in *instance) allRecorded(snap int) bool {
	for _, nd := range in.nodes {
		if nd == nil || nd.recs[snap] == nil || !nd.recs[snap].recorded {
			return false
		}
	}
	return true
}

// markerCounts counts the MARKERs sent per (snapshot, from, to); network
// duplicates are not sends.
func markerCounts(s *core.Sim) map[[3]int]int {
	out := map[[3]int]int{}
	for id := 0; id < s.NumMsgs(); id++ {
		m := s.Msg(id)
		if mk, ok := m.Payload.(Marker); ok && m.DupOf < 0 {
			out[[3]int{mk.Snap, m.From, m.To}]++
		}
	}
	return out
}

func directedChannels(s *core.Sim) int {
	e := 0
	for p := 0; p < s.N(); p++ {
		e += len(s.Neighbors(p))
	}
	return e
}

// checkOnce runs check on each snapshot, in id order, the first time it is
// ready, and marks it in done so that it is checked only once; it stops at
// the first failure.
func (in *instance) checkOnce(done map[int]bool, ready func(snap int) bool, check func(snap int) (bool, string)) (bool, string) {
	for _, snap := range in.snapIDs() {
		if done[snap] || !ready(snap) {
			continue
		}
		done[snap] = true
		if ok, d := check(snap); !ok {
			return false, d
		}
	}
	return true, ""
}

func (in *instance) Invariants() []core.Invariant {
	cutChecked := map[int]bool{}
	moneyChecked := map[int]bool{}
	chanChecked := map[int]bool{}
	markers := map[[3]int]int{}
	return []core.Invariant{
		{Name: "consistent-cut", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if e.Kind != core.KPhase || e.Aux != "record" {
				return true, ""
			}
			return in.checkOnce(cutChecked, in.allRecorded, func(snap int) (bool, string) { return in.checkCut(s, snap) })
		}},
		{Name: "money-conserved", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if e.Kind != core.KDecide {
				return true, ""
			}
			return in.checkOnce(moneyChecked, in.complete, func(snap int) (bool, string) {
				bal, transit := in.recordedMoney(snap)
				if bal+transit != in.money() {
					return false, fmt.Sprintf("s%d recorded $%d ($%d in balances + $%d in transit) but the bank holds $%d",
						snap, bal+transit, bal, transit, in.money())
				}
				return true, ""
			})
		}},
		{Name: "channel-states", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if e.Kind != core.KDecide {
				return true, ""
			}
			return in.checkOnce(chanChecked, in.complete, func(snap int) (bool, string) { return in.checkChannels(s, snap) })
		}},
		{Name: "one-marker-per-channel", Check: func(s *core.Sim, e *core.Event) (bool, string) {
			if e.Kind != core.KSend {
				return true, ""
			}
			m := s.Msg(int(e.Msg))
			mk, ok := m.Payload.(Marker)
			if !ok {
				return true, ""
			}
			k := [3]int{mk.Snap, m.From, m.To}
			markers[k]++
			if markers[k] > 1 {
				return false, fmt.Sprintf("s%d: %s sent a second MARKER to %s", mk.Snap, s.Name(m.From), s.Name(m.To))
			}
			return true, ""
		}},
		{Name: "markers-complete", Final: true, Check: func(s *core.Sim, _ *core.Event) (bool, string) {
			counts := markerCounts(s)
			e := directedChannels(s)
			for _, snap := range in.snapIDs() {
				for p := 0; p < in.n; p++ {
					for _, q := range s.Neighbors(p) {
						if c := counts[[3]int{snap, p, q}]; c != 1 {
							return false, fmt.Sprintf("s%d: %d MARKER(s) on channel %s→%s (expected exactly 1)", snap, c, s.Name(p), s.Name(q))
						}
					}
				}
			}
			return true, fmt.Sprintf("%d snapshot(s) × %d directed channels: one MARKER each", len(in.snaps), e)
		}},
		{Name: "snapshot-complete", Final: true, Check: func(s *core.Sim, _ *core.Event) (bool, string) {
			for _, snap := range in.snapIDs() {
				if in.complete(snap) {
					continue
				}
				var missing, open []string
				for p := 0; p < in.n; p++ {
					r := in.nodes[p].recs[snap]
					if r == nil || !r.recorded {
						missing = append(missing, s.Name(p))
						continue
					}
					for _, c := range core.SortedKeys(r.open) {
						open = append(open, s.Name(c)+"→"+s.Name(p))
					}
				}
				d := fmt.Sprintf("s%d is incomplete at the end of the run", snap)
				if len(missing) > 0 {
					d += "; not recorded: " + strings.Join(missing, ", ")
				}
				if len(open) > 0 {
					d += "; channels still open: " + strings.Join(open, ", ")
				}
				return false, d
			}
			return true, fmt.Sprintf("%d snapshot(s), all complete", len(in.snaps))
		}},
	}
}

func (in *instance) Metrics(s *core.Sim) map[string]float64 {
	markers, transfers := 0, 0
	for id := 0; id < s.NumMsgs(); id++ {
		m := s.Msg(id)
		if m.DupOf >= 0 {
			continue
		}
		switch m.Payload.(type) {
		case Marker:
			markers++
		case Transfer:
			transfers++
		}
	}
	done, recorded := 0, 0
	for _, snap := range in.snapIDs() {
		if in.complete(snap) {
			done++
		}
		for _, nd := range in.nodes {
			if r := nd.recs[snap]; r != nil {
				for _, l := range r.chans {
					recorded += len(l)
				}
			}
		}
	}
	out := map[string]float64{
		"snapshots": float64(len(in.snaps)), "snapshots_complete": float64(done),
		"markers": float64(markers), "directed_channels": float64(directedChannels(s)),
		"transfers": float64(transfers), "recorded_in_transit": float64(recorded), "money": float64(in.money()),
	}
	if len(in.snaps) > 0 {
		out["markers_per_snapshot"] = float64(markers) / float64(len(in.snaps))
	}
	return out
}

// Output is the recorded global state of every snapshot, for the page and
// for `distlab run --json`.
type Output struct {
	Money            int              `json:"money"`
	DirectedChannels int              `json:"directed_channels"`
	Snapshots        []SnapshotOutput `json:"snapshots"`
}

// SnapshotOutput is one snapshot's recorded global state.
type SnapshotOutput struct {
	ID         int   `json:"id"`
	Initiators []int `json:"initiators"`
	StartedUS  int64 `json:"started_us"`
	Complete   bool  `json:"complete"`
	// Balances + InTransit = Total; Conserved says Total equals the money.
	Balances   int             `json:"balances"`
	InTransit  int             `json:"in_transit"`
	Total      int             `json:"total"`
	Conserved  bool            `json:"conserved"`
	Consistent bool            `json:"consistent"` // the cut, judged from the trace (false until every process recorded)
	Cut        string          `json:"cut"`        // the verdict in words
	Processes  []ProcessOutput `json:"processes"`
	Channels   []ChannelOutput `json:"channels"`
}

// ProcessOutput is one process's recorded local state.
type ProcessOutput struct {
	Node     int    `json:"node"`
	Name     string `json:"name"`
	Recorded bool   `json:"recorded"`
	Balance  int    `json:"balance"`
	AtUS     int64  `json:"at_us"`
}

// ChannelOutput is one directed channel's recorded state.
type ChannelOutput struct {
	From      int   `json:"from"`
	To        int   `json:"to"`
	Closed    bool  `json:"closed"`
	Transfers []int `json:"transfers"`
	Sum       int   `json:"sum"`
}

func (in *instance) Output(s *core.Sim) any {
	out := Output{Money: in.money(), DirectedChannels: directedChannels(s), Snapshots: []SnapshotOutput{}}
	for _, snap := range in.snapIDs() {
		si := in.snaps[snap]
		so := SnapshotOutput{ID: snap, Initiators: append([]int{}, si.Initiators...), StartedUS: si.Started.Microseconds(),
			Complete: in.complete(snap), Processes: []ProcessOutput{}, Channels: []ChannelOutput{}}
		for p := 0; p < in.n; p++ {
			r := in.nodes[p].recs[snap]
			po := ProcessOutput{Node: p, Name: s.Name(p)}
			if r != nil && r.recorded {
				po.Recorded, po.Balance, po.AtUS = true, r.balance, r.atUS
				so.Balances += r.balance
			}
			so.Processes = append(so.Processes, po)
		}
		for p := 0; p < in.n; p++ {
			for _, q := range s.Neighbors(p) {
				co := ChannelOutput{From: p, To: q, Transfers: []int{}}
				if r := in.nodes[q].recs[snap]; r != nil && r.recorded {
					co.Closed = !r.open[p]
					co.Transfers = append(co.Transfers, r.chans[p]...)
					for _, a := range r.chans[p] {
						co.Sum += a
					}
				}
				so.InTransit += co.Sum
				so.Channels = append(so.Channels, co)
			}
		}
		so.Total = so.Balances + so.InTransit
		so.Conserved = so.Complete && so.Total == in.money()
		if in.allRecorded(snap) {
			ok, d := in.checkCut(s, snap)
			so.Consistent, so.Cut = ok, d
			if ok {
				so.Cut = "consistent: every message received inside the cut was sent inside it"
			}
		} else {
			so.Cut = "not every process has recorded yet"
		}
		out.Snapshots = append(out.Snapshots, so)
	}
	return out
}
