// Package simtest holds the helpers that the protocol, sketch and core tests
// share: build and run a scenario, read its invariants, and pick events out
// of its trace. It is imported only by tests; it fails a test through
// testing.TB and never panics on a bad scenario.
package simtest

import (
	"fmt"
	"testing"

	"distlab/core"
)

// SeedVectorExample is the seed's section 2 example, "Vector Clocks", as a
// script scenario: P1 [1,0,0] sends m1; P2 receives [1,1,0]; P2 sends m2
// [1,2,0]; P3 receives [1,2,1]; P1's later local event [2,0,0] is concurrent
// with P3's receive. The seed's P1..P3 are nodes 0..2.
const SeedVectorExample = `{
  "protocol": "script", "nodes": 3, "until": "100ms", "network": {"latency": "2ms"},
  "workload": {"events": [
    {"at": "1ms", "node": 0, "do": "send", "to": 1, "label": "m1"},
    {"at": "4ms", "node": 1, "do": "send", "to": 2, "label": "m2"},
    {"at": "5ms", "node": 0, "do": "local", "label": "e2"}
  ]}}`

// New builds scenario against cat, failing t (with the scenario) when it
// does not build.
func New(t testing.TB, cat core.Catalog, scenario string) *core.Sim {
	t.Helper()
	s, err := core.NewFromJSON([]byte(scenario), cat)
	if err != nil {
		t.Fatalf("scenario: %v\n%s", err, scenario)
	}
	return s
}

// Run builds scenario against cat and runs it to its end, failing t when it
// does not build or a handler fails (s.Err).
func Run(t testing.TB, cat core.Catalog, scenario string) *core.Sim {
	t.Helper()
	s := New(t, cat, scenario)
	s.Run()
	if err := s.Err(); err != nil {
		t.Fatalf("run: %v\n%s", err, scenario)
	}
	return s
}

// Lab builds and runs scenarios against one catalogue: a test package
// declares `var lab = simtest.With(core.Catalog{om.Protocol})` once and
// calls lab.Run(t, scenario).
type Lab struct{ cat core.Catalog }

// With returns the Lab of catalogue cat.
func With(cat core.Catalog) Lab { return Lab{cat} }

// New is New against the lab's catalogue.
func (l Lab) New(t testing.TB, scenario string) *core.Sim {
	t.Helper()
	return New(t, l.cat, scenario)
}

// Run is Run against the lab's catalogue.
func (l Lab) Run(t testing.TB, scenario string) *core.Sim {
	t.Helper()
	return Run(t, l.cat, scenario)
}

// Failed maps each violated invariant to its detail; a final invariant still
// pending (the run has not ended) is not a violation.
func Failed(s *core.Sim) map[string]string {
	out := map[string]string{}
	for _, r := range s.Invariants() {
		if !r.OK && !r.Pending {
			out[r.Name] = r.Detail
		}
	}
	return out
}

// Invariant returns the result of the invariant called name, or a failed
// result whose detail says there is no such invariant.
func Invariant(s *core.Sim, name string) core.InvResult {
	for _, r := range s.Invariants() {
		if r.Name == name {
			return r
		}
	}
	return core.InvResult{Name: name, Detail: "no such invariant"}
}

// AllOK fails t on the first invariant that does not hold (pending ones
// included), saying what was run.
func AllOK(t testing.TB, s *core.Sim, what string) {
	t.Helper()
	for _, r := range s.Invariants() {
		if !r.OK {
			t.Fatalf("%s: %s violated: %s", what, r.Name, r.Detail)
		}
	}
}

// Events lists the trace's events that keep accepts, in trace order.
func Events(s *core.Sim, keep func(e *core.Event) bool) []*core.Event {
	var out []*core.Event
	for i := 0; i < s.NumEvents(); i++ {
		if e := s.Event(i); keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// Texts lists the descriptions (s.Text) of the events keep accepts, in trace
// order.
func Texts(s *core.Sim, keep func(e *core.Event) bool) []string {
	var out []string
	for _, e := range Events(s, keep) {
		out = append(out, s.Text(e))
	}
	return out
}

// NamedTexts is Texts with each description prefixed by its process's name:
// "P1: send PROBE(...) to P2".
func NamedTexts(s *core.Sim, keep func(e *core.Event) bool) []string {
	var out []string
	for _, e := range Events(s, keep) {
		out = append(out, fmt.Sprintf("%s: %s", s.Name(int(e.Node)), s.Text(e)))
	}
	return out
}

// At accepts the events of kind at the process displayed as name ("L3",
// "R0", "C0"); events of no process (Node < 0) never match.
func At(s *core.Sim, name string, kind core.Kind) func(e *core.Event) bool {
	return func(e *core.Event) bool {
		return e.Kind == kind && e.Node >= 0 && s.Name(int(e.Node)) == name
	}
}

// Phases lists the trace's phase events of the given name, in order.
func Phases(s *core.Sim, name string) []*core.Event {
	return Events(s, func(e *core.Event) bool { return e.Kind == core.KPhase && e.Aux == name })
}

// Sent is the number of messages sent, all types together.
func Sent(s *core.Sim) int {
	n := 0
	for _, c := range s.SentByType() {
		n += c
	}
	return n
}
