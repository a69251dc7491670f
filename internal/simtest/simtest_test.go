package simtest_test

import (
	"slices"
	"testing"

	"distlab/core"
	"distlab/internal/simtest"
	"distlab/protocols/script"
)

var cat = core.Catalog{script.Protocol}

const twoSends = `{"protocol": "script", "nodes": 3, "until": "100ms", "network": {"latency": "2ms"},
  "workload": {"events": [
    {"at": "1ms", "node": 0, "do": "send", "to": 1, "label": "m1"},
    {"at": "4ms", "node": 1, "do": "send", "to": 2, "label": "m2"}]}}`

func TestRunAndTrace(t *testing.T) {
	s := simtest.With(cat).Run(t, twoSends)
	if h, h2 := s.TraceHash(), simtest.Run(t, cat, twoSends).TraceHash(); h != h2 {
		t.Fatalf("Lab.Run and Run differ: %s, %s", h, h2)
	}
	simtest.AllOK(t, s, "two sends")
	if f := simtest.Failed(s); len(f) != 0 {
		t.Fatalf("Failed = %v, want none", f)
	}
	if r := simtest.Invariant(s, "clock-condition"); !r.OK {
		t.Fatalf("clock-condition: %+v", r)
	}
	if r := simtest.Invariant(s, "nope"); r.OK || r.Detail != "no such invariant" {
		t.Fatalf("an unknown invariant: %+v", r)
	}
	if got, want := simtest.Texts(s, simtest.At(s, "P1", core.KSend)), []string{"send m2 to P2"}; !slices.Equal(got, want) {
		t.Fatalf("P1's sends = %q, want %q", got, want)
	}
	isSend := func(e *core.Event) bool { return e.Kind == core.KSend }
	if got, want := simtest.NamedTexts(s, isSend), []string{"P0: send m1 to P1", "P1: send m2 to P2"}; !slices.Equal(got, want) {
		t.Fatalf("sends = %q, want %q", got, want)
	}
	if n := simtest.Sent(s); n != 2 {
		t.Fatalf("Sent = %d, want 2", n)
	}
}

// fakeTB records a failure instead of ending the test.
type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(string, ...any) {
	f.failed = true
	panic(f) // stand in for runtime.Goexit
}

func TestNewFailsOnABadScenario(t *testing.T) {
	f := &fakeTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != f {
				panic(r)
			}
		}()
		simtest.New(f, cat, `{"protocol": "scrpit", "nodes": 3}`)
	}()
	if !f.failed {
		t.Fatal("New accepted an unknown protocol")
	}
}
