// Package sketches_test proves that the engine's API (core.Protocol, Env,
// Instance, scenarios and faults) serves every algorithm of the seed: each
// file is a small but real protocol, written as the paper writes it, run
// through core.NewFromJSON and checked. See README.md.
package sketches_test

import (
	"testing"

	"distlab/core"

	"github.com/stretchr/testify/require"
)

// newSim parses and builds the scenario against a catalogue holding only p.
func newSim(t testing.TB, p *core.Protocol, scenario string) *core.Sim {
	t.Helper()
	s, err := core.NewFromJSON([]byte(scenario), core.Catalog{p})
	require.NoError(t, err)
	return s
}

// run builds the scenario, runs it to its end and fails the test on a
// protocol error (a panic in a handler).
func run(t testing.TB, p *core.Protocol, scenario string) *core.Sim {
	t.Helper()
	s := newSim(t, p, scenario)
	s.Run()
	require.NoError(t, s.Err())
	return s
}

// failed maps each violated invariant to its detail.
func failed(s *core.Sim) map[string]string {
	out := map[string]string{}
	for _, r := range s.Invariants() {
		if !r.OK && !r.Pending {
			out[r.Name] = r.Detail
		}
	}
	return out
}

// phases lists the trace's phase events of the given name, in order.
func phases(s *core.Sim, name string) []*core.Event {
	var out []*core.Event
	for i := 0; i < s.NumEvents(); i++ {
		if e := s.Event(i); e.Kind == core.KPhase && e.Aux == name {
			out = append(out, e)
		}
	}
	return out
}

// sent is the number of messages sent, all types together.
func sent(s *core.Sim) int {
	n := 0
	for _, c := range s.SentByType() {
		n += c
	}
	return n
}
