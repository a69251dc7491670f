// Package sketches_test proves that the engine's API (core.Protocol, Env,
// Instance, scenarios and faults) serves every algorithm of the seed: each
// file is a small but real protocol, written as the paper writes it, run
// through core.NewFromJSON and checked. See README.md.
package sketches_test

import (
	"testing"

	"distlab/core"
	"distlab/internal/simtest"
)

// newSim builds the scenario against a catalogue holding only p (see
// simtest.New).
func newSim(t testing.TB, p *core.Protocol, scenario string) *core.Sim {
	t.Helper()
	return simtest.New(t, core.Catalog{p}, scenario)
}

// run builds the scenario, runs it to its end and fails the test on a
// protocol error (a panic in a handler); see simtest.Run.
func run(t testing.TB, p *core.Protocol, scenario string) *core.Sim {
	t.Helper()
	return simtest.Run(t, core.Catalog{p}, scenario)
}
