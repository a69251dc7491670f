package deadlock_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"distlab/internal/simtest"

	"github.com/stretchr/testify/require"
)

// The sweeps draw scenarios inside the fault model: reliable FIFO channels
// with random bounded latencies, and crash-stop faults. No loss (a lost
// REQUEST, GRANT or PROBE breaks the lock protocol and the detection alike)
// and no hold/delay faults (the detection bound assumes bounded delays).

func latency(r *rand.Rand) string {
	lo := 1 + r.IntN(4)
	return fmt.Sprintf("%dms..%dms", lo, lo+r.IntN(8))
}

func crashes(r *rand.Rand, n int, sc map[string]any) {
	if r.IntN(3) != 0 {
		return
	}
	var faults []map[string]any
	for k := 1 + r.IntN(2); k > 0; k-- {
		faults = append(faults, map[string]any{"at": fmt.Sprintf("%dms", r.IntN(300)), "crash": r.IntN(n)})
	}
	sc["faults"] = faults
}

// detectorParams draws the detector's own knobs into params: CMH's
// probe_delay, or the central controller's report_every (2ms up to
// 2+maxEvery-1 ms) and victim rule.
func detectorParams(r *rand.Rand, protocol string, params map[string]any, maxEvery int) {
	if protocol == "deadlock-cmh" {
		params["probe_delay"] = fmt.Sprintf("%dms", r.IntN(5))
	} else {
		params["report_every"] = fmt.Sprintf("%dms", 2+r.IntN(maxEvery))
		params["victim"] = []string{"youngest", "cheapest"}[r.IntN(2)]
	}
}

// randomWorkload: the random lock workload (one outstanding request per
// process, so cycles never share a process).
func randomWorkload(r *rand.Rand, protocol string, seed int, withCrashes bool) string {
	n := 2 + r.IntN(6)
	res := 1 + r.IntN(n+2)
	params := map[string]any{
		"resources": res, "locks": 1 + r.IntN(min(3, res)),
		"think": fmt.Sprintf("%dms", 2+r.IntN(20)), "hold": fmt.Sprintf("%dms", 1+r.IntN(30)),
	}
	detectorParams(r, protocol, params, 20)
	sc := map[string]any{
		"protocol": protocol, "seed": seed, "nodes": n, "until": "800ms",
		"network": map[string]any{"latency": latency(r)}, "params": params, "workload": nil,
	}
	if withCrashes {
		crashes(r, n, sc)
	}
	b, _ := json.Marshal(sc)
	return string(b)
}

// randomWaits: scripted waits drawn at random, early in the run (before the
// first job can finish), so that wait-for edges only disappear through a
// resolution. With multi = true a process may wait for several holders at
// once (the AND model).
func randomWaits(r *rand.Rand, protocol string, seed int, multi, withCrashes bool) string {
	n := 2 + r.IntN(6)
	var waits []map[string]any
	for w := 0; w < n; w++ {
		k := r.IntN(2)
		if multi {
			k = r.IntN(3)
		}
		used := map[int]bool{w: true}
		for ; k > 0; k-- {
			h := r.IntN(n)
			if used[h] {
				continue
			}
			used[h] = true
			waits = append(waits, map[string]any{"at": fmt.Sprintf("%dms", r.IntN(30)), "waiter": w, "holder": h})
		}
	}
	if len(waits) == 0 {
		waits = append(waits, map[string]any{"at": "1ms", "waiter": 0, "holder": 1})
	}
	params := map[string]any{"hold": fmt.Sprintf("%dms", 60+r.IntN(60))}
	detectorParams(r, protocol, params, 10)
	sc := map[string]any{
		"protocol": protocol, "seed": seed, "nodes": n, "until": "600ms",
		"network": map[string]any{"latency": latency(r)}, "params": params,
		"workload": map[string]any{"waits": waits},
	}
	if withCrashes {
		crashes(r, n, sc)
	}
	b, _ := json.Marshal(sc)
	return string(b)
}

type sweep struct {
	name string
	gen  func(r *rand.Rand, seed int) string
}

func sweepAll(t *testing.T, seeds int, sw sweep, allow map[string]bool) (detections int) {
	r := rand.New(rand.NewPCG(uint64(len(sw.name)), 5))
	for seed := 1; seed <= seeds; seed++ {
		sc := sw.gen(r, seed)
		s := lab.Run(t, sc)
		for name, d := range simtest.Failed(s) {
			if !allow[name] {
				require.Failf(t, "invariant violated", "%s: %s\n%s", name, d, sc)
			}
		}
		detections += int(s.Summarize().Metrics["detections"])
	}
	return detections
}

func cmhSweeps() []sweep {
	return []sweep{
		{"cmh-random", func(r *rand.Rand, seed int) string { return randomWorkload(r, "deadlock-cmh", seed, false) }},
		{"cmh-random-crash", func(r *rand.Rand, seed int) string { return randomWorkload(r, "deadlock-cmh", seed, true) }},
		{"cmh-waits", func(r *rand.Rand, seed int) string { return randomWaits(r, "deadlock-cmh", seed, false, true) }},
		{"cmh-waits-and", func(r *rand.Rand, seed int) string { return randomWaits(r, "deadlock-cmh", seed, true, true) }},
	}
}

// Chandy–Misra–Haas: every invariant, 1,000 seeds of each kind.
func TestSweepCMH1000(t *testing.T) {
	if testing.Short() {
		t.Skip("the 1,000-seed sweeps run without -short")
	}
	for _, sw := range cmhSweeps() {
		t.Run(sw.name, func(t *testing.T) {
			d := sweepAll(t, 1000, sw, nil)
			require.Greater(t, d, 50, "the sweep must actually find deadlocks")
			t.Logf("%d deadlocks declared", d)
		})
	}
}

// The centralized detector over scripted waits (edges only disappear by a
// resolution): no phantom, and every invariant holds.
func TestSweepCentral1000(t *testing.T) {
	if testing.Short() {
		t.Skip("the 1,000-seed sweeps run without -short")
	}
	d := sweepAll(t, 1000, sweep{"central-waits", func(r *rand.Rand, seed int) string {
		return randomWaits(r, "deadlock-central", seed, true, true)
	}}, nil)
	require.Greater(t, d, 100)
	t.Logf("%d deadlocks declared", d)
}

func TestSweepShort(t *testing.T) {
	for _, sw := range cmhSweeps() {
		sweepAll(t, 15, sw, nil)
	}
}
