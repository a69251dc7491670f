package sketches_test

// Phi accrual failure detector, seed §7 (Hayashibara, Défago, Yared & Katayama,
// "The φ Accrual Failure Detector", SRDS 2004), with the exponential model the
// seed gives (as Cassandra uses): P(T > t) = e^(−t/μ), so
// φ(t) = −log10 P(T > t) = t / (μ · ln 10). Only +, × and ÷ on float64, and the
// inter-arrival sums in integer µs: the same bits on every platform.

import (
	"fmt"
	"testing"
	"time"

	"distlab/core"
	"distlab/internal/simtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ln10 = 2.302585092994046

type heartbeat struct{ Seq int }

func (m heartbeat) Type() string   { return "HEARTBEAT" }
func (m heartbeat) String() string { return fmt.Sprintf("HEARTBEAT(%d)", m.Seq) }

var phiProto = &core.Protocol{
	Name: "phi", Title: "φ accrual failure detector", Section: "7",
	Params: []core.ParamSpec{
		{Name: "period", Type: "duration", Default: "100ms"},
		{Name: "check", Type: "duration", Default: "10ms", Doc: "how often monitors evaluate φ"},
		{Name: "threshold", Type: "float", Default: 8.0, Doc: "the seed's example: φ = 8"},
	},
	MessageTypes: []core.Kindspec{{Name: "HEARTBEAT"}},
	Phases:       []core.Kindspec{{Name: "suspect"}},
	Build: func(b *core.Build) (core.Instance, error) {
		return &phiInst{period: b.Duration("period"), check: b.Duration("check"), threshold: b.Float("threshold")}, nil
	},
}

type phiInst struct {
	period, check time.Duration
	threshold     float64
}

const phiWindow = 16 // inter-arrival times kept per monitored process

type phiNode struct {
	in        *phiInst
	seq       int
	last      []int64   // µs of the last heartbeat from each process (-1: none yet)
	intervals [][]int64 // the sliding window of inter-arrival times, µs
	suspected []int64   // µs when first suspected (-1: never)
}

func (in *phiInst) NewNode(id int) core.Node { return &phiNode{in: in} }

func (n *phiNode) Start(env core.Env) {
	n.last, n.intervals, n.suspected = make([]int64, env.N()), make([][]int64, env.N()), make([]int64, env.N())
	for j := range n.last {
		n.last[j], n.suspected[j] = -1, -1
	}
	env.SetTimer(n.in.period, "heartbeat", nil)
	env.SetTimer(n.in.check, "check", nil)
}

func (n *phiNode) Receive(env core.Env, from int, m core.Message) {
	now := int64(env.Now() / time.Microsecond)
	if n.last[from] >= 0 {
		w := append(n.intervals[from], now-n.last[from])
		n.intervals[from] = w[max(0, len(w)-phiWindow):]
	}
	n.last[from] = now
}

// phi is the suspicion level of process j at time now (µs).
func (n *phiNode) phi(j int, now int64) float64 {
	w := n.intervals[j]
	if len(w) == 0 {
		return 0
	}
	var sum int64
	for _, x := range w {
		sum += x
	}
	mu := float64(sum) / float64(len(w))
	return float64(now-n.last[j]) / (mu * ln10)
}

func (n *phiNode) Timer(env core.Env, t core.Timer) {
	switch t.Name {
	case "heartbeat":
		n.seq++
		env.Broadcast(heartbeat{n.seq})
		env.SetTimer(n.in.period, "heartbeat", nil)
	case "check":
		now := int64(env.Now() / time.Microsecond)
		for _, j := range env.Neighbors() {
			if phi := n.phi(j, now); phi >= n.in.threshold && n.suspected[j] < 0 {
				n.suspected[j] = now
				env.Phase("suspect", fmt.Sprintf("suspects %s (φ = %.2f)", env.Name(j), phi))
			}
		}
		env.SetTimer(n.in.check, "check", nil)
	}
}

func (n *phiNode) State() any     { return map[string]any{"suspected_at_us": n.suspected} }
func (n *phiNode) String() string { return fmt.Sprintf("suspected at (µs): %v", n.suspected) }

func TestPhiAccrual(t *testing.T) {
	const crashed, crashAt = 2, 2 * time.Second
	s := run(t, phiProto, `{"protocol": "phi", "nodes": 4, "until": "5s", "network": {"latency": "5ms"},
		"faults": [{"at": "2s", "crash": 2}]}`)
	in := s.Instance().(*phiInst)
	// The last heartbeat was sent in the period before the crash and arrives a
	// latency later; φ crosses the threshold threshold·ln10·μ after it, seen at
	// the next check.
	cross := time.Duration(in.threshold * ln10 * float64(in.period))
	lo, hi := cross-in.period+5*time.Millisecond, cross+5*time.Millisecond+in.check
	for i := 0; i < s.N(); i++ {
		if i == crashed {
			continue
		}
		sus := s.Node(i).(*phiNode).suspected
		for j, at := range sus {
			if j != crashed {
				assert.Equal(t, int64(-1), at, "%s never suspects correct %s (steady network)", s.Name(i), s.Name(j))
			}
		}
		at := time.Duration(sus[crashed]) * time.Microsecond
		require.GreaterOrEqual(t, at, crashAt, "%s suspects P2 only after the crash", s.Name(i))
		assert.LessOrEqual(t, at-crashAt, hi, "%s suspects P2 within %v", s.Name(i), hi)
		assert.GreaterOrEqual(t, at-crashAt, lo, "%s does not suspect P2 before φ reaches the threshold", s.Name(i))
	}
	ev := simtest.Phases(s, "suspect")
	assert.Len(t, ev, s.N()-1, "one suspicion per correct monitor, recorded in the trace")
	for _, e := range ev {
		assert.Contains(t, s.Text(e), "suspects P2")
	}
}
