package core

import (
	"sort"
	"time"
)

// Time travel is deterministic replay: an earlier instant is reached by
// re-running the scenario from its seed and re-applying the live actions
// recorded so far at the steps where they happened. The live actions after
// the instant stay queued, so playing forward again reproduces the same run;
// injecting a new action there discards them and starts a new branch.

// replay builds a fresh run with the given live actions and steps it until
// stop says so (checked before every step); live actions recorded at the
// step where it stops are applied if their time is not after limit.
func replay(sc *Scenario, live []Action, stop func(r *Sim) bool) (*Sim, error) {
	return replayUntil(sc, live, stop, time.Duration(1<<63-1))
}

func replayUntil(sc *Scenario, live []Action, stop func(r *Sim) bool, limit time.Duration) (*Sim, error) {
	r, err := New(sc)
	if err != nil {
		return nil, err
	}
	for _, a := range live {
		a.live = true
		r.pending = append(r.pending, a)
	}
	sort.SliceStable(r.pending, func(i, j int) bool { return r.pending[i].Step < r.pending[j].Step })
	for !stop(r) && r.Step() {
	}
	r.applyDueUntil(limit)
	return r, nil
}

// Replay runs the scenario with the given live actions for `steps` steps.
func Replay(sc *Scenario, live []Action, steps int64) (*Sim, error) {
	return replay(sc, live, func(r *Sim) bool { return r.steps >= steps })
}

// allLive is every live action known to this run, applied or still queued.
func (s *Sim) allLive() []Action {
	out := append([]Action(nil), s.live...)
	for _, a := range s.pending[s.pendNext:] {
		if a.live {
			out = append(out, a)
		}
	}
	return out
}

// SeekStep returns the run as it was after `steps` engine steps. The
// receiver is left untouched.
func (s *Sim) SeekStep(steps int64) (*Sim, error) {
	return Replay(s.sc, s.allLive(), steps)
}

// SeekEvent returns the run as it was right after the step that recorded
// trace event k (k < 0: the very start).
func (s *Sim) SeekEvent(k int) (*Sim, error) {
	return replay(s.sc, s.allLive(), func(r *Sim) bool { return r.events.n > k })
}

// SeekTime returns the run as it was at virtual time t (microseconds): every
// step at or before t processed, and the clock at t.
func (s *Sim) SeekTime(tUS int64) (*Sim, error) {
	t := int64(tUS) * 1000
	r, err := replayUntil(s.sc, s.allLive(), func(r *Sim) bool {
		r.purge()
		return r.q.len() == 0 || r.q.peek().t > t || r.pendNext < len(r.pending) && r.pending[r.pendNext].Step <= r.steps && int64(r.pending[r.pendNext].At) > t
	}, durationOf(t))
	if err == nil && r.err == nil && int64(r.now) < t && t <= int64(r.sc.Until) {
		r.now = durationOf(t)
	}
	return r, err
}
