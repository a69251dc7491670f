package snapshot_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"distlab/internal/simtest"

	"github.com/stretchr/testify/require"
)

// randomScenario draws a scenario within Chandy–Lamport's fault model:
// reliable FIFO channels with random latencies, channels held and released
// (arbitrary but finite delays; holding keeps FIFO order), random topologies
// (including a directed ring), several snapshots, some with several
// initiators, some concurrent, some started by an input action. No loss, no
// crashes, no duplicates: the algorithm does not tolerate them.
func randomScenario(r *rand.Rand, seed int) string {
	n := 2 + r.IntN(6)
	shapes := []any{"complete", "ring", "line", "star", "tree", "grid", "random"}
	var topology any = shapes[r.IntN(len(shapes))]
	if r.IntN(6) == 0 && n > 2 {
		var edges [][]int
		for i := 0; i < n; i++ {
			edges = append(edges, []int{i, (i + 1) % n})
		}
		topology = map[string]any{"directed": true, "edges": edges}
	}
	lo := 1 + r.IntN(5)
	hi := lo + r.IntN(30)
	var initiate []map[string]any
	for k := 1 + r.IntN(3); k > 0; k-- {
		e := map[string]any{"at": fmt.Sprintf("%dms", 5+r.IntN(150)), "node": r.IntN(n)}
		if r.IntN(3) == 0 {
			e["id"] = 1 + r.IntN(3) // shared ids: one snapshot, several initiators
		}
		initiate = append(initiate, e)
	}
	var faults []map[string]any
	if r.IntN(3) == 0 {
		faults = append(faults, map[string]any{"at": fmt.Sprintf("%dms", r.IntN(150)), "input": r.IntN(n), "data": "snapshot"})
	}
	for k := r.IntN(3); k > 0 && n > 1; k-- {
		a := r.IntN(n)
		b := (a + 1) % n // a channel on every shape but star/tree; otherwise the hold is ignored
		at := r.IntN(150)
		faults = append(faults,
			map[string]any{"at": fmt.Sprintf("%dms", at), "hold": []int{a, b}},
			map[string]any{"at": fmt.Sprintf("%dms", at+1+r.IntN(60)), "release": []int{a, b}})
	}
	sc := map[string]any{
		"protocol": "snapshot", "seed": seed, "nodes": n, "until": "500ms", "topology": topology,
		"network": map[string]any{"latency": fmt.Sprintf("%dms..%dms", lo, hi), "fifo": true},
		"params": map[string]any{
			"initiate": initiate, "balance": 10 + r.IntN(200),
			"transfer_every": fmt.Sprintf("%dms", 1+r.IntN(10)), "max_transfer": 1 + r.IntN(50),
		},
	}
	if faults != nil {
		sc["faults"] = faults
	}
	b, _ := json.Marshal(sc)
	return string(b)
}

// Every invariant over 1,000 random scenarios of the fault model.
func TestSweep1000(t *testing.T) {
	if testing.Short() {
		t.Skip("the 1,000-seed sweep runs without -short")
	}
	r := rand.New(rand.NewPCG(2024, 3))
	snapshots := 0
	for seed := 1; seed <= 1000; seed++ {
		sc := randomScenario(r, seed)
		s := lab.Run(t, sc)
		require.Empty(t, simtest.Failed(s), sc)
		snapshots += len(output(t, s).Snapshots)
	}
	require.Greater(t, snapshots, 1000)
	t.Logf("%d snapshots checked", snapshots)
}

// A quick version of the sweep for -short (and -race) runs.
func TestSweepShort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for seed := 1; seed <= 25; seed++ {
		sc := randomScenario(r, seed)
		s := lab.Run(t, sc)
		require.Empty(t, simtest.Failed(s), sc)
	}
}
