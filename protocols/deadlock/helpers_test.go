package deadlock_test

import (
	"testing"

	"distlab/core"
	"distlab/protocols"

	"github.com/stretchr/testify/require"
)

func newSim(t testing.TB, scenario string) *core.Sim {
	t.Helper()
	s, err := core.NewFromJSON([]byte(scenario), protocols.Catalog)
	require.NoError(t, err, scenario)
	return s
}

func run(t testing.TB, scenario string) *core.Sim {
	t.Helper()
	s := newSim(t, scenario)
	s.Run()
	require.NoError(t, s.Err(), scenario)
	return s
}

func failed(s *core.Sim) map[string]string {
	out := map[string]string{}
	for _, r := range s.Invariants() {
		if !r.OK && !r.Pending {
			out[r.Name] = r.Detail
		}
	}
	return out
}
