package deadlock_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"distlab/core"
	"distlab/internal/simtest"
	"distlab/protocols"
	"distlab/protocols/deadlock"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sends lists the trace's send texts of one message type, in order.
func sends(s *core.Sim, typ string) []string {
	return simtest.NamedTexts(s, func(e *core.Event) bool { return e.Kind == core.KSend && s.Msg(int(e.Msg)).Type == typ })
}

func decides(s *core.Sim) []string {
	return simtest.NamedTexts(s, func(e *core.Event) bool { return e.Kind == core.KDecide })
}

func output(t *testing.T, s *core.Sim) deadlock.Output {
	o, ok := s.Summarize().Output.(deadlock.Output)
	require.True(t, ok)
	return o
}

// The seed's section 5, "Chandy-Misra-Haas Algorithm for Distributed
// Deadlock (AND model)": P1 waits for P2, P2 for P3, P3 for P1; P1 sends
// PROBE(P1, P1, P2), P2 forwards PROBE(P1, P2, P3), P3 forwards PROBE(P1,
// P3, P1), and P1 detects the deadlock; the victim is the largest process in
// the cycle. The seed numbers processes from 1, the engine from 0: seed Pk is
// engine P(k-1), so the cycle is P0→P1→P2→P0, the probes are PROBE(P0, P0,
// P1), PROBE(P0, P1, P2), PROBE(P0, P2, P0) and the victim is P2 (the seed's
// P3). The waits are staged so that P0 blocks last, as in the seed: the
// earlier blockers' probes die at processes that are not yet blocked.
func TestSeedSection5Example(t *testing.T) {
	s := lab.Run(t, `{"protocol": "deadlock-cmh", "seed": 1, "nodes": 3, "until": "300ms",
		"network": {"latency": "1ms"}, "params": {"hold": "40ms"},
		"workload": {"waits": [
			{"at": "1ms", "waiter": 1, "holder": 2},
			{"at": "10ms", "waiter": 2, "holder": 0},
			{"at": "20ms", "waiter": 0, "holder": 1}]}}`)
	assert.Empty(t, simtest.Failed(s))
	assert.Equal(t, []string{
		"P1: send PROBE(P1, P1, P2) to P2", // P2 is still working: dropped
		"P2: send PROBE(P2, P2, P0) to P0", // P0 is still working: dropped
		"P0: send PROBE(P0, P0, P1) to P1", // the seed's PROBE(P1, P1, P2)
		"P1: send PROBE(P0, P1, P2) to P2", // the seed's PROBE(P1, P2, P3)
		"P2: send PROBE(P0, P2, P0) to P0", // the seed's PROBE(P1, P3, P1)
	}, sends(s, "PROBE"))
	assert.Equal(t, []string{
		"P0: send ABORT(P2: P0→P1→P2→P0) to P1", // relayed round the cycle from the victim's successor, P0
		"P1: send ABORT(P2: P0→P1→P2→P0) to P2",
	}, sends(s, "ABORT"))
	assert.Equal(t, []string{"P2: deadlock: cycle P0→P1→P2→P0; victim P2 (the largest id in the cycle); found by P0's probe"}, decides(s))
	m := s.Summarize().Metrics
	assert.Equal(t, 3.0, m["max_probes_per_computation"], "the detecting computation: one probe per wait-for edge")
	assert.Equal(t, 3.0, m["wait_edges_at_detection"])
	assert.Equal(t, 5.0, m["probes"])
	assert.Equal(t, 1.0, m["detections"])
	assert.Equal(t, 0.0, m["phantoms"])
	assert.Equal(t, 1.0, m["aborts"])
	assert.Equal(t, 2.0, m["jobs_done"], "after the abort P1, then P0, get what they wait for and finish")
	o := output(t, s)
	require.Len(t, o.Declarations, 1)
	assert.Equal(t, []int{0, 1, 2}, o.Declarations[0].Cycle)
	assert.True(t, o.Declarations[0].Real)
	assert.True(t, o.Declarations[0].Resolved)
	assert.Empty(t, o.WaitFor, "no wait-for edge is left at the end")
}

// The book's O(e): on a ring of k waits, the computation that finds the
// cycle sends exactly k probes; a tail of waiters into the cycle adds edges
// that the detecting computation never uses (probes follow out-edges).
func TestProbesAgainstEdges(t *testing.T) {
	for _, k := range []int{2, 3, 5, 8} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			var waits []string
			// Pi waits for P(i+1) at (k-i) ms: P0 blocks last and finds the cycle.
			for i := 0; i < k; i++ {
				waits = append(waits, fmt.Sprintf(`{"at": "%dms", "waiter": %d, "holder": %d}`, 5*(k-i), i, (i+1)%k))
			}
			// Two processes outside the cycle wait for P0 and P1.
			waits = append(waits, fmt.Sprintf(`{"at": "1ms", "waiter": %d, "holder": 0}`, k), fmt.Sprintf(`{"at": "2ms", "waiter": %d, "holder": 1}`, k+1))
			s := lab.Run(t, fmt.Sprintf(`{"protocol": "deadlock-cmh", "seed": 1, "nodes": %d, "until": "2s",
				"network": {"latency": "1ms..3ms"}, "params": {"hold": "%dms"}, "workload": {"waits": [%s]}}`, k+2, 10*k+20, strings.Join(waits, ", ")))
			assert.Empty(t, simtest.Failed(s))
			m := s.Summarize().Metrics
			assert.Equal(t, 1.0, m["detections"])
			assert.Equal(t, float64(k), m["max_probes_per_computation"])
			assert.Equal(t, float64(k+2), m["wait_edges_at_detection"])
			assert.LessOrEqual(t, m["max_probes_per_computation"], m["wait_edges_at_detection"])
			o := output(t, s)
			assert.Equal(t, k-1, o.Declarations[0].Victim)
		})
	}
}

// AND model: P0 waits for both P1 and P2, each of which waits for P0. Two
// cycles share P0; both must be resolved, and each declaration must be real
// when made.
func TestOverlappingCycles(t *testing.T) {
	for seed := 1; seed <= 40; seed++ {
		s := lab.Run(t, fmt.Sprintf(`{"protocol": "deadlock-cmh", "seed": %d, "nodes": 3, "until": "600ms",
			"network": {"latency": "1ms..6ms"}, "params": {"hold": "60ms"},
			"workload": {"waits": [[0, 1], [0, 2], [1, 0], [2, 0]]}}`, seed))
		require.Empty(t, simtest.Failed(s), "seed %d", seed)
		o := output(t, s)
		require.NotEmpty(t, o.Declarations)
		assert.Empty(t, o.WaitFor, "seed %d: everything resolved", seed)
	}
}

// A crashed process on a cycle: it keeps its locks and drops probes, so the
// cycle is never declared, and that is not a violation (it is a failure, not
// a deadlock). Recovery brings the process back with its memory.
func TestCrashOnCycle(t *testing.T) {
	// P0's REQUEST(R1) is queued at P1 at 22.7ms, closing the cycle
	// P0→P1→P2→P0; P1 crashes at 24ms and drops P0's probe.
	s := lab.Run(t, `{"protocol": "deadlock-cmh", "faults": [{"at": "24ms", "crash": 1}]}`)
	assert.Empty(t, simtest.Failed(s))
	assert.Equal(t, 0.0, s.Summarize().Metrics["detections"])
	assert.Contains(t, output(t, s).WaitFor, [3]int{0, 1, 1}, "the cycle through the crashed P1 stands")

	s = lab.Run(t, `{"protocol": "deadlock-cmh", "faults": [{"at": "24ms", "crash": 1}, {"at": "100ms", "recover": 1}]}`)
	assert.Empty(t, simtest.Failed(s))
	assert.Equal(t, []string{"P2: deadlock: cycle P1→P2→P0→P1; victim P2 (the largest id in the cycle); found by P1's probe"}, decides(s),
		"after recovery P1 probes again and the cycle is found")
}

// The centralized detector over the same waits: one declaration, real, the
// youngest job (ties: the largest id) aborted.
func TestCentralDefault(t *testing.T) {
	s := lab.Run(t, `{"protocol": "deadlock-central"}`)
	assert.Empty(t, simtest.Failed(s))
	d := decides(s)
	require.Len(t, d, 1)
	assert.Equal(t, "C0: deadlock: cycle P0→P1→P2→P0 in the reported wait-for graph; victim P2 (youngest: its job started at 0s)", d[0])
	m := s.Summarize().Metrics
	assert.Equal(t, 0.0, m["phantoms"])
	assert.Equal(t, 120.0, m["reports"], "4 sites × 30 periods of 10ms")
}

// The phantom deadlock: P0 waits for P1 from 1ms; P1 finishes at 30ms and
// P0 gets R1; at 40ms P1 (a new job) waits for P0. Only P1→P0 exists then.
// But site P1's REPORTs from 25ms on are delayed by 60ms, so the controller
// still holds site P1's report from before 30ms (P0→P1) and joins it with
// site P0's fresh one (P1→P0): a cycle that never existed at once. The
// checker flags it.
const phantomScenario = `{"protocol": "deadlock-central", "seed": 1, "nodes": 3, "until": "300ms",
	"network": {"latency": "1ms"}, "params": {"hold": "30ms", "report_every": "10ms", "victim": "youngest"},
	"workload": {"waits": [{"at": "1ms", "waiter": 0, "holder": 1}, {"at": "40ms", "waiter": 1, "holder": 0}]},
	"faults": [%s]}`

const delayReports = `{"at": "25ms", "delay": {"type": "REPORT", "from": 1, "count": 0, "by": "60ms"}}`

func TestCentralPhantomCaught(t *testing.T) {
	s := lab.Run(t, fmt.Sprintf(phantomScenario, delayReports))
	f := simtest.Failed(s)
	assert.Contains(t, f["declared-cycle-real"], "C0 declared the deadlock P0→P1→P0")
	assert.Contains(t, f["declared-cycle-real"], "P0 does not wait for P1: a phantom deadlock")
	m := s.Summarize().Metrics
	assert.Equal(t, 1.0, m["phantoms"])
	o := output(t, s)
	require.Len(t, o.Declarations, 1)
	assert.True(t, o.Declarations[0].Phantom)
	assert.Equal(t, 1, o.Declarations[0].Victim, "P1's job (started at 40ms) is the youngest")

	// Without the delayed reports, the same waits give no declaration at all.
	s = lab.Run(t, fmt.Sprintf(phantomScenario, ""))
	assert.Empty(t, simtest.Failed(s))
	assert.Equal(t, 0.0, s.Summarize().Metrics["detections"])
}

// Under the random lock workload, reports taken at different moments make
// phantoms without any fault: some seed shows one, and CMH, on the same
// workloads, never declares a phantom.
func TestCentralRandomPhantoms(t *testing.T) {
	phantoms := 0
	for seed := 1; seed <= 60 && phantoms == 0; seed++ {
		s := lab.Run(t, fmt.Sprintf(`{"protocol": "deadlock-central", "seed": %d, "nodes": 5, "until": "2s", "workload": null}`, seed))
		if _, ok := simtest.Failed(s)["declared-cycle-real"]; ok {
			phantoms++
			cmh := lab.Run(t, fmt.Sprintf(`{"protocol": "deadlock-cmh", "seed": %d, "nodes": 5, "until": "2s", "workload": null}`, seed))
			assert.Empty(t, simtest.Failed(cmh))
		}
	}
	assert.Greater(t, phantoms, 0)
}

func TestBadInput(t *testing.T) {
	for _, c := range []struct{ scenario, want string }{
		{`{"protocol": "deadlock-cmh", "workload": {"waits": [[1, 1]]}}`, "workload.waits[0][1]: a process cannot wait for itself"},
		{`{"protocol": "deadlock-cmh", "workload": {"waits": [[1]]}}`, "workload.waits[0]: a wait is [waiter, holder]"},
		{`{"protocol": "deadlock-cmh", "workload": {"waits": [[1, 7]]}}`, "workload.waits[0][1]: node 7 does not exist"},
		{`{"protocol": "deadlock-cmh", "workload": {"waits": [{"at": "1ms", "waiter": 1, "holdr": 2}]}}`, `did you mean "holder"?`},
		{`{"protocol": "deadlock-cmh", "workload": {"waits": [{"at": "1ms", "waiter": 1}]}}`, "workload.waits[0].holder: missing"},
		{`{"protocol": "deadlock-cmh", "workload": {"wait": []}}`, `did you mean "waits"?`},
		{`{"protocol": "deadlock-cmh", "workload": null, "params": {"resources": 2, "locks": 3}}`, "params.locks: 3 is more than the 2 resources"},
		{`{"protocol": "deadlock-cmh", "params": {"resources": 2}}`, "params.resources: with workload.waits"},
		{`{"protocol": "deadlock-central", "params": {"victim": "oldest"}}`, `params.victim: unknown value "oldest"`},
		{`{"protocol": "deadlock-central", "topology": "ring"}`, `topology: deadlock-central needs a complete network`},
		{`{"protocol": "deadlock-cmh", "topology": {"edges": [[0, 1], [1, 2], [2, 3]]}}`, `topology.edges: deadlock-cmh needs a complete network`},
	} {
		_, err := core.NewFromJSON([]byte(c.scenario), protocols.Catalog)
		if assert.Error(t, err, c.scenario) {
			assert.Contains(t, err.Error(), c.want)
		}
	}
}

// State is plain data, String is deterministic, and a replay from the seed
// reproduces the trace.
func TestStateAndReplay(t *testing.T) {
	for _, name := range []string{"deadlock-cmh", "deadlock-central"} {
		s := lab.New(t, fmt.Sprintf(`{"protocol": %q}`, name))
		s.RunUntil(30_000_000)
		for i := 0; i < s.N(); i++ {
			b, err := json.Marshal(s.Node(i).State())
			require.NoError(t, err)
			assert.NotEqual(t, "null", string(b))
			assert.NotEmpty(t, s.Node(i).String())
		}
		s.Run()
		r, err := s.SeekStep(s.Steps())
		require.NoError(t, err)
		assert.Equal(t, s.TraceHash(), r.TraceHash())
		for i := 0; i < s.N(); i++ {
			assert.Equal(t, s.Node(i).String(), r.Node(i).String())
		}
	}
	s := lab.Run(t, `{"protocol": "deadlock-cmh"}`)
	assert.Equal(t, "idle after 1 job(s); R0 free", s.Node(0).String())
}
