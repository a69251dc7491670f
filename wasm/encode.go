//go:build js && wasm

package main

import "distlab/core"

// appendEvent appends trace event i as a TraceEvent object of distlab.d.ts:
// the fields of a `distlab run --trace` line plus "own", with "vc" only when
// vc is not nil.
func appendEvent(b []byte, s *core.Sim, i int, vc []int32) []byte {
	return s.AppendPageEventJSON(b, i, vc)
}
