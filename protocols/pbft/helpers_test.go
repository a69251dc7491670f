package pbft_test

import (
	"testing"

	"distlab/core"
	"distlab/protocols/pbft"
)

func run(t *testing.T, scenario string) *core.Sim {
	t.Helper()
	s, err := core.NewFromJSON([]byte(scenario), core.Catalog{pbft.Protocol})
	if err != nil {
		t.Fatalf("scenario: %v\n%s", err, scenario)
	}
	s.Run()
	if s.Err() != nil {
		t.Fatalf("run: %v", s.Err())
	}
	return s
}

func invariant(s *core.Sim, name string) core.InvResult {
	for _, r := range s.Invariants() {
		if r.Name == name {
			return r
		}
	}
	return core.InvResult{Name: name, Detail: "no such invariant"}
}

func allOK(t *testing.T, s *core.Sim, what string) {
	t.Helper()
	for _, r := range s.Invariants() {
		if !r.OK {
			t.Fatalf("%s: %s violated: %s", what, r.Name, r.Detail)
		}
	}
}
