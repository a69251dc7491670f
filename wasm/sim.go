//go:build js && wasm

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"syscall/js"
	"time"

	"distlab/core"
)

// simMethods is the Simulation API of web/distlab.d.ts, in its order.
var simMethods = []simMethod{
	{"scenario", false, func(h *simHandle, _ []js.Value) (any, error) {
		return jsonResult(h.sim.Scenario().Normalized())
	}},
	{"protocol", false, func(h *simHandle, _ []js.Value) (any, error) {
		return jsonResult(h.sim.Protocol().Info())
	}},

	{"run", true, func(h *simHandle, _ []js.Value) (any, error) {
		n := h.sim.NumEvents()
		h.sim.Run()
		return h.sim.NumEvents() - n, nil
	}},
	{"step", true, func(h *simHandle, _ []js.Value) (any, error) {
		return h.sim.RunEvents(1), nil
	}},
	{"runUntil", true, func(h *simHandle, args []js.Value) (any, error) {
		t, err := timeArg("runUntil", "t", arg(args, 0))
		if err != nil {
			return nil, err
		}
		n := h.sim.NumEvents()
		h.sim.RunUntil(t)
		return h.sim.NumEvents() - n, nil
	}},
	{"runEvents", true, func(h *simHandle, args []js.Value) (any, error) {
		k, err := intArg("runEvents", "k", arg(args, 0), 0, 1<<53)
		if err != nil {
			return nil, err
		}
		return h.sim.RunEvents(int(min(k, 1<<62))), nil
	}},
	{"now", false, func(h *simHandle, _ []js.Value) (any, error) { return micros(h.sim.Now()), nil }},
	{"steps", false, func(h *simHandle, _ []js.Value) (any, error) { return float64(h.sim.Steps()), nil }},
	{"done", false, func(h *simHandle, _ []js.Value) (any, error) { return h.sim.Done(), nil }},
	{"nextTime", false, func(h *simHandle, _ []js.Value) (any, error) {
		if t := h.sim.NextTime(); t >= 0 {
			return micros(t), nil
		}
		return -1, nil
	}},

	{"events", false, simEvents},
	{"event", false, func(h *simHandle, args []js.Value) (any, error) {
		i, err := eventArg("event", "i", h.sim, arg(args, 0))
		if err != nil {
			return nil, err
		}
		return bytesString(appendEvent(nil, h.sim, i, h.sim.VC(i))), nil
	}},
	{"eventCount", false, func(h *simHandle, _ []js.Value) (any, error) { return h.sim.NumEvents(), nil }},

	{"nodes", false, func(h *simHandle, _ []js.Value) (any, error) {
		out := make([]nodeInfo, h.sim.N())
		for p := range out {
			out[p] = info(h.sim, p)
		}
		return jsonResult(out)
	}},
	{"node", false, func(h *simHandle, args []js.Value) (any, error) {
		p, err := intArg("node", "id", arg(args, 0), 0, int64(h.sim.N()-1))
		if err != nil {
			return nil, err
		}
		return jsonResult(detail(h.sim, int(p)))
	}},
	{"inFlight", false, func(h *simHandle, _ []js.Value) (any, error) {
		msgs := h.sim.InFlight()
		out := make([]inFlightMsg, len(msgs))
		for i, m := range msgs {
			out[i] = inFlightMsg{ID: m.ID, From: m.From, To: m.To, Type: m.Type, Status: m.Status.String(),
				Sent: micros(m.SentAt), Due: micros(m.DueAt), Text: safeString(m.Payload)}
		}
		return jsonResult(out)
	}},
	{"channels", false, func(h *simHandle, _ []js.Value) (any, error) { return jsonResult(h.sim.Channels()) }},

	{"inject", true, simInject},
	{"liveActions", false, func(h *simHandle, _ []js.Value) (any, error) {
		out := []map[string]any{}
		for _, a := range h.sim.RecordedActions() {
			out = append(out, a.JSON())
		}
		return jsonResult(out)
	}},
	{"seek", false, simSeek},

	{"invariants", false, func(h *simHandle, _ []js.Value) (any, error) { return jsonResult(h.sim.Invariants()) }},
	{"summary", false, func(h *simHandle, _ []js.Value) (any, error) { return jsonResult(h.sim.Summarize()) }},
	// output is the protocol's result as it stands (Summary.output without
	// the trace hash): cheap enough for views to read when the run advances.
	{"output", false, func(h *simHandle, _ []js.Value) (any, error) { return jsonResult(h.sim.Output()) }},

	{"relation", false, func(h *simHandle, args []js.Value) (any, error) {
		a, err := eventArg("relation", "a", h.sim, arg(args, 0))
		if err != nil {
			return nil, err
		}
		b, err := eventArg("relation", "b", h.sim, arg(args, 1))
		if err != nil {
			return nil, err
		}
		switch {
		case a == b:
			return "same", nil
		case h.sim.HappensBefore(a, b):
			return "before", nil
		case h.sim.HappensBefore(b, a):
			return "after", nil
		}
		return "concurrent", nil
	}},
	{"causal", false, func(h *simHandle, args []js.Value) (any, error) {
		e, err := eventArg("causal", "e", h.sim, arg(args, 0))
		if err != nil {
			return nil, err
		}
		return jsonResult(map[string][]int{"past": h.sim.CausalPast(e), "future": h.sim.CausalFuture(e)})
	}},
	{"nodeEvents", false, func(h *simHandle, args []js.Value) (any, error) {
		p, err := intArg("nodeEvents", "p", arg(args, 0), 0, int64(h.sim.N()-1))
		if err != nil {
			return nil, err
		}
		ids := h.sim.NodeEvents(int(p))
		if ids == nil {
			ids = []int32{}
		}
		return jsonResult(ids)
	}},
	{"checkCut", false, func(h *simHandle, args []js.Value) (any, error) {
		data, err := jsonArg("checkCut", "a list of counts (one per process)", arg(args, 0), true)
		if err != nil {
			return nil, err
		}
		v, err := core.ParseJSON("cut", data)
		if err != nil {
			return nil, inputErr("checkCut", err)
		}
		list, err := v.List()
		if err != nil {
			return nil, inputErr("checkCut", err)
		}
		prefix := make([]int, len(list))
		for i, x := range list {
			if prefix[i], err = x.Int(-1<<31, 1<<31-1); err != nil {
				return nil, inputErr("checkCut", err)
			}
		}
		verdict, err := h.sim.CheckCut(prefix)
		if err != nil {
			return nil, inputErr("checkCut", err)
		}
		return jsonResult(verdict)
	}},

	{"exportTrace", false, func(h *simHandle, _ []js.Value) (any, error) {
		var b bytes.Buffer
		if _, err := h.sim.WriteTrace(&b); err != nil {
			return nil, err
		}
		return bytesString(b.Bytes()), nil
	}},
	{"exportShiViz", false, func(h *simHandle, _ []js.Value) (any, error) {
		var b bytes.Buffer
		if err := h.sim.WriteShiViz(&b); err != nil {
			return nil, err
		}
		return bytesString(b.Bytes()), nil
	}},
	{"exportScenario", false, func(h *simHandle, _ []js.Value) (any, error) {
		return bytesString(h.sim.Scenario().JSON(h.sim.RecordedActions())), nil
	}},
}

// timeArg reads a virtual time in microseconds (a finite number >= 0;
// fractions are dropped, and anything past core.MaxDuration means "the end").
func timeArg(method, name string, v js.Value) (time.Duration, error) {
	if t := typeOf(v); t != "number" {
		return 0, fmt.Errorf("%s: %s: expected a time in microseconds (a number), got %s", method, name, t)
	}
	f := v.Float()
	if f != f || f < 0 {
		return 0, fmt.Errorf("%s: %s: expected a time in microseconds >= 0, got %v", method, name, f)
	}
	if f > float64(core.MaxDuration/time.Microsecond) {
		return core.MaxDuration, nil
	}
	return time.Duration(f) * time.Microsecond, nil
}

// eventArg reads an event index of the trace as it stands.
func eventArg(method, name string, s *core.Sim, v js.Value) (int, error) {
	n := s.NumEvents()
	if n == 0 {
		if _, err := intArg(method, name, v, 0, 1<<53); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("%s: %s: the trace is empty (run or step first)", method, name)
	}
	i, err := intArg(method, name, v, 0, int64(n-1))
	return int(i), err
}

// Event batches: at most this many events per call (continue from next).
const (
	eventsDefaultMax = 1000
	eventsMaxBatch   = 100_000
)

type batchArgs struct {
	from, to int
	vc       bool
}

func parseBatch(method string, s *core.Sim, args []js.Value) (batchArgs, error) {
	n := s.NumEvents()
	cursor, err := intArg(method, "cursor", arg(args, 0), 0, int64(n))
	if err != nil {
		return batchArgs{}, err
	}
	limit := int64(eventsDefaultMax)
	if m := arg(args, 1); !m.IsUndefined() {
		// Any whole count >= 0, even Infinity, asks for as much as a batch holds.
		f := math.NaN()
		if typeOf(m) == "number" {
			f = m.Float()
		}
		if !(f >= 0) || f != math.Trunc(f) {
			_, err := intArg(method, "max", m, 0, eventsMaxBatch) // says what is wrong
			return batchArgs{}, err
		}
		limit = int64(min(f, eventsMaxBatch))
	}
	b := batchArgs{from: int(cursor), to: int(cursor + min(limit, eventsMaxBatch, int64(n)-cursor))}
	switch o := arg(args, 2); typeOf(o) {
	case "undefined", "null":
	case "object":
		b.vc = o.Get("vc").Truthy()
	default:
		return b, fmt.Errorf("%s: opts: expected an object such as {vc: true}, got %s", method, typeOf(o))
	}
	return b, nil
}

// simEvents returns {"events": [...], "next": N, "total": T} as JSON text,
// the faster of the two ways measured in BRIDGE.md.
func simEvents(h *simHandle, args []js.Value) (any, error) {
	ba, err := parseBatch("events", h.sim, args)
	if err != nil {
		return nil, err
	}
	s := h.sim
	b := append(h.buf[:0], `{"events":[`...)
	if ba.vc {
		s.ForEachVC(ba.from, ba.to, func(i int, vc []int32) bool {
			if i > ba.from {
				b = append(b, ',')
			}
			b = appendEvent(b, s, i, vc)
			return true
		})
	} else {
		for i := ba.from; i < ba.to; i++ {
			if i > ba.from {
				b = append(b, ',')
			}
			b = appendEvent(b, s, i, nil)
		}
	}
	b = fmt.Appendf(b, `],"next":%d,"total":%d}`, ba.to, s.NumEvents())
	if cap(b) <= 4<<20 {
		h.buf = b // keep a modest buffer for the next frame
	}
	return bytesString(b), nil
}

func simInject(h *simHandle, args []js.Value) (any, error) {
	if err := h.sim.Err(); err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		return nil, fmt.Errorf("inject: the run has stopped (%s); seek back to branch from an earlier point", first)
	}
	data, err := jsonArg("inject", "an action object", arg(args, 0), true)
	if err != nil {
		return nil, err
	}
	a, err := h.sim.ParseLiveAction(data)
	if err != nil {
		return nil, inputErr("inject", err)
	}
	// An error with the run still healthy is a refusal (nothing happened);
	// a protocol failure while applying the action stops the run and shows in
	// its summary and invariants, like a failure during run().
	if err := h.sim.Inject(a); err != nil && h.sim.Err() == nil {
		return nil, inputErr("inject", err)
	}
	return nil, nil
}

func simSeek(h *simHandle, args []js.Value) (any, error) {
	data, err := jsonArg("seek", "an object such as {step: 10}, {event: 42} or {time: 5000}", arg(args, 0), true)
	if err != nil {
		return nil, err
	}
	v, err := core.ParseJSON("", data)
	if err != nil {
		return nil, inputErr("seek", err)
	}
	if err := v.Object("step", "event", "time"); err != nil {
		return nil, inputErr("seek", err)
	}
	keys := v.Keys()
	if len(keys) != 1 {
		return nil, fmt.Errorf("seek: give exactly one of step, event or time, got %d keys", len(keys))
	}
	x := v.Get(keys[0])
	var next *core.Sim
	switch keys[0] {
	case "step":
		k, err := x.Int(0, 1<<53)
		if err != nil {
			return nil, inputErr("seek", err)
		}
		next, err = h.sim.SeekStep(int64(k))
	case "event":
		k, err := x.Int(-1, 1<<53)
		if err != nil {
			return nil, inputErr("seek", err)
		}
		next, err = h.sim.SeekEvent(k)
	case "time":
		f, err := x.Float(0, float64(core.MaxDuration/time.Microsecond))
		if err != nil {
			return nil, inputErr("seek", err)
		}
		next, err = h.sim.SeekTime(int64(f))
	}
	if err != nil {
		return nil, inputErr("seek", err)
	}
	h.sim, h.buf = next, nil
	return nil, nil
}

type nodeInfo struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	Crashed   bool   `json:"crashed"`
	Strategy  string `json:"strategy"`
	Text      string `json:"text"`
	Neighbors []int  `json:"neighbors"`
}

type nodeDetail struct {
	nodeInfo
	State   json.RawMessage  `json:"state"`
	Lamport int64            `json:"lamport"`
	VC      []int32          `json:"vc"`
	Events  int              `json:"events"`
	Timers  []core.TimerInfo `json:"timers"`
}

type inFlightMsg struct {
	ID     int     `json:"id"`
	From   int     `json:"from"`
	To     int     `json:"to"`
	Type   string  `json:"type"`
	Status string  `json:"status"`
	Sent   float64 `json:"sent"`
	Due    float64 `json:"due"`
	Text   string  `json:"text"`
}

func info(s *core.Sim, p int) nodeInfo {
	nb := s.Neighbors(p)
	if nb == nil {
		nb = []int{}
	}
	return nodeInfo{ID: p, Name: s.Name(p), Crashed: s.Crashed(p), Strategy: s.Strategy(p),
		Text: safeString(s.Node(p)), Neighbors: nb}
}

func detail(s *core.Sim, p int) nodeDetail {
	timers := s.PendingTimers(p)
	if timers == nil {
		timers = []core.TimerInfo{}
	}
	return nodeDetail{nodeInfo: info(s, p), State: stateJSON(s.Node(p)), Lamport: s.Lamport(p),
		VC: s.CurrentVC(p), Events: len(s.NodeEvents(p)), Timers: timers}
}

// safeString is x.String(), or a note when the protocol's String panics
// (one broken node must not hide the others).
func safeString(x fmt.Stringer) (out string) {
	defer func() {
		if r := recover(); r != nil {
			out = fmt.Sprintf("(String failed: %v)", r)
		}
	}()
	return x.String()
}

// stateJSON is the node's State() as JSON, or a string saying why not.
func stateJSON(n core.Node) (out json.RawMessage) {
	defer func() {
		if r := recover(); r != nil {
			out, _ = json.Marshal(fmt.Sprintf("(State failed: %v)", r))
		}
	}()
	b, err := json.Marshal(n.State())
	if err != nil {
		b, _ = json.Marshal("(state cannot be shown as JSON: " + err.Error() + ")")
	}
	return b
}
