package om_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"distlab/core"
	"distlab/internal/simtest"
	"distlab/protocols/om"
)

var lab = simtest.With(core.Catalog{om.Protocol})

func decisions(s *core.Sim) map[string]string {
	out := map[string]string{}
	for _, d := range s.Summarize().Output.(map[string]any)["decisions"].([]om.Decision) {
		out[d.Lieutenant] = d.Decision
	}
	return out
}

// sends lists the texts of the send events of one process.
func sends(s *core.Sim, from string) []string {
	return simtest.Texts(s, simtest.At(s, from, core.KSend))
}

// The seed's section 11, the generals figure: G orders ATTACK to L1, L2 and
// the traitor T; T relays "(claims General said) RETREAT" to L1 and ATTACK to
// L2. With n = 4 and m = 1 (n ≥ 3m+1) both loyal lieutenants decide ATTACK.
// The figure's T is L3 here, following "equivocate" (odd receivers get the
// opposite, even ones the truth).
func TestSeedGeneralsFigure(t *testing.T) {
	s := lab.Run(t, `{"protocol": "om", "nodes": 4, "params": {"m": 1, "order": "attack"},
		"faults": [{"at": "0s", "byzantine": 3, "strategy": "equivocate"}]}`)
	simtest.AllOK(t, s, "seed figure")
	got := strings.Join(sends(s, "L3"), "; ")
	if want := "send RELAY(G,L3: RETREAT) to L1; send RELAY(G,L3: ATTACK) to L2"; got != want {
		t.Fatalf("the traitor sent %q, want %q", got, want)
	}
	d := decisions(s)
	if d["L1"] != om.Attack || d["L2"] != om.Attack {
		t.Fatalf("decisions %v, want L1 and L2 to ATTACK", d)
	}
	// L1's tree: ATTACK from G, ATTACK via L2, RETREAT via L3: majority ATTACK.
	st, _ := json.Marshal(s.Node(1).State())
	for _, want := range []string{`"path":"G","value":"attack","majority":"attack"`, `"path":"G,L2","value":"attack"`, `"path":"G,L3","value":"retreat"`} {
		if !strings.Contains(string(st), want) {
			t.Fatalf("L1's state lacks %s: %s", want, st)
		}
	}
}

// With n = 3 and one traitor OM(1) cannot work (the paper's theorem 1; the
// seed: "with n = 3f the f traitors can confuse the 2f loyal generals"): the
// traitor L2 tells L1 that G said RETREAT, L1 holds ATTACK and RETREAT, the
// tie goes to RETREAT, and IC2 fails.
func TestThreeGeneralsFail(t *testing.T) {
	s := lab.Run(t, `{"protocol": "om", "nodes": 3, "params": {"m": 1},
		"faults": [{"at": "0s", "byzantine": 2, "strategy": "opposite"}]}`)
	r := simtest.Invariant(s, "IC2")
	if r.OK {
		t.Fatalf("IC2 holds with n = 3, m = 1 and a traitor; the checker must show the failure")
	}
	if !strings.Contains(r.Detail, "n = 3 < 3m+1 = 4") || r.Event < 0 {
		t.Fatalf("IC2 detail %q (event %d) should name the broken assumption and the event", r.Detail, r.Event)
	}
	if d := decisions(s); d["L1"] != om.Retreat {
		t.Fatalf("L1 decided %q, want RETREAT", d["L1"])
	}
	if s.Summarize().OK {
		t.Fatalf("the summary says ok")
	}
}

// Two traitors among six generals (n < 3m+1 for m = 2) can split the loyal
// lieutenants: a traitor commander that equivocates, helped by a traitor
// lieutenant, breaks IC1 for some seed. The test searches a few seeds and
// strategies; it fails if the checker never reports IC1.
func TestTooManyTraitorsBreakIC1(t *testing.T) {
	for _, st := range []string{"equivocate", "random"} {
		for seed := 1; seed <= 50; seed++ {
			s := lab.Run(t, fmt.Sprintf(`{"protocol": "om", "seed": %d, "nodes": 4, "params": {"m": 1},
				"faults": [{"at": "0s", "byzantine": 0, "strategy": "equivocate"}, {"at": "0s", "byzantine": 1, "strategy": %q}]}`, seed, st))
			if !simtest.Invariant(s, "IC1").OK {
				return
			}
		}
	}
	t.Fatalf("two traitors among four generals never broke IC1")
}

// Message counts against the paper: OM(m) sends (n−1) + (n−1)(n−2) + … +
// (n−1)(n−2)…(n−m−1) messages when nobody is silent.
func TestMessageCountMatchesPaper(t *testing.T) {
	want := map[[2]int]int{{4, 1}: 9, {7, 2}: 156, {5, 0}: 4, {10, 3}: 3609, {5, 3}: 64}
	for nm, w := range want {
		if got := om.PaperMessages(nm[0], nm[1]); got != w {
			t.Errorf("PaperMessages(%d, %d) = %d, want %d", nm[0], nm[1], got, w)
		}
	}
	for n := 2; n <= 10; n++ {
		for m := 0; m <= min(3, n-2); m++ {
			s := lab.Run(t, fmt.Sprintf(`{"protocol": "om", "nodes": %d, "params": {"m": %d}, "faults": []}`, n, m))
			simtest.AllOK(t, s, fmt.Sprintf("n=%d m=%d", n, m))
			sum := s.Summarize()
			got := sum.Messages.ByType["ORDER"] + sum.Messages.ByType["RELAY"]
			if got != om.PaperMessages(n, m) || sum.Metrics["messages"] != float64(got) || sum.Metrics["expected_messages"] != float64(got) {
				t.Errorf("n=%d m=%d: %d messages sent (metric %v), paper %d", n, m, got, sum.Metrics["messages"], om.PaperMessages(n, m))
			}
			if sum.Messages.ByType["ORDER"] != n-1 {
				t.Errorf("n=%d m=%d: %d ORDER messages, want n−1 = %d", n, m, sum.Messages.ByType["ORDER"], n-1)
			}
		}
	}
	// A silent lieutenant in OM(1) with n = 4 withholds its n−2 relays.
	s := lab.Run(t, `{"protocol": "om", "nodes": 4, "params": {"m": 1}, "faults": [{"at": "0s", "byzantine": 2, "strategy": "silent"}]}`)
	if got := s.Summarize().Metrics["messages"]; got != 9-2 {
		t.Errorf("silent L2: %v messages, want 7", got)
	}
}

func TestDefaults(t *testing.T) {
	s := lab.Run(t, `{"protocol": "om", "nodes": 7, "faults": []}`)
	if m := s.Summarize().Output.(map[string]any)["m"]; m != 2 {
		t.Errorf("default m for n = 7 is %v, want 2", m)
	}
	s = lab.Run(t, `{"protocol": "om", "nodes": 3, "faults": []}`)
	if m := s.Summarize().Output.(map[string]any)["m"]; m != 0 {
		t.Errorf("default m for n = 3 is %v, want 0", m)
	}
	simtest.AllOK(t, s, "n=3 m=0 without traitors")
}

func TestBadInput(t *testing.T) {
	for sc, want := range map[string]string{
		`{"protocol": "om", "nodes": 4, "params": {"m": 3}}`:                  "params.m",
		`{"protocol": "om", "nodes": 4, "params": {"order": "atack"}}`:        `did you mean "attack"`,
		`{"protocol": "om", "nodes": 4, "topology": "ring"}`:                  "topology",
		`{"protocol": "om", "faults": [{"byzantine": 1, "strategy": "lie"}]}`: "strategy",
		`{"protocol": "om", "nodes": 16, "params": {"m": 6}}`:                 "beyond the limit",
	} {
		_, err := core.NewFromJSON([]byte(sc), core.Catalog{om.Protocol})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", sc, err, want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	sc := `{"protocol": "om", "seed": 7, "nodes": 7, "network": {"latency": "1ms..30ms"},
		"faults": [{"at": "0s", "byzantine": 0, "strategy": "random"}, {"at": "0s", "byzantine": 4, "strategy": "random"}]}`
	a, b := lab.Run(t, sc).TraceHash(), lab.Run(t, sc).TraceHash()
	if a != b {
		t.Fatalf("same scenario, different traces: %s vs %s", a, b)
	}
}

// The invariants over 1,000 random runs within the fault model: n from 4 to
// 10, m the largest n allows, up to m faulty generals (any strategy, or a
// crash at a random time, possibly followed by recovery), random latency.
// OM assumes a reliable synchronous network (A1–A3), so there is no loss.
func TestSweepWithinFaultModel(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000-seed sweep")
	}
	strategies := []string{"opposite", "equivocate", "silent", "random"}
	for seed := uint64(1); seed <= 1000; seed++ {
		r := rand.New(rand.NewPCG(seed, 11))
		n := 4 + r.IntN(7)
		m := (n - 1) / 3
		var faults []string
		for _, id := range r.Perm(n)[:r.IntN(m+1)] {
			if r.IntN(4) == 0 {
				at := r.IntN(40)
				faults = append(faults, fmt.Sprintf(`{"at": "%dms", "crash": %d}`, at, id))
				if r.IntN(2) == 0 {
					faults = append(faults, fmt.Sprintf(`{"at": "%dms", "recover": %d}`, at+1+r.IntN(20), id))
				}
				continue
			}
			faults = append(faults, fmt.Sprintf(`{"at": "%dms", "byzantine": %d, "strategy": %q}`, r.IntN(3), id, strategies[r.IntN(4)]))
		}
		order := []string{"attack", "retreat"}[r.IntN(2)]
		sc := fmt.Sprintf(`{"protocol": "om", "seed": %d, "nodes": %d, "until": "1s", "network": {"latency": "1ms..%dms", "fifo": %v},
			"params": {"order": %q}, "faults": [%s]}`, seed, n, 1+r.IntN(30), r.IntN(2) == 0, order, strings.Join(faults, ", "))
		simtest.AllOK(t, lab.Run(t, sc), sc)
	}
}
