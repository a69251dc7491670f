package deadlock_test

import (
	"testing"

	"distlab/core"
	"distlab/internal/simtest"
	"distlab/protocols"
)

// newSim builds a scenario of the whole catalogue (see simtest.New).
func newSim(t testing.TB, scenario string) *core.Sim {
	t.Helper()
	return simtest.New(t, protocols.Catalog, scenario)
}

// run builds and runs a scenario of the whole catalogue (see simtest.Run).
func run(t testing.TB, scenario string) *core.Sim {
	t.Helper()
	return simtest.Run(t, protocols.Catalog, scenario)
}

var failed = simtest.Failed
