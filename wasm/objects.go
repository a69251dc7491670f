//go:build js && wasm

package main

import (
	"syscall/js"
	"time"

	"distlab/core"
)

// simEventsObjects is the other way to hand an event batch to JS: build each
// TraceEvent as a JS object with Set, one boundary crossing per field. It is
// kept (as __distlabGo.sim._eventsObjects) only so that the comparison in
// BRIDGE.md can be re-measured: JSON text is the faster way and the one the API uses.
func simEventsObjects(h *simHandle, args []js.Value) (any, error) {
	ba, err := parseBatch("_eventsObjects", h.sim, args)
	if err != nil {
		return nil, err
	}
	s := h.sim
	list := jsArray.New(ba.to - ba.from)
	put := func(i int, vc []int32) bool {
		list.SetIndex(i-ba.from, eventObject(s, i, vc))
		return true
	}
	if ba.vc {
		s.ForEachVC(ba.from, ba.to, put)
	} else {
		for i := ba.from; i < ba.to; i++ {
			put(i, nil)
		}
	}
	out := jsObject.New()
	out.Set("events", list)
	out.Set("next", ba.to)
	out.Set("total", s.NumEvents())
	return out, nil
}

func eventObject(s *core.Sim, i int, vc []int32) js.Value {
	e := s.Event(i)
	o := jsObject.New()
	o.Set("id", int(e.ID))
	o.Set("t", float64(e.T/time.Microsecond))
	o.Set("node", int(e.Node))
	o.Set("kind", e.Kind.String())
	o.Set("lamport", float64(e.Lamport))
	o.Set("own", int(e.Own))
	if vc != nil {
		a := jsArray.New(len(vc))
		for k, x := range vc {
			a.SetIndex(k, int(x))
		}
		o.Set("vc", a)
	}
	if e.Msg >= 0 {
		m := s.Msg(int(e.Msg))
		mo := jsObject.New()
		mo.Set("id", m.ID)
		mo.Set("from", m.From)
		mo.Set("to", m.To)
		mo.Set("type", m.Type)
		o.Set("msg", mo)
	}
	switch e.Kind {
	case core.KPhase:
		o.Set("phase", e.Aux)
	case core.KDecide:
		o.Set("value", e.Aux)
	case core.KFault:
		o.Set("fault", e.Aux)
	}
	o.Set("text", s.Text(e))
	return o
}
