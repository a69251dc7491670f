package pbft_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"distlab/core"
	"distlab/internal/simtest"
	"distlab/protocols/pbft"
)

// texts lists the descriptions of the events of one kind at one process.
func texts(s *core.Sim, node string, kind core.Kind) []string {
	return simtest.Texts(s, simtest.At(s, node, kind))
}

func has(list []string, sub string) bool {
	for _, x := range list {
		if strings.Contains(x, sub) {
			return true
		}
	}
	return false
}

// The seed's section 11, the PBFT figure: n = 4, f = 1, the client's request
// goes to the primary R0, which pre-prepares it to R1, R2, R3; the faulty R3
// multicasts a PREPARE with a wrong digest; R1 still collects 2f = 2 matching
// prepares (its own and R2's), commits with 2f+1 = 3 COMMITs (R0, R1, R2),
// executes and replies; the client accepts after f+1 = 2 matching replies.
func TestSeedPBFTFigure(t *testing.T) {
	s := lab.Run(t, `{"protocol": "pbft", "nodes": 4, "workload": {"requests": 1, "clients": 1},
		"faults": [{"at": "0s", "byzantine": 3, "strategy": "wrong-digest"}]}`)
	simtest.AllOK(t, s, "seed figure")
	req := pbft.Request{Op: "add 1", T: 1, Client: 4, Name: "C0"}
	d := req.Digest()[:8]
	for _, r := range []string{"R1", "R2", "R3"} {
		if !has(texts(s, "R0", core.KSend), fmt.Sprintf("PRE-PREPARE(v=0, n=1, d=%s) to %s", d, r)) {
			t.Fatalf("R0 did not pre-prepare n=1 with the request's SHA-256 to %s", r)
		}
	}
	r3 := texts(s, "R3", core.KSend)
	if !has(r3, "PREPARE(v=0, n=1, d=") || has(r3, "PREPARE(v=0, n=1, d="+d) {
		t.Fatalf("R3 should multicast a PREPARE with a wrong digest: %v", r3)
	}
	if !has(texts(s, "R1", core.KPhase), "R1 prepared n=1 in view 0 with 2 prepares") {
		t.Fatalf("R1 should be prepared with 2f = 2 matching prepares: %v", texts(s, "R1", core.KPhase))
	}
	for _, r := range []string{"R0", "R1", "R2"} {
		if !has(texts(s, r, core.KDecide), "executes n=1: REQUEST(add 1, t=1, C0) → total=1") {
			t.Fatalf("%s did not execute the request", r)
		}
	}
	if acc := texts(s, "C0", core.KDecide); len(acc) != 1 || !strings.Contains(acc[0], "C0 accepts total=1") {
		t.Fatalf("client decisions %v", acc)
	}
	if !has(texts(s, "C0", core.KPhase), "2 matching replies (f+1 = 2)") {
		t.Fatalf("the client should accept on f+1 = 2 matching replies")
	}
	// The grid view's data.
	st, _ := json.Marshal(s.Node(1).State())
	for _, want := range []string{`"n":1,"view":0,"digest":"` + d, `"pre_prepared":true,"prepared":true,"committed":true,"executed":true,"prepares":2,"commits":3`, `"stable_checkpoint":0`} {
		if !strings.Contains(string(st), want) {
			t.Fatalf("R1's state lacks %s: %s", want, st)
		}
	}
}

// Message counts per committed request, no faults, no loss, no checkpoint
// (K larger than the run): REQUEST 1 (client to primary), PRE-PREPARE n−1,
// PREPARE (n−1)² (each backup to the n−1 others), COMMIT n(n−1) (every
// replica to the n−1 others), REPLY n: 2n²−n+1 in all (29, 92, 191 for
// n = 4, 7, 10). A checkpoint every K requests adds n(n−1) CHECKPOINT.
func TestMessageCountsPerPhase(t *testing.T) {
	const reqs = 4
	for _, n := range []int{4, 7, 10} {
		for _, k := range []int{1000, 2} {
			s := lab.Run(t, fmt.Sprintf(`{"protocol": "pbft", "nodes": %d, "until": "5s", "faults": [],
				"params": {"checkpoint": %d}, "workload": {"requests": %d, "clients": 1}}`, n, k, reqs))
			simtest.AllOK(t, s, fmt.Sprintf("n=%d", n))
			sum := s.Summarize()
			want := map[string]int{
				"REQUEST": reqs, "PRE-PREPARE": reqs * (n - 1), "PREPARE": reqs * (n - 1) * (n - 1),
				"COMMIT": reqs * n * (n - 1), "REPLY": reqs * n,
			}
			if k == 2 {
				want["CHECKPOINT"] = reqs / k * n * (n - 1)
			}
			got := sum.Messages.ByType
			if len(got) != len(want) {
				t.Errorf("n=%d K=%d: message types %v, want %v", n, k, got, want)
			}
			for typ, w := range want {
				if got[typ] != w {
					t.Errorf("n=%d K=%d: %s %d, want %d", n, k, typ, got[typ], w)
				}
			}
			if k == 1000 {
				if m := sum.Metrics["messages_per_request"]; m != float64(2*n*n-n+1) {
					t.Errorf("n=%d: %v messages per request, want 2n²−n+1 = %d", n, m, 2*n*n-n+1)
				}
				if m := sum.Metrics["prepare_per_request"]; m != float64((n-1)*(n-1)) {
					t.Errorf("n=%d: prepare_per_request %v", n, m)
				}
			}
		}
	}
}

// A crashed or silent primary is replaced: the client times out and
// multicasts, the backups' timers expire, VIEW-CHANGE, NEW-VIEW from R1, and
// the requests commit in view 1.
func TestViewChangeReplacesPrimary(t *testing.T) {
	for _, fault := range []string{`{"at": "0s", "crash": 0}`, `{"at": "0s", "byzantine": 0, "strategy": "silent"}`,
		`{"at": "0s", "byzantine": 0, "strategy": "wrong-digest"}`, `{"at": "30ms", "crash": 0}`} {
		s := lab.Run(t, `{"protocol": "pbft", "nodes": 4, "until": "3s", "workload": {"requests": 3}, "faults": [`+fault+`]}`)
		simtest.AllOK(t, s, fault)
		sum := s.Summarize()
		if sum.Metrics["view"] < 1 || sum.Messages.ByType["NEW-VIEW"] == 0 || sum.Messages.ByType["VIEW-CHANGE"] == 0 {
			t.Errorf("%s: no view change (view %v, by type %v)", fault, sum.Metrics["view"], sum.Messages.ByType)
		}
		if !has(texts(s, "R2", core.KPhase), "R2 enters view 1 (primary R1)") {
			t.Errorf("%s: R2 did not enter view 1", fault)
		}
	}
	// Two primaries in a row fail: view 2.
	s := lab.Run(t, `{"protocol": "pbft", "nodes": 7, "until": "5s", "workload": {"requests": 2},
		"faults": [{"at": "0s", "crash": 0}, {"at": "0s", "byzantine": 1, "strategy": "silent"}]}`)
	simtest.AllOK(t, s, "two faulty primaries")
	if v := s.Summarize().Metrics["view"]; v != 2 {
		t.Errorf("view %v, want 2", v)
	}
}

// A prepared request survives the view change: the primary crashes after
// the backups prepared n=1 but before anyone executed it; the NEW-VIEW
// re-issues it at n=1 and it is executed exactly once.
func TestPreparedRequestSurvivesViewChange(t *testing.T) {
	// The backups' COMMITs are dropped (their first multicast and the one
	// they repeat when the client retransmits at 100ms), R0 crashes at 18ms
	// after sending its own COMMIT: n=1 is prepared at R1..R3 but committed
	// nowhere. Their timers (started by the retransmission) expire at 150ms.
	s := lab.Run(t, `{"protocol": "pbft", "nodes": 4, "until": "3s", "network": {"latency": "5ms"},
		"params": {"client_timeout": "100ms", "view_timeout": "50ms"}, "workload": {"requests": 1},
		"faults": [{"at": "0s", "drop": {"type": "COMMIT", "from": 1, "count": 6}}, {"at": "0s", "drop": {"type": "COMMIT", "from": 2, "count": 6}},
		           {"at": "0s", "drop": {"type": "COMMIT", "from": 3, "count": 6}}, {"at": "18ms", "crash": 0}]}`)
	simtest.AllOK(t, s, "prepared then primary crash")
	if !has(texts(s, "R2", core.KSend), "VIEW-CHANGE(v=1, n=0, P={1}, i=2)") {
		t.Fatalf("R2's VIEW-CHANGE should carry its prepared certificate for n=1: %v", texts(s, "R2", core.KSend))
	}
	if !has(texts(s, "R1", core.KSend), "NEW-VIEW(v=1") {
		t.Fatalf("R1 sent no NEW-VIEW")
	}
	for _, r := range []string{"R1", "R2", "R3"} {
		dec := texts(s, r, core.KDecide)
		if len(dec) != 1 || !strings.Contains(dec[0], "executes n=1: REQUEST(add 1, t=1, C0)") {
			t.Fatalf("%s executed %v, want the request once at n=1", r, dec)
		}
		if !has(texts(s, r, core.KPhase), "committed-local n=1 in view 1") {
			t.Fatalf("%s should commit n=1 in view 1", r)
		}
	}
}

// Checkpoints bound the log: with K = 2 and 30 requests, a replica's log
// never holds more than the window of 2K sequence numbers, and the stable
// checkpoint advances.
func TestCheckpointsBoundTheLog(t *testing.T) {
	sc, err := core.ParseScenario([]byte(`{"protocol": "pbft", "nodes": 4, "until": "10s", "faults": [],
		"params": {"checkpoint": 2}, "workload": {"requests": 15, "clients": 2}}`), core.Catalog{pbft.Protocol})
	if err != nil {
		t.Fatal(err)
	}
	s, err := core.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	most := 0
	for s.Step() {
		for i := 0; i < 4; i++ {
			st := s.Node(i).State().(map[string]any)
			most = max(most, len(st["log"].([]pbft.LogEntry)))
		}
	}
	simtest.AllOK(t, s, "checkpoints")
	if most > 4 {
		t.Errorf("a log held %d entries; the window is 2K = 4", most)
	}
	st := s.Node(2).State().(map[string]any)
	if st["stable_checkpoint"].(int) != 30 {
		t.Errorf("stable checkpoint %v, want 30", st["stable_checkpoint"])
	}
}

// Every strategy, at the primary and at a backup, within f = 1 (n = 4) and
// f = 2 (n = 7): all invariants hold.
func TestStrategiesWithinF(t *testing.T) {
	for _, st := range []string{"silent", "wrong-digest", "equivocate", "lie", "slow"} {
		for _, n := range []int{4, 7} {
			for _, who := range []int{0, 2} {
				faults := fmt.Sprintf(`{"at": "0s", "byzantine": %d, "strategy": %q}`, who, st)
				if n == 7 {
					faults += fmt.Sprintf(`, {"at": "0s", "byzantine": %d, "strategy": %q}`, who+1, st)
				}
				sc := fmt.Sprintf(`{"protocol": "pbft", "nodes": %d, "until": "5s", "workload": {"requests": 3, "clients": 2}, "faults": [%s]}`, n, faults)
				simtest.AllOK(t, lab.Run(t, sc), sc)
			}
		}
	}
}

// Beyond the assumption the checker shows the failure.
func TestBrokenAssumptionsAreCaught(t *testing.T) {
	cases := []struct{ why, scenario, invariant string }{
		{"f+1 silent replicas: no quorum, nothing commits",
			`{"protocol": "pbft", "nodes": 4, "faults": [{"at": "0s", "byzantine": 1, "strategy": "silent"}, {"at": "0s", "byzantine": 2, "strategy": "silent"}]}`,
			"every-request-commits"},
		{"n = 3f: three replicas configured for f = 1, one silent",
			`{"protocol": "pbft", "nodes": 3, "params": {"f": 1}, "faults": [{"at": "0s", "byzantine": 2, "strategy": "silent"}]}`,
			"every-request-commits"},
		{"f+1 equivocators: an equivocating primary and an accomplice split the correct replicas",
			`{"protocol": "pbft", "nodes": 4, "workload": {"requests": 2, "clients": 2}, "faults": [{"at": "0s", "byzantine": 0, "strategy": "equivocate"}, {"at": "0s", "byzantine": 1, "strategy": "equivocate"}]}`,
			"same-order"},
		{"f+1 liars: the client accepts a wrong result",
			`{"protocol": "pbft", "nodes": 4, "faults": [{"at": "0s", "byzantine": 1, "strategy": "lie"}, {"at": "0s", "byzantine": 2, "strategy": "lie"}]}`,
			"correct-result"},
	}
	for _, c := range cases {
		s := lab.Run(t, c.scenario)
		r := simtest.Invariant(s, c.invariant)
		if r.OK {
			t.Errorf("%s: %s holds; the checker must show the failure", c.why, c.invariant)
			continue
		}
		if !strings.Contains(r.Detail, "PBFT is not guaranteed here") {
			t.Errorf("%s: the detail should name the broken assumption: %s", c.why, r.Detail)
		}
	}
}

func TestBadInput(t *testing.T) {
	for sc, want := range map[string]string{
		`{"protocol": "pbft", "workload": {"request": 3}}`:                              `did you mean "requests"`,
		`{"protocol": "pbft", "workload": {"clients": 0}}`:                              "workload.clients",
		`{"protocol": "pbft", "nodes": 4, "params": {"f": 4}}`:                          "params.f",
		`{"protocol": "pbft", "topology": "ring"}`:                                      "topology",
		`{"protocol": "pbft", "faults": [{"byzantine": 1, "strategy": "wrong-digst"}]}`: `did you mean "wrong-digest"`,
	} {
		_, err := core.NewFromJSON([]byte(sc), core.Catalog{pbft.Protocol})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", sc, err, want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	sc := sweepScenario(42)
	if a, b := lab.Run(t, sc).TraceHash(), lab.Run(t, sc).TraceHash(); a != b {
		t.Fatalf("same scenario, different traces")
	}
	s := lab.Run(t, `{"protocol": "pbft", "workload": {"clients": 2}}`)
	if a, b := s.Node(1).String(), s.Node(1).String(); a != b || a == "" {
		t.Fatalf("String() %q vs %q", a, b)
	}
}
