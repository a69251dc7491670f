package pbft

import (
	"fmt"

	"distlab/core"
)

// startViewChange moves to view v: stop accepting the old primary's
// messages and multicast VIEW-CHANGE(v, n, C, P, i) with the stable
// checkpoint and every prepared certificate above it.
func (r *replica) startViewChange(env core.Env, v int) {
	if v <= r.view {
		return
	}
	r.view, r.changing = v, true
	r.stopTimer(env)
	r.queue, r.assigned, r.holdOn = nil, map[string]int{}, false
	var P []Certificate
	for _, n := range core.SortedKeys(r.log) {
		if e := r.log[n]; e.cert != nil && n > r.h {
			P = append(P, *e.cert)
		}
	}
	vc := ViewChange{V: v, N: r.h, C: r.proof, P: P, I: r.id}
	env.Phase("view-change", fmt.Sprintf("R%d gives up on view %d and asks for view %d (primary R%d)", r.id, v-1, v, r.in.primary(v)))
	r.recordViewChange(vc)
	r.multicast(env, vc)
	env.SetTimer(r.timeout, "new-view timeout", v)
	r.timeout *= 2
	r.persist(env)
	r.tryNewView(env)
}

func (r *replica) recordViewChange(vc ViewChange) {
	if r.viewChanges[vc.V] == nil {
		r.viewChanges[vc.V] = map[int]ViewChange{}
	}
	r.viewChanges[vc.V][vc.I] = vc
}

// onNewViewTimeout: no NEW-VIEW came. With 2f+1 view changes for v the
// primary of v is faulty too: move on to v+1. Otherwise the VIEW-CHANGE may
// have been lost: send it again.
func (r *replica) onNewViewTimeout(env core.Env, v int) {
	if !r.changing || r.view != v {
		return
	}
	if len(r.viewChanges[v]) >= r.in.q {
		r.startViewChange(env, v+1)
		return
	}
	r.multicast(env, r.viewChanges[v][r.id])
	env.SetTimer(r.timeout, "new-view timeout", v)
}

// validViewChange checks the proofs a VIEW-CHANGE carries: 2f+1 matching
// CHECKPOINT messages for n (unless n is 0) and, for every certificate, a
// pre-prepare whose digest is its request's and 2f prepares.
func (r *replica) validViewChange(vc ViewChange) bool {
	if vc.N > 0 {
		seen := map[int]bool{}
		for _, c := range vc.C {
			if c.N != vc.N || c.D != vc.C[0].D {
				return false
			}
			seen[c.I] = true
		}
		if len(seen) < r.in.q {
			return false
		}
	}
	for _, c := range vc.P {
		want := nullDigest
		if !c.PP.Null {
			want = c.PP.M.Digest()
		}
		if c.PP.N <= vc.N || c.PP.V >= vc.V || c.PP.D != want || len(c.Prepares) < r.in.q-1 {
			return false
		}
	}
	return true
}

// onViewChange collects VIEW-CHANGE messages. A replica that sees f+1 of
// them for views above its own joins the smallest such view (so f traitors
// cannot start a view change, and a correct replica is never left behind).
func (r *replica) onViewChange(env core.Env, from int, vc ViewChange) {
	if vc.I != from || from >= r.in.nR || !r.validViewChange(vc) {
		return
	}
	if vc.V < r.view || vc.V == r.view && !r.changing {
		// A replica left behind gets the NEW-VIEW of the current view again,
		// or this replica's own VIEW-CHANGE for a later view (so that it can
		// join by the f+1 rule).
		// It also gets this replica's VIEW-CHANGE for its own view, in case
		// that one was lost and it is all it lacks.
		if nv, ok := r.newViews[r.view]; ok && !r.changing {
			r.send(env, from, nv)
		} else if own, ok := r.viewChanges[r.view][r.id]; ok && r.changing {
			if old, ok := r.viewChanges[vc.V][r.id]; ok && vc.V < r.view {
				r.send(env, from, old)
			}
			r.send(env, from, own)
		}
		return
	}
	r.recordViewChange(vc)
	senders := map[int]bool{}
	lowest := -1
	for _, w := range core.SortedKeys(r.viewChanges) {
		if w <= r.view {
			continue
		}
		if lowest < 0 {
			lowest = w
		}
		for j := range r.viewChanges[w] {
			senders[j] = true
		}
	}
	if len(senders) >= r.f()+1 && lowest > r.view {
		r.startViewChange(env, lowest)
		return
	}
	r.tryNewView(env)
}

// computeO is the new primary's choice, recomputed by every backup: for
// each sequence number between the latest stable checkpoint in V (min-s)
// and the highest prepared one (max-s), the request prepared in the highest
// view, or the null request.
func (r *replica) computeO(v int, V []ViewChange) (O []PrePrepare, minS, maxS int, proof []Checkpoint) {
	for _, vc := range V {
		if vc.N > minS || proof == nil && vc.N == minS {
			minS, proof = vc.N, vc.C
		}
	}
	maxS = minS
	best := map[int]Certificate{}
	for _, vc := range V {
		for _, c := range vc.P {
			if c.PP.N <= minS {
				continue
			}
			maxS = max(maxS, c.PP.N)
			if b, ok := best[c.PP.N]; !ok || c.PP.V > b.PP.V {
				best[c.PP.N] = c
			}
		}
	}
	for n := minS + 1; n <= maxS; n++ {
		if c, ok := best[n]; ok {
			O = append(O, PrePrepare{V: v, N: n, D: c.PP.D, M: c.PP.M, Null: c.PP.Null})
		} else {
			O = append(O, PrePrepare{V: v, N: n, D: nullDigest, Null: true})
		}
	}
	return O, minS, maxS, proof
}

// tryNewView: the primary of the new view, holding 2f+1 view changes (its
// own and 2f others), multicasts NEW-VIEW(v, V, O) and enters the view.
func (r *replica) tryNewView(env core.Env) {
	if !r.changing || !r.isPrimary() {
		return
	}
	set := r.viewChanges[r.view]
	own, ok := set[r.id]
	if !ok || len(set) < r.in.q {
		return
	}
	V := []ViewChange{own}
	for _, j := range core.SortedKeys(set) {
		if j != r.id && len(V) < r.in.q {
			V = append(V, set[j])
		}
	}
	O, _, _, _ := r.computeO(r.view, V)
	nv := NewView{V: r.view, VC: V, O: O}
	r.newViews[r.view] = nv
	r.multicast(env, nv)
	r.enterView(env, nv)
}

// onNewView: a backup checks V (2f+1 valid view changes for the view) and
// that O is what it would compute itself, then enters the view.
func (r *replica) onNewView(env core.Env, from int, nv NewView) {
	if from != r.in.primary(nv.V) || nv.V < r.view || nv.V == r.view && !r.changing {
		return
	}
	seen := map[int]bool{}
	for _, vc := range nv.VC {
		if vc.V != nv.V || !r.validViewChange(vc) {
			return
		}
		seen[vc.I] = true
	}
	if len(seen) < r.in.q {
		return
	}
	O, _, _, _ := r.computeO(nv.V, nv.VC)
	ok := len(O) == len(nv.O)
	for k := 0; ok && k < len(O); k++ {
		ok = O[k].N == nv.O[k].N && O[k].D == nv.O[k].D
	}
	if !ok {
		env.Note(fmt.Sprintf("R%d rejects %s: O is not what V implies", r.id, nv))
		return
	}
	r.enterView(env, nv)
}

// enterView installs view nv.V: adopt a newer stable checkpoint, log the
// re-issued pre-prepares (a backup multicasts a PREPARE for each) and, as
// primary, go on assigning sequence numbers after max-s.
func (r *replica) enterView(env core.Env, nv NewView) {
	_, minS, maxS, proof := r.computeO(nv.V, nv.VC)
	r.view, r.changing = nv.V, false
	r.stopTimer(env)
	env.Phase("new-view", fmt.Sprintf("R%d enters view %d (primary R%d), re-issuing n=%d..%d", r.id, nv.V, r.in.primary(nv.V), minS+1, maxS))
	if minS > r.h && len(proof) > 0 {
		r.makeStable(env, proof)
	}
	r.assigned = map[string]int{}
	inO := map[string]bool{}
	for _, pp := range nv.O {
		if !pp.Null {
			inO[pp.D] = true
			r.assigned[pp.D] = pp.N
		}
		if pp.N > r.h {
			r.acceptPrePrepare(env, pp)
		}
	}
	if r.isPrimary() {
		r.seq = max(maxS, r.h)
		var reqs []Request
		for _, d := range core.SortedKeys(r.waiting) {
			if !inO[d] {
				reqs = append(reqs, r.waiting[d])
			}
		}
		sortRequests(reqs)
		r.queue = reqs
		r.assign(env)
	}
	for _, n := range core.SortedKeys(r.log) {
		r.tryPrepared(env, r.log[n])
	}
	r.persist(env)
	if len(r.waiting) > 0 {
		r.startTimer(env)
	}
}
