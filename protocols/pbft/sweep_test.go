package pbft_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// sweepScenario draws a random run within PBFT's fault model from seed: n
// from 4 to 7 (f = ⌊(n−1)/3⌋), one or two clients, random latency, message
// loss up to 2% (clients retransmit, replicas re-send their PREPARE and
// COMMIT on a retransmitted request, view changes re-send VIEW-CHANGE and
// NEW-VIEW), and up to f faulty replicas: any strategy, or a crash (perhaps
// followed by a recovery from stable storage), at a random time.
func sweepScenario(seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 23))
	n := 4 + r.IntN(4)
	f := (n - 1) / 3
	strategies := []string{"silent", "wrong-digest", "equivocate", "lie", "slow"}
	var faults []string
	perm := r.Perm(n)
	if r.IntN(2) == 0 { // often make the first primary faulty
		for k := range perm {
			if perm[k] == 0 {
				perm[0], perm[k] = perm[k], perm[0]
			}
		}
	}
	ids := perm[:r.IntN(f+1)]
	for _, id := range ids {
		at := r.IntN(300)
		if r.IntN(4) == 0 {
			faults = append(faults, fmt.Sprintf(`{"at": "%dms", "crash": %d}`, at, id))
			if r.IntN(2) == 0 {
				faults = append(faults, fmt.Sprintf(`{"at": "%dms", "recover": %d}`, at+1+r.IntN(500), id))
			}
			continue
		}
		faults = append(faults, fmt.Sprintf(`{"at": "%dms", "byzantine": %d, "strategy": %q}`, at, id, strategies[r.IntN(len(strategies))]))
	}
	loss := 0.0
	if r.IntN(2) == 0 {
		loss = float64(r.IntN(21)) / 1000
	}
	return fmt.Sprintf(`{"protocol": "pbft", "seed": %d, "nodes": %d, "until": "30s",
		"network": {"latency": "1ms..%dms", "loss": %v, "fifo": %v},
		"params": {"checkpoint": %d},
		"workload": {"requests": %d, "clients": %d}, "faults": [%s]}`,
		seed, n, 2+r.IntN(20), loss, r.IntN(2) == 0, 1+r.IntN(4), 2+r.IntN(4), 1+r.IntN(2), strings.Join(faults, ", "))
}

// The invariants over 1,000 random runs within the fault model.
func TestSweepWithinFaultModel(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000-seed sweep")
	}
	for seed := uint64(1); seed <= 1000; seed++ {
		sc := sweepScenario(seed)
		s := lab.Run(t, sc)
		for _, r := range s.Invariants() {
			if !r.OK {
				t.Fatalf("seed %d: %s violated: %s\n%s", seed, r.Name, r.Detail, sc)
			}
		}
	}
}
