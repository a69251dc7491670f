package deadlock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The controller joins the sites' reports, finds a cycle by DFS and picks
// the youngest or the cheapest victim.
func TestControllerGraphAndVictim(t *testing.T) {
	ms := time.Millisecond
	reports := map[int]Report{
		// Site 0: R0 held by P0 (job 1, started 0), P2 waits (job 3, started 30ms).
		0: {Site: 0, Seq: 4, Locks: []LockReport{{Res: 0, Holder: 0, HolderJob: 1, Waiters: []Waiter{{Proc: 2, Job: 3, TS: 30 * ms}}}}},
		// Site 1: R1 and R4 held by P1 (job 2, started 10ms), P0 waits for R1.
		1: {Site: 1, Seq: 4, Locks: []LockReport{
			{Res: 1, Holder: 1, HolderJob: 2, HolderTS: 10 * ms, Waiters: []Waiter{{Proc: 0, Job: 1}}},
			{Res: 4, Holder: 1, HolderJob: 2, HolderTS: 10 * ms},
		}},
		// Site 2: R2 held by P2 (job 3), P1 waits; R5 held by P2 too.
		2: {Site: 2, Seq: 4, Locks: []LockReport{
			{Res: 2, Holder: 2, HolderJob: 3, HolderTS: 30 * ms, Waiters: []Waiter{{Proc: 1, Job: 2, TS: 10 * ms}}},
			{Res: 5, Holder: 2, HolderJob: 3, HolderTS: 30 * ms},
		}},
	}
	for _, c := range []struct {
		by     string
		victim int
	}{{"youngest", 2}, {"cheapest", 0}} {
		in := &instance{victimBy: c.by}
		ctl := newController(in, 3)
		ctl.reports = reports
		adj, jobs, holds := ctl.graph()
		cycle := findCycle(adj)
		assert.Equal(t, []int{0, 1, 2}, cycle)
		assert.Equal(t, map[int]int{0: 1, 1: 2, 2: 2}, holds)
		v, why := ctl.chooseVictim(cycle, jobs, holds)
		assert.Equal(t, c.victim, v, c.by+": "+why)

		// Once the victim's job is aborted its edges are ignored: no cycle.
		ctl.aborted[jobRef{v, jobs[v].Job}] = true
		adj, _, _ = ctl.graph()
		assert.Nil(t, findCycle(adj))
	}
	assert.Nil(t, findCycle(map[int][]cedge{0: {{to: 1}}, 1: {{to: 2}}}))
	assert.Equal(t, []int{1, 3}, findCycle(map[int][]cedge{0: {{to: 1}}, 1: {{to: 3}}, 3: {{to: 1}}}))
}
