package core_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"distlab/core"
	"distlab/internal/simtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newSim(t testing.TB, scenario string) *core.Sim {
	t.Helper()
	return simtest.New(t, testCatalog, scenario)
}

func hashOf(t testing.TB, scenario string) string {
	s := newSim(t, scenario)
	s.Run()
	return s.TraceHash()
}

func TestDeterminism(t *testing.T) {
	sc := `{"protocol": "pinger", "seed": 7, "nodes": 5, "until": "300ms", "network": {"latency": "1ms..30ms", "loss": 0.1, "duplicate": 0.05, "fifo": false}}`
	h1, h2 := hashOf(t, sc), hashOf(t, sc)
	assert.Equal(t, h1, h2, "same scenario and seed, same trace")
	other := strings.Replace(sc, `"seed": 7`, `"seed": 8`, 1)
	assert.NotEqual(t, h1, hashOf(t, other), "another seed, another trace when latency is random")
}

// The vector clocks computed from checkpoints must equal those computed
// naively, event by event, over a run long enough to take many checkpoints.
func TestVectorClocksFromCheckpoints(t *testing.T) {
	s := newSim(t, `{"protocol": "pinger", "seed": 3, "nodes": 6, "until": "2s", "network": {"latency": "1ms..20ms", "loss": 0.05, "duplicate": 0.05, "fifo": false}, "params": {"period": "1ms"}}`)
	s.Run()
	require.Greater(t, s.NumEvents(), 5000)
	n := s.N()
	cur := make([][]int32, n)
	for i := range cur {
		cur[i] = make([]int32, n)
	}
	sendVC := map[int32][]int32{}
	for i := 0; i < s.NumEvents(); i++ {
		e := s.Event(i)
		if e.Node >= 0 {
			row := cur[e.Node]
			switch e.Kind {
			case core.KReceive:
				for k, x := range sendVC[s.Msg(int(e.Msg)).SendEvent] {
					row[k] = max(row[k], x)
				}
				row[e.Node]++
			case core.KSend:
				row[e.Node]++
				sendVC[int32(i)] = append([]int32(nil), row...)
			case core.KLocal:
				row[e.Node]++
			}
			require.Equal(t, row[e.Node], e.Own, "event %d", i)
		}
		if i%97 == 0 || i > s.NumEvents()-50 {
			want := make([]int32, n)
			if e.Node >= 0 {
				copy(want, cur[e.Node])
			}
			require.Equal(t, want, s.VC(i), "event %d", i)
		}
	}
	// Random access backwards too.
	for i := s.NumEvents() - 1; i >= 0; i -= 331 {
		_ = s.VC(i)
	}
	var last []int32
	s.ForEachVC(0, s.NumEvents(), func(i int, vc []int32) bool { last = append(last[:0], vc...); return true })
	assert.Equal(t, s.VC(s.NumEvents()-1), last)
}

func kinds(s *core.Sim) map[string]int {
	out := map[string]int{}
	for i := 0; i < s.NumEvents(); i++ {
		e := s.Event(i)
		k := e.Kind.String()
		if e.Kind == core.KFault {
			k += ":" + e.Aux
		}
		out[k]++
	}
	return out
}

func TestEveryFaultKindAppearsInTheTrace(t *testing.T) {
	s := newSim(t, `{"protocol": "pinger", "seed": 2, "nodes": 4, "until": "400ms",
	  "network": {"latency": "2ms..6ms", "loss": 0.05},
	  "faults": [
	    {"at": "20ms", "crash": 1},
	    {"at": "60ms", "recover": 1},
	    {"at": "70ms", "byzantine": 2, "strategy": "loud"},
	    {"at": "80ms", "partition": [[0, 1], [2, 3]]},
	    {"at": "120ms", "heal": true},
	    {"at": "130ms", "cut": [0, 3]},
	    {"at": "140ms", "hold": [3, 0]},
	    {"at": "180ms", "release": [3, 0]},
	    {"at": "190ms", "drop": {"type": "PONG", "count": 3}},
	    {"at": "200ms", "delay": {"type": "PING", "from": 0, "by": "30ms", "count": 2}},
	    {"at": "210ms", "input": 0, "data": "hello"}
	  ]}`)
	s.Run()
	require.NoError(t, s.Err())
	k := kinds(s)
	for _, want := range []string{"start", "local", "send", "receive", "drop", "timer", "crash", "recover", "phase",
		"fault:byzantine", "fault:partition", "fault:heal", "fault:cut", "fault:hold", "fault:release", "fault:drop", "fault:delay", "note"} {
		assert.Greater(t, k[want], 0, "kind %s in the trace", want)
	}
	// The crashed node was rebuilt from its factory plus stable storage.
	assert.Equal(t, 1, s.Node(1).(*pingerNode).incarnation)
	// Drops have reasons for each cause.
	reasons := map[string]bool{}
	for id := 0; id < s.NumMsgs(); id++ {
		if m := s.Msg(id); m.Status == core.Dropped {
			reasons[s.DropReason(id)] = true
		}
	}
	for _, r := range []string{"lost on the channel", "the channel is cut", "P1 is crashed", "dropped by a fault"} {
		assert.True(t, reasons[r], "a drop because %q; saw %v", r, reasons)
	}
	// Delayed messages arrive later than the channel's maximum latency.
	late := 0
	for id := 0; id < s.NumMsgs(); id++ {
		if m := s.Msg(id); m.Type == "PING" && m.From == 0 && m.DueAt-m.SentAt > 30_000_000 {
			late++
		}
	}
	assert.Equal(t, 2, late)
}

func TestHeldMessagesAreDeliveredOnRelease(t *testing.T) {
	s := newSim(t, `{"protocol": "pinger", "nodes": 2, "until": "100ms", "network": {"latency": "1ms"},
	  "faults": [{"at": "1ms", "hold": [0, 1]}, {"at": "50ms", "release": true}]}`)
	s.RunUntil(49_000_000)
	var held int
	for _, m := range s.InFlight() {
		if m.Status == core.Held {
			held++
		}
	}
	assert.Greater(t, held, 3)
	s.Run()
	for _, m := range s.InFlight() {
		assert.NotEqual(t, core.Held, m.Status)
	}
}

func TestLiveActionsReplayAndSeek(t *testing.T) {
	sc := `{"protocol": "pinger", "seed": 5, "nodes": 4, "until": "300ms", "network": {"latency": "1ms..9ms", "fifo": false}}`
	s := newSim(t, sc)
	s.RunUntil(50_000_000)
	require.NoError(t, s.Inject(mustAction(t, s, `{"crash": 2}`)))
	s.RunUntil(80_000_000)
	inflight := s.InFlight()
	require.NotEmpty(t, inflight)
	require.NoError(t, s.Inject(mustAction(t, s, `{"drop": {"id": `+itoa(inflight[0].ID)+`}}`)))
	require.NoError(t, s.Inject(mustAction(t, s, `{"byzantine": 1, "strategy": "mute"}`)))
	s.RunUntil(120_000_000)
	require.NoError(t, s.Inject(mustAction(t, s, `{"recover": 2}`)))
	s.Run()
	want := s.TraceHash()
	wantEvents := s.NumEvents()

	// Replaying with the recorded actions reproduces the trace.
	r, err := core.Replay(s.Scenario(), s.LiveActions(), 1<<62)
	require.NoError(t, err)
	r.Run()
	assert.Equal(t, want, r.TraceHash())

	// The exported scenario (live actions folded in) reproduces it too.
	exported := s.Scenario().JSON(s.LiveActions())
	e, err := core.NewFromJSON(exported, testCatalog)
	require.NoError(t, err, string(exported))
	e.Run()
	assert.Equal(t, want, e.TraceHash(), string(exported))

	// Seek back to an earlier instant: the same prefix; playing forward
	// again gives the same run.
	back, err := s.SeekTime(60_000)
	require.NoError(t, err)
	assert.Less(t, back.NumEvents(), wantEvents)
	for i := 0; i < back.NumEvents(); i++ {
		assert.Equal(t, s.Text(s.Event(i)), back.Text(back.Event(i)))
	}
	back.Run()
	assert.Equal(t, want, back.TraceHash())

	// Seek by event and by step.
	at, err := s.SeekEvent(100)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, at.NumEvents(), 101)
	st, err := s.SeekStep(at.Steps())
	require.NoError(t, err)
	assert.Equal(t, at.NumEvents(), st.NumEvents())

	// A branch: seek back, inject something new; the old future is gone.
	br, err := s.SeekTime(60_000)
	require.NoError(t, err)
	require.NoError(t, br.Inject(mustAction(t, br, `{"crash": 0}`)))
	br.Run()
	assert.NotEqual(t, want, br.TraceHash())
	assert.Len(t, br.LiveActions(), 2, "the crash at 50ms and the new one")
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func mustAction(t *testing.T, s *core.Sim, js string) core.Action {
	t.Helper()
	a, err := s.ParseLiveAction([]byte(js))
	require.NoError(t, err)
	return a
}

func TestLiveActionErrors(t *testing.T) {
	s := newSim(t, `{"protocol": "pinger", "nodes": 3, "until": "100ms"}`)
	s.RunUntil(10_000_000)
	for js, want := range map[string]string{
		`{"crash": 9}`:                          "action.crash: node 9 does not exist (nodes are 0..2)",
		`{"crsh": 1}`:                           `unknown key "crsh"; did you mean "crash"?`,
		`{"byzantine": 1, "strategy": "mutee"}`: `did you mean "mute"?`,
		`{"byzantine": 1}`:                      "missing: choose a strategy (valid: mute, loud)",
		`{"drop": {"type": "PONGG"}}`:           `did you mean "PONG"?`,
		`{"crash": 1, "recover": 1}`:            "one action per entry",
		`[1]`:                                   "expected an object",
		`{"delay": {"id": 1}}`:                  "action.delay.by: missing",
	} {
		_, err := s.ParseLiveAction([]byte(js))
		if assert.Error(t, err, js) {
			assert.Contains(t, err.Error(), want, js)
		}
	}
	require.NoError(t, s.Inject(mustAction(t, s, `{"crash": 1}`)))
	err := s.Inject(mustAction(t, s, `{"crash": 1}`))
	assert.ErrorContains(t, err, "P1 is already crashed")
	err = s.Inject(mustAction(t, s, `{"recover": 0}`))
	assert.ErrorContains(t, err, "P0 is not crashed")
	err = s.Inject(mustAction(t, s, `{"drop": {"id": 100000}}`))
	assert.ErrorContains(t, err, "has not been sent")
	// Refused actions are not recorded.
	assert.Len(t, s.LiveActions(), 1)
}

func TestTraceAndShiVizFormats(t *testing.T) {
	s := newSim(t, seedVectorExample)
	s.Run()
	var tr bytes.Buffer
	h, err := s.WriteTrace(&tr)
	require.NoError(t, err)
	assert.Equal(t, s.TraceHash(), h)
	lines := strings.Split(strings.TrimSpace(tr.String()), "\n")
	assert.Len(t, lines, s.NumEvents())
	var ev map[string]any
	for i, l := range lines {
		require.NoError(t, json.Unmarshal([]byte(l), &ev), l)
		for _, k := range []string{"id", "t", "node", "kind", "lamport", "vc", "text"} {
			assert.Contains(t, ev, k, "line %d", i)
		}
		if k := ev["kind"]; k == "send" || k == "receive" {
			m := ev["msg"].(map[string]any)
			for _, f := range []string{"id", "from", "to", "type"} {
				assert.Contains(t, m, f)
			}
		}
	}
	assert.Contains(t, tr.String(), `"kind":"receive","lamport":4,"vc":[1,2,1],"msg":{"id":1,"from":1,"to":2,"type":"MSG"},"text":"receive m2 from P1"`)

	var sv bytes.Buffer
	require.NoError(t, s.WriteShiViz(&sv))
	assert.Equal(t, "send m1 to P1\nP0 {\"P0\": 1}\nreceive m1 from P0\nP1 {\"P0\": 1, \"P1\": 1}\n"+
		"send m2 to P2\nP1 {\"P0\": 1, \"P1\": 2}\ne2\nP0 {\"P0\": 2}\nreceive m2 from P1\nP2 {\"P0\": 1, \"P1\": 2, \"P2\": 1}\n", sv.String())
}

// ShiViz checks that each host's own clock starts at 1 and grows by
// exactly 1 per logged event; check that on a busy run with faults.
func TestShiVizOwnClocksGrowByOne(t *testing.T) {
	s := newSim(t, `{"protocol": "pinger", "seed": 9, "nodes": 5, "until": "300ms", "network": {"latency": "1ms..9ms", "loss": 0.2},
	  "faults": [{"at": "50ms", "crash": 3}, {"at": "100ms", "recover": 3}]}`)
	s.Run()
	var sv bytes.Buffer
	require.NoError(t, s.WriteShiViz(&sv))
	lines := strings.Split(strings.TrimSpace(sv.String()), "\n")
	require.Equal(t, 0, len(lines)%2)
	last := map[string]float64{}
	for i := 1; i < len(lines); i += 2 {
		host, clock, ok := strings.Cut(lines[i], " ")
		require.True(t, ok)
		var vc map[string]float64
		require.NoError(t, json.Unmarshal([]byte(clock), &vc), lines[i])
		require.Equal(t, last[host]+1, vc[host], "line %d: %s", i, lines[i])
		last[host] = vc[host]
	}
}

func TestSummaryContract(t *testing.T) {
	s := newSim(t, `{"protocol": "pinger", "nodes": 3, "until": "50ms"}`)
	s.Run()
	b, err := json.Marshal(s.Summarize())
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"protocol", "seed", "nodes", "end", "events", "messages", "invariants", "metrics", "trace_sha256"} {
		assert.Contains(t, m, k)
	}
	msgs := m["messages"].(map[string]any)
	for _, k := range []string{"sent", "delivered", "dropped", "by_type"} {
		assert.Contains(t, msgs, k)
	}
	assert.Equal(t, "50ms", m["end"])
	inv := m["invariants"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "ok", "detail"} {
		assert.Contains(t, inv, k)
	}
}

// A protocol bug (a panic in a handler) stops the run with an error that
// names the process; it does not crash the program.
func TestProtocolPanicIsAnError(t *testing.T) {
	s := newSim(t, `{"protocol": "pinger", "nodes": 2, "until": "50ms"}`)
	s.RunUntil(10_000_000)
	bad, err := s.ParseLiveAction([]byte(`{"input": 0, "data": "x"}`))
	require.NoError(t, err)
	// Replace node 0's state with nil to make its next handler panic.
	s.Node(0).(*pingerNode).inst = nil
	_ = bad
	s.Run()
	require.Error(t, s.Err())
	assert.Contains(t, s.Err().Error(), "protocol error in P0")
	sum := s.Summarize()
	assert.False(t, sum.OK)
	assert.NotEmpty(t, sum.Error)
}

// Run until a time, inject, run on: seeking back and playing forward (and
// the exported scenario) put the action at the same time (reported by the
// bridge worker: the crash moved from 12ms to 3ms).
func TestActionInjectedBetweenStepsReplaysAtItsTime(t *testing.T) {
	s := newSim(t, `{"protocol": "script", "nodes": 3, "until": "100ms", "network": {"latency": "2ms"},
	  "workload": {"events": [{"at": "1ms", "node": 0, "do": "local"}, {"at": "20ms", "node": 1, "do": "local"}, {"at": "30ms", "node": 2, "do": "local"}]}}`)
	s.RunUntil(12_000_000)
	require.NoError(t, s.Inject(mustAction(t, s, `{"crash": 2}`)))
	s.Run()
	want := s.TraceHash()
	crashAt := func(r *core.Sim) int64 {
		for i := 0; i < r.NumEvents(); i++ {
			if e := r.Event(i); e.Kind == core.KCrash {
				return int64(e.T)
			}
		}
		return -1
	}
	require.EqualValues(t, 12_000_000, crashAt(s))
	for _, seek := range []func() (*core.Sim, error){
		func() (*core.Sim, error) { return s.SeekEvent(2) },
		func() (*core.Sim, error) { return s.SeekTime(5_000) },
		func() (*core.Sim, error) { return s.SeekTime(12_000) },
		func() (*core.Sim, error) { return s.SeekStep(0) },
	} {
		r, err := seek()
		require.NoError(t, err)
		r.Run()
		assert.EqualValues(t, 12_000_000, crashAt(r))
		assert.Equal(t, want, r.TraceHash())
	}
	e, err := core.NewFromJSON(s.Scenario().JSON(s.LiveActions()), testCatalog)
	require.NoError(t, err)
	e.Run()
	assert.Equal(t, want, e.TraceHash())
	// Seeking to 5ms shows the state before the crash.
	r, err := s.SeekTime(5_000)
	require.NoError(t, err)
	assert.False(t, r.Crashed(2))
	assert.EqualValues(t, 5_000_000, r.Now())
}
