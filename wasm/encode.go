//go:build js && wasm

package main

import (
	"strconv"
	"time"

	"distlab/core"
)

// appendEvent appends trace event i as a TraceEvent object of distlab.d.ts:
// the fields of a `distlab run --trace` line plus "own", with "vc" only when
// vc is not nil.
func appendEvent(b []byte, s *core.Sim, i int, vc []int32) []byte {
	e := s.Event(i)
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(e.ID), 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, int64(e.T/time.Microsecond), 10)
	b = append(b, `,"node":`...)
	b = strconv.AppendInt(b, int64(e.Node), 10)
	b = append(b, `,"kind":"`...)
	b = append(b, e.Kind.String()...)
	b = append(b, `","lamport":`...)
	b = strconv.AppendInt(b, e.Lamport, 10)
	b = append(b, `,"own":`...)
	b = strconv.AppendInt(b, int64(e.Own), 10)
	if vc != nil {
		b = append(b, `,"vc":[`...)
		for k, x := range vc {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(x), 10)
		}
		b = append(b, ']')
	}
	if e.Msg >= 0 {
		m := s.Msg(int(e.Msg))
		b = append(b, `,"msg":{"id":`...)
		b = strconv.AppendInt(b, int64(m.ID), 10)
		b = append(b, `,"from":`...)
		b = strconv.AppendInt(b, int64(m.From), 10)
		b = append(b, `,"to":`...)
		b = strconv.AppendInt(b, int64(m.To), 10)
		b = append(b, `,"type":`...)
		b = core.AppendJSONString(b, m.Type)
		b = append(b, '}')
	}
	switch e.Kind {
	case core.KPhase:
		b = append(b, `,"phase":`...)
		b = core.AppendJSONString(b, e.Aux)
	case core.KDecide:
		b = append(b, `,"value":`...)
		b = core.AppendJSONString(b, e.Aux)
	case core.KFault:
		b = append(b, `,"fault":`...)
		b = core.AppendJSONString(b, e.Aux)
	}
	b = append(b, `,"text":`...)
	b = core.AppendJSONString(b, s.Text(e))
	return append(b, '}')
}
